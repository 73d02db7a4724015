/**
 * The evidence bundle (LED-12): one self-contained JSON file with a workflow's (or any set of)
 * ledger entries, each with its C2SP tlog-proof against one signed, cosigned checkpoint, and the
 * identity material that verified the tokens. docs/ledger.md documents the format for checkers
 * in other languages; this module reads it strictly (an unknown member or a wrong type is an
 * error naming the member).
 * @module
 */
import { ECTConfigError } from '../errors.js';
import type { JWKSet } from '../identity/jwks.js';

/**
 * The value of `format`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { BUNDLE_FORMAT } from 'wimse-ect';
 *
 * const looksLikeBundle = (file: string): boolean =>
 *   JSON.parse(readFileSync(file, 'utf8')).format === BUNDLE_FORMAT;
 * ```
 */
export const BUNDLE_FORMAT = 'ect-evidence-bundle/v1';

/**
 * One recorded entry and its inclusion proof.
 *
 * @example
 * ```ts
 * import { parseBundle, parseEntry, type BundleEntry } from 'wimse-ect';
 *
 * function tokensOf(bundleText: string): string[] {
 *   const entries: readonly BundleEntry[] = parseBundle(bundleText).entries;
 *   return entries.map((e) => parseEntry(e.entry)?.token ?? '');
 * }
 * ```
 */
export interface BundleEntry {
  /** The exact entry text of LED-2 (the leaf's bytes): header, seq, level, time, token. */
  readonly entry: string;
  /** The entry's C2SP tlog-proof against `checkpoint` (the same note, verbatim). */
  readonly proof: string;
}

/**
 * An evidence bundle.
 *
 * @example
 * ```ts
 * import { exportBundle, type EvidenceBundle } from 'wimse-ect';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('sqlite:audit.db');
 * const bundle: EvidenceBundle = await exportBundle({
 *   ledger,
 *   wid: '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13',
 * });
 * console.log(bundle.format, bundle.entries.length, bundle.checkpoint);
 * ```
 */
export interface EvidenceBundle {
  readonly format: typeof BUNDLE_FORMAT;
  /** The workflow exported, when it is one. */
  readonly wid?: string;
  /** The checkpoint origin (informative: the auditor's ledger key decides). */
  readonly origin: string;
  /** The ledger's verifier key as the exporter knew it (informative, never trusted). */
  readonly ledgerVkey: string;
  /** The signed checkpoint, with the witnesses' cosignature lines. */
  readonly checkpoint: string;
  readonly entries: readonly BundleEntry[];
  /** The public keys that verified the tokens, when the exporter gave them. */
  readonly identity?: { readonly jwks?: JWKSet };
  /** When the bundle was made, Unix milliseconds. */
  readonly exportedAt: number;
}

function fail(member: string, problem: string): never {
  throw new ECTConfigError('bundle', `member ${member} ${problem}`);
}

function text(value: unknown, member: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(member, 'must be a non-empty string');
  return value;
}

function object(
  value: unknown,
  member: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(member, 'must be an object');
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) fail(`${member}.${key}`, 'is not part of the format');
  return value as Record<string, unknown>;
}

/**
 * Reads a bundle file's text; throws `ECTConfigError` naming what is wrong.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseBundle } from 'wimse-ect';
 *
 * const bundle = parseBundle(readFileSync('workflow.bundle.json', 'utf8'));
 * console.log(bundle.wid, bundle.entries.length);
 * ```
 */
export function parseBundle(source: string): EvidenceBundle {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new ECTConfigError('bundle', `not JSON: ${(error as Error).message}`);
  }
  const top = object(value, '(top level)', [
    'format',
    'wid',
    'origin',
    'ledgerVkey',
    'checkpoint',
    'entries',
    'identity',
    'exportedAt',
  ]);
  if (top['format'] !== BUNDLE_FORMAT) fail('format', `must be "${BUNDLE_FORMAT}"`);
  if (!Array.isArray(top['entries']) || top['entries'].length === 0)
    fail('entries', 'must be a non-empty array');
  const entries = top['entries'].map((e, i) => {
    const entry = object(e, `entries[${i}]`, ['entry', 'proof']);
    return {
      entry: text(entry['entry'], `entries[${i}].entry`),
      proof: text(entry['proof'], `entries[${i}].proof`),
    };
  });
  const exportedAt = top['exportedAt'];
  if (typeof exportedAt !== 'number' || !Number.isSafeInteger(exportedAt))
    fail('exportedAt', 'must be an integer');
  let identity: EvidenceBundle['identity'];
  if (top['identity'] !== undefined) {
    const id = object(top['identity'], 'identity', ['jwks']);
    if (id['jwks'] !== undefined) {
      const jwks = object(id['jwks'], 'identity.jwks', ['keys']);
      if (!Array.isArray(jwks['keys'])) fail('identity.jwks.keys', 'must be an array');
      identity = { jwks: jwks as unknown as JWKSet };
    } else identity = {};
  }
  return {
    format: BUNDLE_FORMAT,
    ...(top['wid'] === undefined ? {} : { wid: text(top['wid'], 'wid') }),
    origin: text(top['origin'], 'origin'),
    ledgerVkey: text(top['ledgerVkey'], 'ledgerVkey'),
    checkpoint: text(top['checkpoint'], 'checkpoint'),
    entries,
    ...(identity === undefined ? {} : { identity }),
    exportedAt,
  };
}

/**
 * The bundle as file text (two-space JSON, a final newline).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { exportBundle, formatBundle } from 'wimse-ect';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('sqlite:audit.db');
 * const bundle = await exportBundle({ ledger, wid: '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13' });
 * writeFileSync('workflow.bundle.json', formatBundle(bundle));
 * ```
 */
export function formatBundle(bundle: EvidenceBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}
