/**
 * Summaries of recorded tasks for the index and the workflow page, the same for a ledger and a
 * bundle: search filters, a workflow's row (times, issuers, DAG audit) and its task nodes.
 * @module
 */
import { auditWorkflow } from '../../dag/audit.js';
import { canonicalId } from '../../format/task-key.js';
import { entryToNode } from '../../ledger/ledger.js';
import type { LedgerEntry } from '../../ledger/types.js';
import type {
  IndexQuery,
  RowStatus,
  SignatureStatus,
  TaskNode,
  WorkflowRow,
  WorkflowView,
} from '../api.js';
import { ROW_ISSUERS } from './source.js';

/** Whether an entry satisfies every filter of the query (`iss`, `exec_act`: any case, a part). */
export function matchesQuery(entry: LedgerEntry, query: IndexQuery): boolean {
  if (query.jti !== undefined && entry.jti !== canonicalId(query.jti)) return false;
  if (query.from !== undefined && entry.recordedAt < query.from) return false;
  if (query.to !== undefined && entry.recordedAt > query.to) return false;
  if (query.iss !== undefined && !contains(entry.claims.iss, query.iss)) return false;
  if (query.execAct !== undefined && !contains(entry.claims.exec_act, query.execAct)) return false;
  return true;
}

function contains(value: unknown, part: string): boolean {
  return typeof value === 'string' && value.toLowerCase().includes(part.toLowerCase());
}

/** Whether the query filters on anything but the cursor. */
export function isSearch(query: IndexQuery): boolean {
  return [query.jti, query.iss, query.execAct, query.from, query.to].some((v) => v !== undefined);
}

/** The DAG audit of a workflow's entries (profile section 6). */
export function auditEntries(entries: readonly LedgerEntry[]): WorkflowView['audit'] {
  const report = auditWorkflow(entries.map(entryToNode));
  return {
    ok: report.ok,
    issues: report.issues.map((i) => ({ jti: i.jti, code: i.code, message: i.message })),
  };
}

function statusOf(entries: readonly LedgerEntry[]): RowStatus {
  const audit = auditEntries(entries);
  if (!audit.ok) {
    const first = audit.issues[0]!;
    const more = audit.issues.length > 1 ? ` (+${audit.issues.length - 1} more)` : '';
    return { ok: false, text: `${first.code}${more}` };
  }
  const levels = [...new Set(entries.map((e) => e.level))].sort().map((l) => `L${l}`);
  return { ok: true, text: `DAG ok · ${levels.join('/')}` };
}

/** The index row of a workflow (all its entries), placed at `seq`. */
export function workflowRow(options: {
  readonly entries: readonly LedgerEntry[];
  readonly seq: number;
}): WorkflowRow {
  const { entries, seq } = options;
  const issuers = [...new Set(entries.map((e) => String(e.claims.iss)))];
  const times = entries.map((e) => e.recordedAt);
  return {
    wid: entries[0]?.wid ?? null,
    seq,
    first: Math.min(...times),
    last: Math.max(...times),
    tasks: entries.length,
    issuers: issuers.slice(0, ROW_ISSUERS),
    moreIssuers: Math.max(0, issuers.length - ROW_ISSUERS),
    status: statusOf(entries),
  };
}

/** The row of something that could not be read (a damaged row), so the index still answers. */
export function damagedRow(options: {
  readonly wid: string | null;
  readonly seq: number;
  readonly error: unknown;
}): WorkflowRow {
  const message = (options.error as Error)?.message ?? String(options.error);
  return {
    wid: options.wid,
    seq: options.seq,
    first: 0,
    last: 0,
    tasks: 0,
    issuers: [],
    moreIssuers: 0,
    status: { ok: false, text: `unreadable: ${message}` },
  };
}

/** The page's view of a workflow: its tasks with their signature status, and the audit. */
export function workflowView(options: {
  readonly entries: readonly LedgerEntry[];
  readonly signatures: readonly SignatureStatus[];
}): WorkflowView {
  const { entries, signatures } = options;
  const tasks: TaskNode[] = entries.map((entry, i) => {
    const node = entryToNode(entry);
    return {
      seq: entry.seq,
      jti: entry.jti,
      wid: entry.wid ?? null,
      execAct: String(node.exec_act),
      iss: String(node.iss),
      level: entry.level,
      recordedAt: entry.recordedAt,
      iat: node.iat,
      pred: node.pred.map(canonicalId),
      signature: signatures[i]!,
    };
  });
  return { wid: entries[0]?.wid ?? null, tasks, audit: auditEntries(entries) };
}
