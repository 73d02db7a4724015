/**
 * The explorer's view of a ledger opened without its key. The index is paged server-side with the
 * ledger's own indexes only (no schema object is added: a ledger whose schema differs is reported
 * as damaged): it walks the log backwards by `seq` (the primary key) and summarises each workflow
 * with one `(wid, seq)` index read; `jti` searches use the `jti` index; a time range is turned
 * into a `seq` range by binary search (recording times grow with `seq`); `iss` and `exec_act`,
 * which no index covers, are searched in bounded steps that report how far they got.
 * @module
 */
import { exportBundle } from '../../bundle/export.js';
import { formatBundle } from '../../bundle/format.js';
import { renderMermaid } from '../../dag/render.js';
import { ECTConfigError } from '../../errors.js';
import { canonicalId } from '../../format/task-key.js';
import type { JWKSet } from '../../identity/jwks.js';
import { formatEntry } from '../../ledger/entry.js';
import { entryToNode, type Ledger } from '../../ledger/ledger.js';
import { decodeEntryRow } from '../../ledger/rows.js';
import type { LedgerEntry } from '../../ledger/types.js';
import type {
  EntryView,
  IndexPage,
  IndexQuery,
  IntegrityEvent,
  ProofSet,
  StatusView,
  WorkflowRow,
  WorkflowView,
} from '../api.js';
import {
  DEFAULT_PAGE_ROWS,
  MAX_PAGE_ROWS,
  MAX_PROOF_SET,
  type ExplorerSource,
  type WorkflowKey,
} from './source.js';
import { damagedRow, matchesQuery, workflowRow, workflowView } from './summary.js';
import type { TokenChecker } from './token-check.js';

/** Entries read per step of the backward walk. */
const WALK_STEP = 500;
/** Most entries one index request examines: a search without an index stops there. */
const MAX_SCAN = 20_000;

/** Options of `ledgerSource`. */
export interface LedgerSourceOptions {
  /** A ledger opened without its key (read-only). */
  readonly ledger: Ledger;
  readonly tokens: TokenChecker;
  /** The auditor's copy of the ledger's verifier key, when given on the command line. */
  readonly ledgerVkey?: string;
  /** The issuers' public keys, carried in exported bundles (as `ect bundle export --jwks`). */
  readonly jwks?: JWKSet;
  /** The ledger's location for the status page (redacted). */
  readonly location: string;
}

/** The recording time of the entry at `seq`, read from its raw row. */
async function recordedAt(ledger: Ledger, seq: number): Promise<number> {
  const [row] = await ledger.backend.entriesFrom(seq, 1);
  return row === undefined ? Number.POSITIVE_INFINITY : decodeEntryRow(row).recordedAt;
}

/** The first seq in 1..size+1 whose time is ≥ `time` (binary search; times grow with seq). */
async function firstSeqFrom(ledger: Ledger, size: number, time: number): Promise<number> {
  let lo = 1;
  let hi = size + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await recordedAt(ledger, mid)) >= time) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Where a workflow's row belongs: its last entry matching the query at or below `upper`. */
function lastMatch(entries: readonly LedgerEntry[], query: IndexQuery, upper: number): number {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.seq <= upper && matchesQuery(entry, query)) return entry.seq;
  }
  return 0;
}

class LedgerSource implements ExplorerSource {
  readonly #ledger: Ledger;
  readonly #tokens: TokenChecker;
  readonly #options: LedgerSourceOptions;
  #integrity: Promise<void> | undefined;
  readonly #listeners = new Set<(event: IntegrityEvent) => void>();

  constructor(options: LedgerSourceOptions) {
    this.#ledger = options.ledger;
    this.#tokens = options.tokens;
    this.#options = options;
  }

  async status(): Promise<StatusView> {
    const meta = await this.#ledger.meta();
    const checkpoint = await this.#ledger.checkpoint();
    const given = this.#options.ledgerVkey;
    return {
      mode: 'ledger',
      location: this.#options.location,
      origin: meta?.origin ?? null,
      vkey: given ?? meta?.vkey ?? null,
      vkeySource: given === undefined ? 'ledger' : 'command line',
      size: await this.#ledger.size(),
      checkpoint: checkpoint?.note ?? null,
      keys: this.#tokens.description,
    };
  }

