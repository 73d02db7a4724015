/**
 * Integrity verification of a stored ledger (LED-1, LED-2, LED-10, LED-11). One pass over the
 * entries in seq order re-derives every stored value from the entry and compares it with every
 * column of every table: entries, the predecessor index, the tree nodes (recomputed), the signed
 * checkpoints (signature, size and root), the cosignatures, and the ledger's identity. It names
 * the first bad entry or row and its column, and never repairs anything.
 *
 * What it can and cannot see alone (docs/ledger.md has the threat model): a database writer who
 * edits, inserts, swaps or deletes rows is caught by the signed checkpoints, unless they also
 * rewrite the checkpoints, which needs the ledger's key, or replace the stored verifier key, which
 * `ledgerVkey` (the key the auditor trusts) catches. Anchors (checkpoints or receipts a client
 * kept) catch truncation of the newest entries together with their checkpoints.
 * @module
 */
import { TlogError } from '../tlog/errors.js';
import { parseNote, type NoteVerifier } from '../tlog/note.js';
import { appendLeaves, rootFromFrontier, storedHashCount } from '../tlog/stored-hash.js';
import { countCosignatures, ledgerVerifier, openCheckpoint } from './checkpoints.js';
import { entryLeafHash, type Entry } from './entry.js';
import { checkReceiptProof } from './receipt.js';
import {
  deriveRows,
  ENTRY_COLUMNS,
  firstDifferentColumn,
  LedgerRowError,
  normalizeValue,
  PRED_COLUMNS,
  safeInteger,
} from './rows.js';
import type { IntegrityProblem, IntegrityReport, LedgerBackend } from './types.js';

/**
 * A checkpoint or receipt a client kept, to check the stored ledger against (LED-10).
 *
 * @example
 * ```ts
 * import { Ledger, type IntegrityAnchor } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const kept = await ledger.checkpoint(); // a client keeps a checkpoint…
 * const anchors: IntegrityAnchor[] = kept
 *   ? [{ kind: 'checkpoint', note: kept.note, source: 'monday' }]
 *   : [];
 * // …and later checks that the ledger still contains it (LED-10).
 * console.log((await ledger.verifyIntegrity({ anchors })).ok);
 * ```
 */
export type IntegrityAnchor =
  | { readonly kind: 'checkpoint'; readonly note: string; readonly source: string }
  | {
      readonly kind: 'receipt';
      readonly seq: number;
      readonly leafHash: string;
      readonly proof: string;
      readonly source: string;
    };

/**
 * Options of `verifyLedgerIntegrity`.
 *
 * @example
 * ```ts
 * import { Ledger, type IntegrityOptions } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const vkey = await ledger.vkey();
 * const options: Omit<IntegrityOptions, 'backend'> = {
 *   ...(vkey === undefined ? {} : { ledgerVkey: vkey }),
 *   onProgress: (checked) => process.stderr.write(`\r${checked} entries checked`),
 * };
 * const report = await ledger.verifyIntegrity(options);
 * ```
 */
export interface IntegrityOptions {
  readonly backend: LedgerBackend;
  /** The ledger's verifier key as the auditor knows it; default: the one stored in the ledger. */
  readonly ledgerVkey?: string;
  readonly anchors?: readonly IntegrityAnchor[];
  /** Witness cosignature keys (vkeys) the auditor trusts (LED-11). */
  readonly witnessVkeys?: readonly string[];
  /** How many of them must have cosigned the latest checkpoint (default: all given). */
  readonly minWitnesses?: number;
  /** Called with the number of entries checked so far (progress). */
  readonly onProgress?: (checked: number) => void;
}

const PAGE = 1000;
type Row = Readonly<Record<string, unknown>>;

/** A point of the walk where a root must match: a stored checkpoint or an anchor. */
interface RootCheck {
  readonly size: number;
  readonly root: Uint8Array;
  readonly problem: IntegrityProblem;
}

class Found extends Error {
  constructor(readonly problem: IntegrityProblem) {
    super(problem.reason);
  }
}

function fail(problem: IntegrityProblem): never {
  throw new Found(problem);
}

