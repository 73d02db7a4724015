/**
 * Exporting an evidence bundle (LED-12) from a ledger: the workflow's entries, each with its
 * inclusion proof against one checkpoint that covers them all, chosen as the covering checkpoint
 * with the most witness cosignatures (the newest among equals).
 * @module
 */
import { ECTConfigError } from '../errors.js';
import type { JWKSet } from '../identity/jwks.js';
import { formatEntry } from '../ledger/entry.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerEntry } from '../ledger/types.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from './format.js';

/**
 * Options of `exportBundle`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { exportBundle, type ExportBundleOptions } from 'wimse-ect';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('sqlite:audit.db');
 * const agents = JSON.parse(readFileSync('agents.jwks.json', 'utf8'));
 * const options: ExportBundleOptions = {
 *   ledger,
 *   wid: '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13',
 *   jwks: agents,
 * };
 * const bundle = await exportBundle(options);
 * ```
 */
export interface ExportBundleOptions {
  readonly ledger: Ledger;
  /** The workflow to export; or give `entries`. */
  readonly wid?: string;
  /** Any set of entries (LED-12: "or any set of entries"). */
  readonly seqs?: readonly number[];
  /** The public keys that verified the tokens, to carry along. */
  readonly jwks?: JWKSet;
  /** Clock for `exportedAt` (tests). */
  readonly clock?: () => number;
  /** Told after each inclusion proof is made: how many, of how many entries. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Builds the bundle; throws `ECTConfigError` when there is nothing to export.
 *
 * @example
 * ```ts
 * import { createECT, exportBundle, generateKeyPair, Ledger } from 'wimse-ect';
 *
 * const agent = generateKeyPair();
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const wid = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x', wid },
 *   { key: agent.privateJwk },
 * );
 * await ledger.append({ token, level: 3 });
 * // The workflow's entries, their inclusion proofs, the checkpoint and the issuers' public keys.
 * const bundle = await exportBundle({ ledger, wid, jwks: { keys: [agent.publicJwk] } });
 * ```
 */
export async function exportBundle(options: ExportBundleOptions): Promise<EvidenceBundle> {
  const { ledger } = options;
  let entries: readonly LedgerEntry[];
  if (options.wid !== undefined) {
    entries = await ledger.workflowEntries(options.wid);
    if (entries.length === 0)
      throw new ECTConfigError('--wid', `the ledger has no entry of workflow ${options.wid}`);
  } else if (options.seqs !== undefined && options.seqs.length > 0) {
    const found = await Promise.all(options.seqs.map((seq) => ledger.entryAt(seq)));
    const missing = options.seqs.filter((_, i) => found[i] === undefined);
    if (missing.length > 0)
      throw new ECTConfigError('seq', `the ledger has no entry ${missing.join(', ')}`);
    entries = found as LedgerEntry[];
  } else {
    throw new ECTConfigError('bundle', 'name a workflow (wid) or entries (seqs) to export');
  }
  const last = Math.max(...entries.map((e) => e.seq));
  const size = await coveringCheckpoint(ledger, last);
  const checkpoint = (await ledger.checkpointAt(size))!;
  const meta = (await ledger.meta())!;
  let proved = 0;
  return {
    format: BUNDLE_FORMAT,
    ...(options.wid === undefined ? {} : { wid: options.wid }),
    origin: meta.origin,
    ledgerVkey: meta.vkey,
    checkpoint: checkpoint.note,
    entries: await Promise.all(
      entries.map(async (entry) => {
        const proof = await ledger.prove({ seq: entry.seq, size });
        options.onProgress?.(++proved, entries.length);
        return { entry: formatEntry(entry), proof };
      }),
    ),
    ...(options.jwks === undefined ? {} : { identity: { jwks: publicOnly(options.jwks) } }),
    exportedAt: (options.clock ?? Date.now)(),
  };
}

/** The size of the stored checkpoint covering `seq` with the most cosignatures, newest first. */
async function coveringCheckpoint(ledger: Ledger, seq: number): Promise<number> {
  const latest = await ledger.checkpoint();
  if (latest === undefined || latest.size < seq) {
    throw new ECTConfigError('bundle', `no signed checkpoint covers entry ${seq} yet`);
  }
  const counts = new Map<number, number>();
  for (const row of await ledger.backend.cosignaturesBetween(seq, latest.size)) {
    const size = Number(row['size']);
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  let best = latest.size;
  let most = counts.get(best) ?? 0;
  for (const [size, count] of counts) {
    if (count > most || (count === most && size > best)) [best, most] = [size, count];
  }
  return best;
}

/** A JWK Set without private members, whatever the exporter was given. */
function publicOnly(jwks: JWKSet): JWKSet {
  const PRIVATE = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
  return {
    keys: jwks.keys.map(
      (key) =>
        Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE.has(name))) as never,
    ),
  };
}
