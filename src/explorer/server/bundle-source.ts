/**
 * The explorer's view of one evidence bundle (LED-12), read from its file: no database. The
 * bundle's own `ledgerVkey` is what the exporter claimed; the page says so and checks with the
 * auditor's key when one is given (`--ledger-vkey`, or pinned in the page).
 * @module
 */
import { readFileSync } from 'node:fs';
import { formatBundle, parseBundle, type EvidenceBundle } from '../../bundle/format.js';
import { verifyBundle } from '../../bundle/verify.js';
import { renderMermaid } from '../../dag/render.js';
import { ECTConfigError } from '../../errors.js';
import { parseToken } from '../../format/parse.js';
import { canonicalId } from '../../format/task-key.js';
import type { ECTClaims } from '../../format/types.js';
import type { KeySource } from '../../identity/key-source.js';
import { parseEntry } from '../../ledger/entry.js';
import { entryToNode } from '../../ledger/ledger.js';
import { predOf } from '../../ledger/rows.js';
import type { LedgerEntry } from '../../ledger/types.js';
import type {
  EntryView,
  IndexPage,
  IndexQuery,
  IntegrityEvent,
  ProofSet,
  StatusView,
  WorkflowView,
} from '../api.js';
import {
  DEFAULT_PAGE_ROWS,
  MAX_PAGE_ROWS,
  type ExplorerSource,
  type WorkflowKey,
} from './source.js';
import { matchesQuery, workflowRow, workflowView } from './summary.js';
import type { TokenChecker } from './token-check.js';

/** Options of `bundleSource`. */
export interface BundleSourceOptions {
  /** The bundle file. */
  readonly file: string;
  readonly tokens: TokenChecker;
  /** The issuers' keys, for the bundle check (the bundle's own keys otherwise, with a warning). */
  readonly keys?: KeySource;
  /** The auditor's copy of the ledger's verifier key. */
  readonly ledgerVkey?: string;
}

/** An entry of the bundle, decoded, with its proof. */
interface Item {
  readonly entry: LedgerEntry;
  readonly text: string;
  readonly proof: string;
}

/** Reads the bundle file; a file that is not one is a configuration error naming the file. */
function readBundle(file: string): EvidenceBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ECTConfigError('--bundle', `${file} cannot be read (${code})`);
  }
  try {
    return parseBundle(text);
  } catch (error) {
    if (error instanceof ECTConfigError) {
      throw new ECTConfigError('--bundle', `${file} is not an evidence bundle: ${error.message}`);
    }
    throw error;
  }
}

/** The bundle's entries that decode, by seq (the first of a repeated seq). */
function decodeItems(bundle: EvidenceBundle): Item[] {
  const items = new Map<number, Item>();
  for (const source of bundle.entries) {
    const entry = parseEntry(source.entry);
    if (entry === undefined || items.has(entry.seq)) continue;
    let payload: Record<string, unknown>;
    try {
      payload = parseToken(entry.token).payload;
    } catch {
      continue;
    }
    const jti = payload['jti'];
    const wid = payload['wid'];
    if (typeof jti !== 'string') continue;
    const claims = {
      ...payload,
      iss: typeof payload['iss'] === 'string' ? payload['iss'] : '',
      exec_act: typeof payload['exec_act'] === 'string' ? payload['exec_act'] : '',
      iat: typeof payload['iat'] === 'number' ? payload['iat'] : 0,
      pred: predOf(payload),
    } as unknown as ECTClaims;
    items.set(entry.seq, {
      entry: {
        ...entry,
        jti: canonicalId(jti),
        wid: typeof wid === 'string' ? canonicalId(wid) : undefined,
        claims,
      },
      text: source.entry,
      proof: source.proof,
    });
  }
  return [...items.values()].sort((a, b) => a.entry.seq - b.entry.seq);
}

class BundleSource implements ExplorerSource {
  readonly #bundle: EvidenceBundle;
  readonly #items: readonly Item[];
  readonly #options: BundleSourceOptions;

  constructor(options: BundleSourceOptions) {
    this.#options = options;
    this.#bundle = readBundle(options.file);
    this.#items = decodeItems(this.#bundle);
  }