/** Runs the full check; the report names the first problem. */
export async function verifyLedgerIntegrity(options: IntegrityOptions): Promise<IntegrityReport> {
  const counts = { checked: 0, checkpoints: 0, anchors: 0, cosignatures: 0 };
  let size = 0;
  let root: Uint8Array | undefined;
  try {
    const schema = await options.backend.schemaProblems();
    if (schema.length > 0) fail({ table: 'schema', reason: schema.join('; ') });
    const verifier = await ledgerKey(options);
    const walk = await walkEntries({ options, verifier, counts });
    size = walk.size;
    root = walk.root;
    if (verifier !== undefined) {
      counts.cosignatures = await checkCosignatures({ options, size, verifier });
    }
    return {
      ok: true,
      ...counts,
      size,
      root: Buffer.from(root).toString('base64'),
    };
  } catch (error) {
    const problem = asProblem(error);
    // A changed tree node is blamed at the next signed root: count only the entries before it.
    const before =
      problem.seq !== undefined && ['entries', 'preds', 'nodes'].includes(problem.table);
    const checked = before ? Math.min(counts.checked, problem.seq - 1) : counts.checked;
    return { ok: false, ...counts, checked, size, firstBad: problem };
  }
}

function asProblem(error: unknown): IntegrityProblem {
  if (error instanceof Found) return error.problem;
  if (error instanceof LedgerRowError) {
    const seq = typeof error.seq === 'number' ? error.seq : undefined;
    return {
      table: error.table,
      column: error.column,
      reason: error.message,
      ...(seq === undefined ? {} : { seq }),
    };
  }
  throw error;
}

/** The verifier key to check checkpoints with: the auditor's, which must be the stored one. */
async function ledgerKey(options: IntegrityOptions): Promise<NoteVerifier | undefined> {
  let meta;
  try {
    meta = await options.backend.readMeta();
  } catch (error) {
    fail({ table: 'meta', reason: (error as Error).message });
  }
  if (options.ledgerVkey !== undefined) {
    const pinned = ledgerVerifier(options.ledgerVkey);
    if (meta !== undefined && meta.vkey !== options.ledgerVkey.trim()) {
      fail({
        table: 'meta',
        column: 'vkey',
        reason: `the stored verifier key ${meta.vkey} is not the ledger key given (${options.ledgerVkey.trim()})`,
      });
    }
    return pinned;
  }
  if (meta === undefined) return undefined;
  let verifier: NoteVerifier;
  try {
    verifier = ledgerVerifier(meta.vkey);
  } catch (error) {
    fail({ table: 'meta', column: 'vkey', reason: (error as Error).message });
  }
  if (verifier.name !== meta.origin) {
    fail({
      table: 'meta',
      column: 'origin',
      reason: `the origin ${meta.origin} is not the key's name ${verifier.name}`,
    });
  }
  return verifier;
}

/** The roots the walk must meet: every stored checkpoint and every anchor, by size. */
async function rootChecks(
  options: IntegrityOptions,
  verifier: NoteVerifier | undefined,
): Promise<{
  stored: RootCheck[];
  anchors: RootCheck[];
}> {
  const stored: RootCheck[] = [];
  for (let from = 0; ;) {
    const page = await options.backend.checkpointsFrom(from, PAGE);
    for (const row of page) {
      const size = safeInteger(
        row['size'],
        (p) =>
          new Found({ table: 'checkpoints', column: 'size', reason: `a checkpoint size ${p}` }),
      );
      const problem = (reason: string, column = 'note'): IntegrityProblem => ({
        table: 'checkpoints',
        seq: size,
        column,
        reason,
      });
      if (verifier === undefined)
        fail(problem('the ledger has checkpoints but no verifier key (meta rows missing)', 'size'));
      let checkpoint;
      try {
        checkpoint = openCheckpoint({ note: String(row['note']), ledger: verifier });
      } catch (error) {
        fail(
          problem(`the checkpoint of size ${size} does not verify: ${(error as Error).message}`),
        );
      }
      if (checkpoint.size !== size)
        fail(problem(`the note is for size ${checkpoint.size}`, 'size'));
      stored.push({
        size,
        root: checkpoint.root,
        problem: problem(
          `the checkpoint of size ${size} has another root than the entries give (an entry or tree row was changed)`,
        ),
      });
      from = size + 1;
    }
    if (page.length < PAGE) break;
  }
  const anchors: RootCheck[] = [];
  for (const anchor of options.anchors ?? []) {
    const problem = (reason: string): IntegrityProblem => ({
      table: 'anchor',
      reason: `${anchor.source}: ${reason}`,
    });
    if (verifier === undefined)
      fail(problem('the ledger is empty and has no key; it cannot match an anchor'));
    try {
      const checkpoint =
        anchor.kind === 'checkpoint'
          ? openCheckpoint({ note: anchor.note, ledger: verifier })
          : checkReceiptProof({ receipt: anchor, ledger: verifier });
      anchors.push({
        size: checkpoint.size,
        root: checkpoint.root,
        problem: problem(
          `the ledger's first ${checkpoint.size} entries do not give the root this anchor signed (history was rewritten)`,
        ),
      });
    } catch (error) {
      if (error instanceof Found) throw error;
      fail(problem(`does not verify with the ledger key: ${(error as Error).message}`));
    }
  }
  return { stored, anchors };
}

