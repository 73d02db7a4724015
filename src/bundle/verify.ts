/**
 * Checking an evidence bundle offline (LED-12): no database, no network. Each item is reported:
 * the checkpoint's signature with the auditor's ledger key (LED-8), the witness policy (LED-11),
 * and for every entry its inclusion in the checkpoint (LED-9) and its token verified at the time
 * it was recorded (section 5: signature, header, claims, issuer binding, time), then the DAG audit
 * of the entries (section 6).
 * @module
 */
import { auditWorkflow } from '../dag/audit.js';
import type { DagNode } from '../dag/store.js';
import { isECTError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import type { Level } from '../format/types.js';
import { localJWKSet } from '../identity/jwks.js';
import type { KeyResolver, KeySource } from '../identity/key-source.js';
import type { JWKSet } from '../identity/jwks.js';
import {
  ledgerVerifier,
  openCheckpoint,
  requireCosignatures,
  type VerifiedCheckpoint,
} from '../ledger/checkpoints.js';
import { entryLeafHash, parseEntry } from '../ledger/entry.js';
import { predOf } from '../ledger/rows.js';
import { TlogError } from '../tlog/errors.js';
import { parseTlogProof } from '../tlog/proof-file.js';
import { verifyInclusion } from '../tlog/verify-proof.js';
import { createVerifier } from '../verify/verify.js';
import { parseBundle, type EvidenceBundle } from './format.js';

/**
 * One checked item of a bundle.
 *
 * @example
 * ```ts
 * import { verifyBundle, type BundleItem } from 'wimse-ect';
 *
 * function print(items: readonly BundleItem[]): void {
 *   for (const item of items)
 *     console.log(item.ok ? 'ok  ' : 'FAIL', item.item, item.seq ?? '', item.message);
 * }
 * ```
 */
export interface BundleItem {
  /** `checkpoint`, `witnesses`, `keys`, `entry`, `dag`. */
  readonly item: string;
  readonly ok: boolean;
  /** A section 11 code (tokens, DAG) or a `TLOG_*` code (proofs, signatures, policy). */
  readonly code?: string;
  readonly message: string;
  readonly seq?: number;
  readonly jti?: string;
  /** True for an item that passed but deserves attention (keys taken from the bundle itself). */
  readonly warning?: boolean;
}

/**
 * The outcome of `verifyBundle`: ok when every item is.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { verifyBundle, type BundleReport } from 'wimse-ect';
 *
 * const report: BundleReport = await verifyBundle({
 *   bundle: readFileSync('workflow.bundle.json', 'utf8'),
 *   ledgerVkey: readFileSync('ledger.vkey', 'utf8').trim(),
 * });
 * console.log(
 *   report.ok,
 *   report.entries,
 *   report.items.filter((i) => !i.ok),
 * );
 * ```
 */
export interface BundleReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly items: readonly BundleItem[];
}

/**
 * Options of `verifyBundle`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { verifyBundle, type VerifyBundleOptions } from 'wimse-ect';
 *
 * const options: VerifyBundleOptions = {
 *   bundle: readFileSync('workflow.bundle.json', 'utf8'),
 *   ledgerVkey: readFileSync('ledger.vkey', 'utf8').trim(), // as the auditor knows it
 *   witnessVkeys: [readFileSync('witness.vkey', 'utf8').trim()],
 *   keys: JSON.parse(readFileSync('agents.jwks.json', 'utf8')),
 * };
 * const report = await verifyBundle(options);
 * ```
 */
export interface VerifyBundleOptions {
  /** The bundle, as file text or parsed. */
  readonly bundle: string | EvidenceBundle;
  /** The ledger's verifier key as the auditor knows it (never the bundle's own). */
  readonly ledgerVkey: string;
  /** Witness cosignature keys the auditor trusts. */
  readonly witnessVkeys?: readonly string[];
  /** How many of them must have cosigned (default: all given). */
  readonly minWitnesses?: number;
  /** Keys of the token issuers; default: the bundle's own JWK Set, reported as not trusted. */
  readonly keys?: KeySource | JWKSet | KeyResolver;
  /** Told as the entries are checked (before each, and once at the end): how many, of how many. */
  readonly onProgress?: (checked: number, total: number) => void;
}

function tlogItem(item: string, error: unknown, extra: Partial<BundleItem> = {}): BundleItem {
  const code = error instanceof TlogError ? error.code : undefined;
  return {
    item,
    ok: false,
    ...(code === undefined ? {} : { code }),
    message: (error as Error).message,
    ...extra,
  };
}

/**
 * Checks every item of a bundle; never throws for a bad bundle (only for bad options).
 *
 * @example
 * ```ts
 * import { createECT, exportBundle, generateKeyPair, Ledger, verifyBundle } from 'wimse-ect';
 *
 * const agent = generateKeyPair();
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const wid = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
 * await ledger.append({
 *   token: createECT(
 *     { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x', wid },
 *     { key: agent.privateJwk },
 *   ),
 *   level: 3,
 * });
 * const bundle = await exportBundle({ ledger, wid });
 * // Offline: the auditor's copy of the ledger's verifier key and of the agents' keys.
 * const report = await verifyBundle({
 *   bundle,
 *   ledgerVkey: (await ledger.vkey())!,
 *   keys: { keys: [agent.publicJwk] },
 * });
 * console.log(report.ok, report.entries); // true 1
 * ```
 */
