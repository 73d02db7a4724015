/**
 * Whole-workflow audit (DAG-7): every rule of section 6 over all ECTs of one workflow at once, in
 * time linear in their number (one pass to index, Kahn's algorithm for cycles).
 * @module
 */
import type { ECTErrorCode } from '../errors.js';
import { canonicalId, sameId, taskKey } from '../format/task-key.js';
import { DEFAULT_DAG_CLOCK_TOLERANCE } from './validate.js';
import type { DagNode } from './store.js';

/**
 * One finding of an audit.
 *
 * @example
 * ```ts
 * import { auditWorkflow, type AuditIssue } from 'wimse-ect';
 *
 * const orphan = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02',
 *   iat: 100,
 *   pred: ['6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01'],
 *   level: 2,
 * } as const;
 * const issues: readonly AuditIssue[] = auditWorkflow([orphan]).issues;
 * // ECT_DAG_PREDECESSOR_UNKNOWN 6f1c0e0a-…-5a6b7c8d9e02
 * for (const issue of issues) console.log(issue.code, issue.jti);
 * ```
 */
export interface AuditIssue {
  readonly jti: string;
  readonly code: ECTErrorCode;
  readonly message: string;
}

/**
 * The result of `auditWorkflow`.
 *
 * @example
 * ```ts
 * import { auditWorkflow, MemoryECTStore, type AuditReport } from 'wimse-ect';
 *
 * const store = new MemoryECTStore(); // filled by a verifier with dag: { store }
 * const report: AuditReport = auditWorkflow(
 *   store.listWorkflow('0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13'),
 * );
 * console.log(report.ok, report.roots, report.order);
 * ```
 */
export interface AuditReport {
  readonly ok: boolean;
  readonly nodes: number;
  /** Tasks with no predecessor in the workflow. */
  readonly roots: readonly string[];
  /** The tasks in an order where every predecessor comes first (those on a cycle are left out). */
  readonly order: readonly string[];
  readonly issues: readonly AuditIssue[];
}

/**
 * Options of `auditWorkflow`.
 *
 * @example
 * ```ts
 * import { auditWorkflow, type AuditOptions, type DagNode } from 'wimse-ect';
 *
 * const nodes: DagNode[] = []; // one workflow's tasks
 * const fromOtherWorkflows = new Set(['6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01']);
 * const options: AuditOptions = {
 *   clockTolerance: 5,
 *   external: (jti) => fromOtherWorkflows.has(jti),
 * };
 * const report = auditWorkflow(nodes, options);
 * ```
 */
export interface AuditOptions {
  /** DAG-3 tolerance, seconds (default 30). */
  readonly clockTolerance?: number;
  /** Predecessors outside the list that count as known (cross-workflow references, DAG-5). */
  readonly external?: (jti: string) => boolean;
}

/**
 * Checks DAG-1 ... DAG-5 over one workflow's nodes.
 *
 * @example
 * ```ts
 * import { auditWorkflow } from 'wimse-ect';
 *
 * const a = { jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01', iat: 100, pred: [], level: 2 } as const;
 * const b = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02',
 *   iat: 110,
 *   pred: [a.jti],
 *   level: 2,
 * } as const;
 * const report = auditWorkflow([b, a]);
 * console.log(report.ok, report.order); // true [ a.jti, b.jti ]
 * ```
 */
export function auditWorkflow(nodes: readonly DagNode[], options: AuditOptions = {}): AuditReport {
  const tolerance = options.clockTolerance ?? DEFAULT_DAG_CLOCK_TOLERANCE;
  const issues: AuditIssue[] = [];
  // Tasks by position: one map from jti to index, then typed arrays. A map per question (in-degree,
  // children) cost a cache miss each in large workflows, and a composite (wid, jti) key allocated a
  // string per task; scopes are now compared only for the rare jti that repeats.
  const index = new Map<string, number>();
  const unique: DagNode[] = [];
  let scopes: Set<string> | undefined;
  let edges = 0;
  for (const node of nodes) {
    // CLM-5: one task whatever the case of its UUID; lookups use the canonical form.
    const id = canonicalId(node.jti);
    const at = index.get(id);
    edges += node.pred.length;
    if (at === undefined) {
      index.set(id, unique.length);
      unique.push(node);
      continue;
    }
    const first = unique[at]!;
    scopes ??= new Set();
    scopes.add(taskKey(first.jti, first.wid));
    const key = taskKey(node.jti, node.wid);
    if (scopes.has(key))
      issues.push({
        jti: node.jti,
        code: 'ECT_DAG_DUPLICATE',
        message: `task ${node.jti} appears more than once`,
      });
    scopes.add(key);
  }

  const n = unique.length;
  const indegree = new Int32Array(n);
  const childCount = new Int32Array(n + 1);
  const edgeFrom = new Int32Array(edges);
  const edgeTo = new Int32Array(edges);
  let e = 0;
  const roots: string[] = [];
  for (let i = 0; i < n; i++) {
    const node = unique[i]!;
    for (const p of node.pred) {
      const j = index.get(canonicalId(p));
      if (j === undefined) {
        if (!options.external?.(p))
          issues.push({
            jti: node.jti,
            code: 'ECT_DAG_PREDECESSOR_UNKNOWN',
            message: `predecessor ${p} of ${node.jti} is not in the workflow`,
          });
        continue;
      }
      const pred = unique[j]!;
      if (node.wid !== undefined && pred.wid !== undefined && !sameId(pred.wid, node.wid)) {
        issues.push({
          jti: node.jti,
          code: 'ECT_DAG_WORKFLOW_MISMATCH',
          message: `predecessor ${p} belongs to workflow ${pred.wid}`,
        });
      }
      if (pred.iat > node.iat + tolerance) {
        issues.push({
          jti: node.jti,
          code: 'ECT_DAG_TEMPORAL',
          message: `predecessor ${p} was issued after ${node.jti} by more than ${tolerance} s`,
        });
      }
      indegree[i]!++;
      childCount[j + 1]!++;
      edgeFrom[e] = j;
      edgeTo[e++] = i;
    }
    if (indegree[i] === 0) roots.push(node.jti);
  }
  // Children of each task as one flat array (compressed sparse rows).
  for (let i = 0; i < n; i++) childCount[i + 1]! += childCount[i]!;
  const children = new Int32Array(e);
  const fill = childCount.slice(0, n);
  for (let k = 0; k < e; k++) children[fill[edgeFrom[k]!]!++] = edgeTo[k]!;

  // Kahn's algorithm: whatever is never freed sits on (or behind) a cycle (DAG-4).
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const at = queue[head]!;
    for (let k = childCount[at]!; k < childCount[at + 1]!; k++) {
      const child = children[k]!;
      if (--indegree[child]! === 0) queue[tail++] = child;
    }
  }
  const order: string[] = new Array<string>(tail);
  for (let k = 0; k < tail; k++) order[k] = unique[queue[k]!]!.jti;
  if (tail < n) {
    for (let i = 0; i < n; i++) {
      if (indegree[i]! > 0)
        issues.push({
          jti: unique[i]!.jti,
          code: 'ECT_DAG_CYCLE',
          message: `task ${unique[i]!.jti} is on or behind a cycle`,
        });
    }
  }
  return { ok: issues.length === 0, nodes: nodes.length, roots, order, issues };
}