/** The walk: entries, predecessor rows and nodes in lockstep, roots at every checkpoint. */
async function walkEntries(input: {
  options: IntegrityOptions;
  verifier: NoteVerifier | undefined;
  counts: { checked: number; checkpoints: number; anchors: number };
}): Promise<{ size: number; root: Uint8Array }> {
  const { options, counts } = input;
  const { backend } = options;
  const { stored, anchors } = await rootChecks(options, input.verifier);
  const checks = [...stored, ...anchors].sort((a, b) => a.size - b.size);
  let next = 0;
  // The first stored node that differs from the recomputed tree. Whether the node or the entry
  // under it was changed is decided by the next signed root: if the entries still give it, the
  // node is at fault; if not, the entry is.
  let suspect: { seq: number; id: number; column: string } | undefined;
  const meet = (size: number, frontier: readonly Uint8Array[]): void => {
    while (next < checks.length && checks[next]!.size === size) {
      const check = checks[next++]!;
      const rootOk = Buffer.from(rootFromFrontier({ frontier })).equals(Buffer.from(check.root));
      if (!rootOk && suspect !== undefined) fail(entryChanged(suspect));
      if (!rootOk) fail(check.problem);
      if (suspect !== undefined) fail(nodeChanged(suspect));
      if (stored.includes(check)) counts.checkpoints++;
      else counts.anchors++;
    }
  };
  let frontier: Uint8Array[] = [];
  let size = 0;
  let nodeId = 0;
  meet(0, frontier);
  for (;;) {
    const page = await backend.entriesFrom(size + 1, PAGE);
    if (page.length === 0) break;
    const last = size + page.length;
    const preds = await backend.predsBetween(size + 1, last + 1);
    const nodes = await backend.nodesFrom(nodeId, storedHashCount({ size: last }) - nodeId);
    let predAt = 0;
    let nodeAt = 0;
    for (const row of page) {
      const seq = size + 1;
      const entry = readEntry(row, seq);
      let derived;
      try {
        derived = deriveRows(entry);
      } catch (error) {
        fail({
          table: 'entries',
          seq,
          column: 'token',
          reason: `the recorded token no longer parses (${(error as Error).message})`,
        });
      }
      const column = firstDifferentColumn({
        columns: ENTRY_COLUMNS,
        stored: row,
        derived: derived.entry,
      });
      if (column !== undefined) {
        fail({
          table: 'entries',
          seq,
          column,
          reason: `entry ${seq}: column ${column} does not match the value derived from the entry`,
        });
      }
      for (const expected of derived.preds) {
        const got = preds[predAt++];
        const bad =
          got === undefined
            ? 'pred'
            : firstDifferentColumn({ columns: PRED_COLUMNS, stored: got, derived: expected });
        if (bad !== undefined) {
          fail({
            table: 'preds',
            seq,
            column: bad,
            reason: `entry ${seq}: the predecessor index does not match its pred claim (expected ${expected.pred})`,
          });
        }
      }
      if (preds[predAt] !== undefined && normalizeValue(preds[predAt]!['seq'], 'integer') === seq) {
        fail({
          table: 'preds',
          seq,
          column: 'pred',
          reason: `entry ${seq}: the predecessor index has a row its pred claim does not name`,
        });
      }
      const appended = appendLeaves({ size, frontier, leafHashes: [entryLeafHash(entry)] });
      for (const node of appended.stored) {
        const got = nodes[nodeAt++];
        const gotId = got === undefined ? undefined : normalizeValue(got['id'], 'integer');
        if (got === undefined || gotId !== node.id) {
          fail({
            table: 'nodes',
            seq,
            column: 'id',
            reason: `entry ${seq}: tree node ${node.id} is missing`,
          });
        }
        const storedHash = normalizeValue(got['hash'], 'bytes');
        if (storedHash !== Buffer.from(node.hash).toString('base64') && suspect === undefined) {
          const leaf = node.id === appended.stored[0]!.id;
          suspect = { seq, id: node.id, column: leaf ? changedColumn(entry, storedHash) : 'hash' };
        }
      }
      frontier = appended.frontier;
      nodeId = appended.stored.at(-1)!.id + 1;
      size = seq;
      counts.checked = size;
      meet(size, frontier);
    }
    if (preds[predAt] !== undefined) {
      const seq = Number(normalizeValue(preds[predAt]!['seq'], 'integer'));
      fail({
        table: 'preds',
        seq,
        column: 'seq',
        reason: `a predecessor row names entry ${seq}, which has no such pred`,
      });
    }
    options.onProgress?.(size);
    if (page.length < PAGE) break;
  }
  const extraNode = (await backend.nodesFrom(nodeId, 1))[0];
  if (extraNode !== undefined) {
    fail({
      table: 'nodes',
      column: 'id',
      reason: `tree node ${String(extraNode['id'])} lies beyond the ${size} entries (entries were removed)`,
    });
  }
  const extraPred = (await backend.predsBetween(size + 1, Number.MAX_SAFE_INTEGER))[0];
  if (extraPred !== undefined) {
    fail({
      table: 'preds',
      column: 'seq',
      reason: `a predecessor row names entry ${String(extraPred['seq'])}, beyond the ${size} entries (entries were removed)`,
    });
  }
  if (next < checks.length) {
    const check = checks[next]!;
    const kind = stored.includes(check) ? 'a stored checkpoint' : 'an anchor';
    fail({
      ...check.problem,
      reason: `${kind} covers ${check.size} entries but the ledger has ${size} (entries were removed): ${check.problem.reason.split(':')[0]}`,
    });
  }
  if (suspect !== undefined) fail(entryChanged(suspect));
  const latest = stored.at(-1);
  if (size > 0 && (latest === undefined || latest.size < size)) {
    fail({
      table: 'checkpoints',
      seq: latest?.size ?? 0,
      column: 'size',
      reason: `entries ${(latest?.size ?? 0) + 1} to ${size} are covered by no signed checkpoint (a checkpoint was removed, or entries were added outside the ledger)`,
    });
  }
  return { size, root: rootFromFrontier({ frontier }) };
}