  async status(): Promise<StatusView> {
    const given = this.#options.ledgerVkey;
    return {
      mode: 'bundle',
      location: this.#options.file,
      origin: this.#bundle.origin,
      vkey: given ?? this.#bundle.ledgerVkey,
      vkeySource: given === undefined ? 'bundle' : 'command line',
      size: this.#items.length,
      checkpoint: this.#bundle.checkpoint,
      keys: this.#options.tokens.description,
    };
  }

  async index(query: IndexQuery): Promise<IndexPage> {
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS);
    const before = query.before ?? Number.POSITIVE_INFINITY;
    // Each workflow at its last matching entry, newest first (a bundle is small: all in memory).
    const placed = new Map<string, number>();
    for (const { entry } of this.#items) {
      if (entry.seq >= before || !matchesQuery(entry, query)) continue;
      placed.set(entry.wid ?? `#${entry.seq}`, entry.seq);
    }
    const order = [...placed].sort((a, b) => b[1] - a[1]);
    const rows = order.slice(0, limit).map(([key, seq]) => {
      const entries = key.startsWith('#')
        ? this.#items.filter((i) => i.entry.seq === seq)
        : this.#items.filter((i) => i.entry.wid === key);
      return workflowRow({ entries: entries.map((i) => i.entry), seq });
    });
    const next = order.length > limit ? order[limit - 1]![1] : null;
    return { rows, next, scanned: this.#items.length, size: this.#items.length };
  }

  #select(key: WorkflowKey): Item[] {
    if ('seq' in key) return this.#items.filter((i) => i.entry.seq === key.seq);
    const wid = canonicalId(key.wid);
    return this.#items.filter((i) => i.entry.wid === wid);
  }

  async workflow(key: WorkflowKey): Promise<WorkflowView | undefined> {
    const items = this.#select(key);
    if (items.length === 0) return undefined;
    const entries = items.map((i) => i.entry);
    return workflowView({ entries, signatures: await this.#options.tokens.check(entries) });
  }

  async entry(seq: number): Promise<EntryView | undefined> {
    const item = this.#items.find((i) => i.entry.seq === seq);
    if (item === undefined) return undefined;
    const [signature] = await this.#options.tokens.check([item.entry]);
    return { seq, entry: item.text, proof: item.proof, signature: signature! };
  }

  async proofs(key: WorkflowKey): Promise<ProofSet | undefined> {
    const items = this.#select(key);
    if (items.length === 0) return undefined;
    const entries = items.map((i) => ({ entry: i.text, proof: i.proof }));
    return { checkpoint: this.#bundle.checkpoint, entries, limited: false };
  }

  async bundle(key: WorkflowKey): Promise<string | undefined> {
    return this.#select(key).length === 0 ? undefined : formatBundle(this.#bundle);
  }

  async mermaid(key: WorkflowKey): Promise<string | undefined> {
    const items = this.#select(key);
    if (items.length === 0) return undefined;
    return `${renderMermaid(items.map((i) => entryToNode(i.entry)))}\n`;
  }

  async integrity(onEvent: (event: IntegrityEvent) => void): Promise<void> {
    const given = this.#options.ledgerVkey;
    try {
      const report = await verifyBundle({
        bundle: this.#bundle,
        ledgerVkey: given ?? this.#bundle.ledgerVkey,
        ...(this.#options.keys === undefined ? {} : { keys: this.#options.keys }),
        onProgress: (checked, total) => onEvent({ type: 'progress', checked, total }),
      });
      const failed = report.items.find((i) => !i.ok);
      const whose =
        given === undefined
          ? " (checked with the bundle's own ledgerVkey: give --ledger-vkey for the ledger's)"
          : '';
      onEvent({
        type: 'done',
        ok: report.ok,
        summary: report.ok
          ? `bundle verified: ${report.entries} entries${whose}`
          : `BUNDLE DOES NOT VERIFY${whose}`,
        ...(failed === undefined
          ? {}
          : {
              problem: `${failed.item}${failed.seq === undefined ? '' : ` ${failed.seq}`}: ${
                failed.code ?? ''
              } ${failed.message}`,
            }),
      });
    } catch (error) {
      onEvent({ type: 'error', message: (error as Error)?.message ?? String(error) });
    }
  }

  async close(): Promise<void> {}
}

/** The explorer's view of an evidence bundle file; throws `ECTConfigError` for a bad file. */
export function bundleSource(options: BundleSourceOptions): ExplorerSource {
  return new BundleSource(options);
}
