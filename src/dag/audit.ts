/**
 * Whole-workflow audit (DAG-7): every rule of section 6 over all ECTs of one workflow at once, in
 * time linear in their number (one pass to index, Kahn's algorithm for cycles).
 * @module
 */
import type { ECTErrorCode } from '../errors.js';
import { taskKey } from '../format/task-key.js';
import { DEFAULT_DAG_CLOCK_TOLERANCE } from './validate.js';
import type { DagNode } from './store.js';

/** One finding of an audit. */
export interface AuditIssue {
  readonly jti: string;
  readonly code: ECTErrorCode;
  readonly message: string;
}

/** The result of `auditWorkflow`. */
export interface AuditReport {
  readonly ok: boolean;
  readonly nodes: number;
  /** Tasks with no predecessor in the workflow. */
  readonly roots: readonly string[];
  /** The tasks in an order where every predecessor comes first (those on a cycle are left out). */
  readonly order: readonly string[];
  readonly issues: readonly AuditIssue[];
}

/** Options of `auditWorkflow`. */
export interface AuditOptions {
  /** DAG-3 tolerance, seconds (default 30). */
  readonly clockTolerance?: number;
  /** Predecessors outside the list that count as known (cross-workflow references, DAG-5). */
  readonly external?: (jti: string) => boolean;
}

/** Checks DAG-1 ... DAG-5 over one workflow's nodes. */
export function auditWorkflow(nodes: readonly DagNode[], options: AuditOptions = {}): AuditReport {
  const tolerance = options.clockTolerance ?? DEFAULT_DAG_CLOCK_TOLERANCE;
  const issues: AuditIssue[] = [];
  const byJti = new Map<string, DagNode>();
  const seen = new Set<string>();
  for (const node of nodes) {
    const key = taskKey(node.jti, node.wid);
    if (seen.has(key)) issues.push({ jti: node.jti, code: 'ECT_DAG_DUPLICATE', message: `task ${node.jti} appears more than once` });
    seen.add(key);
    if (!byJti.has(node.jti)) byJti.set(node.jti, node);
  }

  const indegree = new Map<string, number>();
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const node of byJti.values()) {
    let inside = 0;
    for (const p of node.pred) {
      const pred = byJti.get(p);
      if (pred === undefined) {
        if (!options.external?.(p)) issues.push({ jti: node.jti, code: 'ECT_DAG_PREDECESSOR_UNKNOWN', message: `predecessor ${p} of ${node.jti} is not in the workflow` });
        continue;
      }
      if (node.wid !== undefined && pred.wid !== undefined && pred.wid !== node.wid) {
        issues.push({ jti: node.jti, code: 'ECT_DAG_WORKFLOW_MISMATCH', message: `predecessor ${p} belongs to workflow ${pred.wid}` });
      }
      if (pred.iat > node.iat + tolerance) {
        issues.push({ jti: node.jti, code: 'ECT_DAG_TEMPORAL', message: `predecessor ${p} was issued after ${node.jti} by more than ${tolerance} s` });
      }
      inside++;
      const list = children.get(p);
      if (list) list.push(node.jti);
      else children.set(p, [node.jti]);
    }
    indegree.set(node.jti, inside);
    if (inside === 0) roots.push(node.jti);
  }

  // Kahn's algorithm: whatever is never freed sits on (or behind) a cycle (DAG-4).
  const order: string[] = [...roots];
  for (let i = 0; i < order.length; i++) {
    for (const child of children.get(order[i]!) ?? []) {
      const left = indegree.get(child)! - 1;
      indegree.set(child, left);
      if (left === 0) order.push(child);
    }
  }
  if (order.length < byJti.size) {
    for (const [jti, left] of indegree) {
      if (left > 0) issues.push({ jti, code: 'ECT_DAG_CYCLE', message: `task ${jti} is on or behind a cycle` });
    }
  }
  return { ok: issues.length === 0, nodes: nodes.length, roots, order, issues };
}