/** Which recorded field of an entry was changed, when the stored leaf tells (only `level` can). */
function changedColumn(entry: Entry, storedLeaf: unknown): string {
  for (const level of [1, 2, 3] as const) {
    if (level === entry.level) continue;
    if (Buffer.from(entryLeafHash({ ...entry, level })).toString('base64') === storedLeaf)
      return 'level';
  }
  return 'token or recorded_at';
}

function entryChanged(suspect: { seq: number; column: string }): IntegrityProblem {
  return {
    table: 'entries',
    seq: suspect.seq,
    column: suspect.column,
    reason: `entry ${suspect.seq} is not the entry that was recorded and signed: its ${suspect.column} was changed (its leaf hash and the signed root differ)`,
  };
}

function nodeChanged(suspect: { seq: number; id: number }): IntegrityProblem {
  return {
    table: 'nodes',
    seq: suspect.seq,
    column: 'hash',
    reason: `tree node ${suspect.id} (entry ${suspect.seq}) was changed: the entries still give the signed root`,
  };
}

function readEntry(row: Row, expectedSeq: number): Entry {
  const bad =
    (column: string) =>
    (problem: string): Found =>
      new Found({
        table: 'entries',
        seq: expectedSeq,
        column,
        reason: `entry ${expectedSeq}: column ${column} ${problem}`,
      });
  const seq = safeInteger(row['seq'], bad('seq'));
  if (seq !== expectedSeq) {
    fail({
      table: 'entries',
      seq: expectedSeq,
      column: 'seq',
      reason: `expected entry ${expectedSeq}, found ${seq} (an entry was removed or reordered)`,
    });
  }
  const level = safeInteger(row['level'], bad('level'));
  if (level !== 1 && level !== 2 && level !== 3) throw bad('level')(`is ${level}, not 1, 2 or 3`);
  const recordedAt = safeInteger(row['recorded_at'], bad('recorded_at'));
  const token = row['token'];
  if (typeof token !== 'string') throw bad('token')('is not text');
  return { seq, level, recordedAt, token };
}