export async function verifyBundle(options: VerifyBundleOptions): Promise<BundleReport> {
  const bundle = typeof options.bundle === 'string' ? parseBundle(options.bundle) : options.bundle;
  const items: BundleItem[] = [];
  const ledger = ledgerVerifier(options.ledgerVkey);

  let checkpoint: VerifiedCheckpoint | undefined;
  try {
    checkpoint = openCheckpoint({ note: bundle.checkpoint, ledger });
    items.push({
      item: 'checkpoint',
      ok: true,
      message: `signed by the ledger ${checkpoint.origin}: ${checkpoint.size} entries, root ${Buffer.from(checkpoint.root).toString('base64')}`,
    });
  } catch (error) {
    items.push(tlogItem('checkpoint', error));
  }

  const witnessVkeys = options.witnessVkeys ?? [];
  if (checkpoint !== undefined && witnessVkeys.length > 0) {
    const min = options.minWitnesses ?? witnessVkeys.length;
    try {
      const valid = requireCosignatures({
        note: bundle.checkpoint,
        witnesses: witnessVkeys.map(ledgerVerifier),
        min,
      });
      items.push({
        item: 'witnesses',
        ok: true,
        message: `cosigned by ${valid.length} of ${witnessVkeys.length} known witnesses (${min} required): ${valid.join(', ')}`,
      });
    } catch (error) {
      items.push(tlogItem('witnesses', error));
    }
  }

  let keys = options.keys;
  if (keys === undefined && bundle.identity?.jwks !== undefined) {
    keys = localJWKSet(bundle.identity.jwks, { setting: 'the bundle' });
    items.push({
      item: 'keys',
      ok: true,
      warning: true,
      message:
        'issuer keys taken from the bundle itself: signatures show integrity, not who signed (give --jwks or --trust)',
    });
  }

  // The auditor is not the tokens' audience: every audience in the bundle is accepted (VER-9).
  const parsed = bundle.entries.map((e) => parseEntry(e.entry));
  const audiences = new Set<string>(['urn:ect:auditor']);
  for (const entry of parsed) {
    try {
      const aud = entry === undefined ? undefined : parseToken(entry.token).payload['aud'];
      for (const a of Array.isArray(aud) ? aud : [aud]) if (typeof a === 'string') audiences.add(a);
    } catch {
      // Reported with the entry.
    }
  }
  let now = 0;
  const verifier = createVerifier({
    audience: [...audiences],
    ...(keys === undefined ? {} : { keys }),
    minLevel: 1,
    replay: false,
    now: () => now,
  });

  const nodes: DagNode[] = [];
  for (const [i, source] of bundle.entries.entries()) {
    options.onProgress?.(i, bundle.entries.length);
    const entry = parsed[i];
    if (entry === undefined) {
      items.push({
        item: 'entry',
        ok: false,
        code: 'TLOG_MALFORMED',
        message: `entries[${i}].entry is not an ect-ledger-entry/v1 text`,
      });
      continue;
    }
    const at = { seq: entry.seq };
    try {
      const proof = parseTlogProof({ text: source.proof });
      if (proof.checkpoint !== bundle.checkpoint)
        throw new TlogError(
          'TLOG_MALFORMED',
          "the proof's checkpoint is not the bundle's checkpoint",
        );
      if (proof.index !== entry.seq - 1)
        throw new TlogError(
          'TLOG_MALFORMED',
          `the proof is for index ${proof.index}, the entry for seq ${entry.seq}`,
        );
      if (checkpoint === undefined)
        throw new TlogError(
          'TLOG_SIGNATURE_INVALID',
          'the checkpoint does not verify, so no inclusion can',
        );
      verifyInclusion({
        index: proof.index,
        size: checkpoint.size,
        leafHash: entryLeafHash(entry),
        proof: proof.proof,
        root: checkpoint.root,
      });
    } catch (error) {
      items.push(tlogItem('entry', error, at));
      continue;
    }
    now = Math.floor(entry.recordedAt / 1000);
    try {
      const result = await verifier.verify(entry.token);
      const claims = result.claims;
      const envelope: Level = entry.token.includes('.') ? 2 : 1;
      if ((entry.level === 1) !== (envelope === 1)) {
        items.push({
          item: 'entry',
          ok: false,
          code: 'ECT_LEVEL_TOO_LOW',
          message: `recorded at level ${entry.level}, but the token is ${envelope === 1 ? 'unsigned (L1)' : 'signed'}`,
          ...at,
          jti: claims.jti,
        });
        continue;
      }
      nodes.push({
        jti: claims.jti,
        wid: claims.wid,
        iat: claims.iat,
        pred: predOf(claims),
        level: entry.level,
        iss: claims.iss,
        exec_act: claims.exec_act,
      });
      items.push({
        item: 'entry',
        ok: true,
        message: `included; level ${entry.level}; ${envelope === 1 ? 'unsigned (L1)' : 'signature valid'}; claims valid at ${new Date(entry.recordedAt).toISOString()}; ${claims.exec_act} by ${claims.iss}`,
        ...at,
        jti: claims.jti,
      });
    } catch (error) {
      if (!isECTError(error)) throw error;
      items.push({ item: 'entry', ok: false, code: error.code, message: error.message, ...at });
    }
  }

  options.onProgress?.(bundle.entries.length, bundle.entries.length);
  const audit = auditWorkflow(nodes);
  items.push(
    audit.ok
      ? {
          item: 'dag',
          ok: true,
          message: `${audit.nodes} tasks, ${audit.roots.length} root(s), every predecessor present, acyclic, in time order`,
        }
      : {
          item: 'dag',
          ok: false,
          code: audit.issues[0]!.code,
          message: audit.issues.map((i) => `${i.code} ${i.jti}: ${i.message}`).join('; '),
        },
  );
  return { ok: items.every((i) => i.ok), entries: bundle.entries.length, items };
}
