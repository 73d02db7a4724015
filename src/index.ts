/**
 * wimse-ect: Execution Context Tokens (draft-nennemann-wimse-ect-01). The core: create, verify, DAG,
 * replay cache and ledger contracts with in-memory implementations. Storage backends and HTTP
 * middleware live in subpath exports so that nobody loads what they do not use.
 * @module wimse-ect
 */
export {
  ECT_ERROR_CODES,
  ECTConfigError,
  ECTError,
  isECTError,
  isECTErrorCode,
  type ECTErrorCode,
  type ECTErrorContext,
} from './errors.js';
export type { ECTClaims, ECTHeader, Level } from './format/types.js';
export {
  DEFAULT_CLAIM_RULES,
  EXT_MAX_BYTES,
  EXT_MAX_DEPTH,
  isDigest,
  isUuid,
  validateClaims,
  type ClaimExpectations,
  type ClaimRules,
  type ValidatedClaims,
} from './format/claims.js';
export { parseToken, type ParsedJWS, type ParsedL1, type ParsedToken } from './format/parse.js';
export { hashBytes, hashStream } from './format/hash.js';
export { ALGORITHMS, DEFAULT_ALGORITHM, isAlgorithm, type Algorithm } from './crypto/algorithms.js';
export {
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  jwkThumbprint,
  keyFitsAlgorithm,
  type GeneratedKeyPair,
  type KeyInput,
} from './crypto/keys.js';
export type { JWK } from './crypto/jwk.js';
export {
  buildClaims,
  createECT,
  createSigner,
  DEFAULT_TTL_SECONDS,
  type CreateOptions,
  type ECTInput,
  type ECTSigner,
} from './create/create.js';
export { ECT_TYP, isECTTyp, LEGACY_ECT_TYP } from './verify/header.js';
export {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_LEDGER_RETRIES,
  DEFAULT_LEDGER_RETRY_DELAY_MS,
  DEFAULT_LEDGER_TIMEOUT_MS,
  DEFAULT_MAX_IAT_AGE,
  DEFAULT_MAX_TOKEN_SIZE,
  DEFAULT_MIN_LEVEL,
  type DagVerifyOptions,
  type RecordOptions,
  type VerifyOptions,
} from './verify/options.js';
export {
  createVerifier,
  verifyECT,
  type OneShotVerifyOptions,
  type VerifiedECT,
  type Verifier,
} from './verify/verify.js';
export type { LedgerFailure } from './verify/recording.js';
export {
  issuerMatches,
  type IssuerBinding,
  type KeyRequest,
  type KeyResolver,
  type KeySource,
  type ResolvedKey,
  type VerifyContext,
} from './identity/key-source.js';
export { localJWKSet, type JWKSet, type LocalJWKSetOptions } from './identity/jwks.js';
export type { DagNode, ECTStore, WritableECTStore } from './dag/store.js';
export { MemoryECTStore } from './dag/memory-store.js';
export {
  DEFAULT_MAX_ANCESTORS,
  validateDag,
  type DagOptions,
  type DagResult,
} from './dag/validate.js';
export {
  auditWorkflow,
  type AuditIssue,
  type AuditOptions,
  type AuditReport,
} from './dag/audit.js';
export { replayKey, type ReplayStore } from './replay/store.js';
export {
  DEFAULT_REPLAY_CAPACITY,
  MemoryReplayStore,
  type MemoryReplayStoreOptions,
} from './replay/memory.js';
export {
  LedgerRowError,
  type AppendTransaction,
  type IntegrityProblem,
  type IntegrityReport,
  type LedgerBackend,
  type LedgerEntry,
  type Receipt,
} from './ledger/types.js';
export {
  ENTRY_HEADER,
  entryLeafHash,
  formatEntry,
  parseEntry,
  type Entry,
} from './ledger/entry.js';
export { MemoryLedgerBackend } from './ledger/memory.js';
export { entryToNode, Ledger, type LedgerCheckpoint, type LedgerOptions } from './ledger/ledger.js';
export { type IntegrityAnchor, type IntegrityOptions } from './ledger/integrity.js';
export { type WitnessOptions, type WitnessStatus } from './ledger/witnessing.js';
export {
  RECEIPT_TYP,
  ReceiptError,
  verifyReceipt,
  type VerifiedReceipt,
} from './ledger/receipt.js';
export {
  BUNDLE_FORMAT,
  formatBundle,
  parseBundle,
  type BundleEntry,
  type EvidenceBundle,
} from './bundle/format.js';
export { exportBundle, type ExportBundleOptions } from './bundle/export.js';
export {
  verifyBundle,
  type BundleItem,
  type BundleReport,
  type VerifyBundleOptions,
} from './bundle/verify.js';
export { TLOG_ERROR_CODES, TlogError, type TlogErrorCode } from './tlog/errors.js';
export { configFromEnv, ENV_VARIABLES, type EnvConfig } from './config/env.js';