/** LED-11: every cosignature row belongs to a checkpoint; the latest meets the witness policy. */
async function checkCosignatures(input: {
  options: IntegrityOptions;
  size: number;
  verifier: NoteVerifier;
}): Promise<number> {
  const { options } = input;
  const witnesses = (options.witnessVkeys ?? []).map((vkey) => ledgerVerifier(vkey));
  const rows = await options.backend.cosignaturesBetween(0, Number.MAX_SAFE_INTEGER);
  let checked = 0;
  const notes = new Map<number, string>();
  for (const row of rows) {
    const size = safeInteger(
      row['size'],
      (p) =>
        new Found({ table: 'cosignatures', column: 'size', reason: `a cosignature size ${p}` }),
    );
    const problem = (column: string, reason: string): IntegrityProblem => ({
      table: 'cosignatures',
      seq: size,
      column,
      reason,
    });
    let note = notes.get(size);
    if (note === undefined) {
      const [checkpoint] = await options.backend.checkpointsFrom(size, 1);
      if (checkpoint === undefined || normalizeValue(checkpoint['size'], 'integer') !== size) {
        fail(problem('size', `a cosignature is for size ${size}, which has no checkpoint`));
      }
      note = String(checkpoint['note']);
      notes.set(size, note);
    }
    const line = String(row['line']);
    let signature;
    try {
      [signature] = parseNote({ note: `${note}${line}\n` }).signatures.slice(-1);
    } catch (error) {
      fail(problem('line', `not a signature line: ${(error as Error).message}`));
    }
    if (signature === undefined || signature.name !== row['witness']) {
      fail(
        problem(
          'witness',
          `the line is signed by ${signature?.name}, the row says ${String(row['witness'])}`,
        ),
      );
    }
    try {
      countCosignatures({ note: `${note}${line}\n`, witnesses });
    } catch (error) {
      fail(problem('line', (error as Error).message));
    }
    checked++;
  }
  if (witnesses.length > 0) {
    const min = options.minWitnesses ?? witnesses.length;
    const latestSize = input.size;
    const latestRow = (await options.backend.checkpointsFrom(latestSize, 1))[0];
    const lines = rows
      .filter((r) => normalizeValue(r['size'], 'integer') === latestSize)
      .map((r) => `${String(r['line'])}\n`);
    const stored: unknown = latestRow?.['note'] ?? '';
    const note = `${String(stored)}${lines.join('')}`;
    let valid: string[] = [];
    try {
      valid = latestRow === undefined ? [] : countCosignatures({ note, witnesses }).valid;
    } catch (error) {
      fail({
        table: 'cosignatures',
        seq: latestSize,
        column: 'line',
        reason: (error as Error).message,
      });
    }
    if (valid.length < min) {
      const error = new TlogError(
        'TLOG_WITNESS_POLICY',
        `the latest checkpoint (size ${latestSize}) has ${valid.length} valid cosignature(s) of the ${witnesses.length} witness key(s) given; ${min} required`,
      );
      fail({ table: 'cosignatures', seq: latestSize, reason: `${error.code}: ${error.message}` });
    }
  }
  return checked;
}