  async index(query: IndexQuery): Promise<IndexPage> {
    const ledger = this.#ledger;
    const size = await ledger.size();
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS);
    let upper = Math.min(size, (query.before ?? size + 1) - 1);
    let lower = 1;
    if (query.from !== undefined) lower = await firstSeqFrom(ledger, size, query.from);
    if (query.to !== undefined) {
      upper = Math.min(upper, (await firstSeqFrom(ledger, size, query.to + 1)) - 1);
    }
    if (query.jti !== undefined) return this.#byJti({ query, limit, lower, upper, size });
    const rows: WorkflowRow[] = [];
    const decided = new Set<string>();
    let scanned = 0;
    let cursor = upper;
    while (cursor >= lower && rows.length < limit && scanned < MAX_SCAN) {
      const start = Math.max(lower, cursor - WALK_STEP + 1);
      const page = await ledger.backend.entriesFrom(start, cursor - start + 1);
      for (let i = page.length - 1; i >= 0 && rows.length < limit; i--) {
        const raw = page[i]!;
        scanned++;
        let entry: LedgerEntry;
        try {
          entry = decodeEntryRow(raw);
        } catch (error) {
          rows.push(damagedRow({ wid: null, seq: Number(raw['seq']), error }));
          cursor = Number(raw['seq']) - 1;
          continue;
        }
        cursor = entry.seq - 1;
        if (!matchesQuery(entry, query)) continue;
        const row = await this.#rowAt(entry, { query, upper, decided });
        if (row !== undefined) rows.push(row);
      }
      if (page.length === 0) break;
    }
    return { rows, next: cursor >= lower ? cursor + 1 : null, scanned, size };
  }

  /** The row of `entry`'s workflow if `entry` is where it belongs, else undefined. */
  async #rowAt(
    entry: LedgerEntry,
    context: { query: IndexQuery; upper: number; decided: Set<string> },
  ): Promise<WorkflowRow | undefined> {
    if (entry.wid === undefined) return workflowRow({ entries: [entry], seq: entry.seq });
    if (context.decided.has(entry.wid)) return undefined;
    context.decided.add(entry.wid);
    try {
      const entries = await this.#ledger.workflowEntries(entry.wid);
      // Listed once, at its last matching entry: a later one means an earlier page has it.
      if (lastMatch(entries, context.query, context.upper) !== entry.seq) return undefined;
      return workflowRow({ entries, seq: entry.seq });
    } catch (error) {
      return damagedRow({ wid: entry.wid, seq: entry.seq, error });
    }
  }

  async #byJti(options: {
    query: IndexQuery;
    limit: number;
    lower: number;
    upper: number;
    size: number;
  }): Promise<IndexPage> {
    const { query, limit, lower, upper, size } = options;
    const entries = (await this.#ledger.backend.entriesByJti(canonicalId(query.jti!)))
      .map(decodeEntryRow)
      .filter((e) => e.seq >= lower && e.seq <= upper && matchesQuery(e, query))
      .reverse();
    const rows: WorkflowRow[] = [];
    const decided = new Set<string>();
    for (const entry of entries.slice(0, limit)) {
      const row = await this.#rowAt(entry, { query, upper, decided });
      if (row !== undefined) rows.push(row);
    }
    const last = entries[Math.min(limit, entries.length) - 1];
    const next = entries.length > limit && last !== undefined ? last.seq : null;
    return { rows, next, scanned: entries.length, size };
  }

  async #entries(key: WorkflowKey): Promise<readonly LedgerEntry[]> {
    if ('wid' in key) return this.#ledger.workflowEntries(key.wid);
    const entry = await this.#ledger.entryAt(key.seq);
    return entry === undefined ? [] : [entry];
  }

  async workflow(key: WorkflowKey): Promise<WorkflowView | undefined> {
    const entries = await this.#entries(key);
    if (entries.length === 0) return undefined;
    return workflowView({ entries, signatures: await this.#tokens.check(entries) });
  }

  async entry(seq: number): Promise<EntryView | undefined> {
    const entry = await this.#ledger.entryAt(seq);
    if (entry === undefined) return undefined;
    const [signature] = await this.#tokens.check([entry]);
    const proof = await this.#ledger.prove({ seq });
    return { seq, entry: formatEntry(entry), proof, signature: signature! };
  }

  async proofs(key: WorkflowKey): Promise<ProofSet | undefined> {
    const entries = await this.#entries(key);
    if (entries.length === 0) return undefined;
    if (entries.length > MAX_PROOF_SET) return { checkpoint: null, entries: [], limited: true };
    const made = await exportBundle({ ledger: this.#ledger, seqs: entries.map((e) => e.seq) });
    return { checkpoint: made.checkpoint, entries: made.entries, limited: false };
  }

  async bundle(key: WorkflowKey): Promise<string | undefined> {
    const entries = await this.#entries(key);
    if (entries.length === 0) return undefined;
    const jwks = this.#options.jwks;
    const made = await exportBundle({
      ledger: this.#ledger,
      ...('wid' in key ? { wid: key.wid } : { seqs: [key.seq] }),
      ...(jwks === undefined ? {} : { jwks }),
    });
    return formatBundle(made);
  }

  async mermaid(key: WorkflowKey): Promise<string | undefined> {
    const entries = await this.#entries(key);
    return entries.length === 0 ? undefined : `${renderMermaid(entries.map(entryToNode))}\n`;
  }

  /** One run at a time: a second request follows the run in progress. */
  integrity(onEvent: (event: IntegrityEvent) => void): Promise<void> {
    this.#listeners.add(onEvent);
    this.#integrity ??= this.#runIntegrity().finally(() => {
      this.#integrity = undefined;
      this.#listeners.clear();
    });
    return this.#integrity;
  }

  async #runIntegrity(): Promise<void> {
    const emit = (event: IntegrityEvent): void => this.#listeners.forEach((l) => l(event));
    try {
      const total = await this.#ledger.size();
      emit({ type: 'progress', checked: 0, total });
      const vkey = this.#options.ledgerVkey;
      const report = await this.#ledger.verifyIntegrity({
        ...(vkey === undefined ? {} : { ledgerVkey: vkey }),
        onProgress: (checked) => emit({ type: 'progress', checked, total }),
      });
      const bad = report.firstBad;
      emit({
        type: 'done',
        ok: report.ok,
        summary: report.ok
          ? `integrity verified: ${report.checked} entries, ${report.checkpoints} checkpoints, ` +
            `${report.cosignatures} cosignatures; root ${report.root ?? '(empty)'}`
          : `INTEGRITY CHECK FAILED after ${report.checked} entries`,
        ...(bad === undefined
          ? {}
          : {
              problem: [bad.table, bad.seq, bad.column, bad.reason]
                .filter((p) => p !== undefined)
                .join(' '),
            }),
      });
    } catch (error) {
      const message = error instanceof ECTConfigError ? error.message : String(error);
      emit({ type: 'error', message });
    }
  }

  async close(): Promise<void> {
    await this.#ledger.close();
  }
}

/** The explorer's view of a ledger. */
export function ledgerSource(options: LedgerSourceOptions): ExplorerSource {
  return new LedgerSource(options);
}
