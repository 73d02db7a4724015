/**
 * Validation of one new ECT against a store of accepted ones (profile section 6, step VER-11).
 *
 * Cost (DAG-7): one indexed lookup per `pred` entry, plus the DAG-4 ancestor walk only when a cycle
 * is possible at all. A store that only takes validated nodes is acyclic, and a new node N can close
 * a cycle only if a stored node already lists N's `jti` as a predecessor (possible after partial
 * validation, DAG-2) or N's `jti` already exists in another scope. Otherwise the walk cannot reach
 * N, so it is skipped and the cost per ECT stays flat however long the workflow grows; in a chain of
 * 10^6 tasks an unconditional walk would also hit the 10,000-ancestor limit on every append.
 * Ids are compared in their canonical form (CLM-5: `ABC…` and `abc…` are one task); the store
 * answers lookups case-insensitively (see `ECTStore`).
 * @module
 */
import { ECTError } from '../errors.js';
import type { Level } from '../format/types.js';
import { canonicalId, sameId, taskKey } from '../format/task-key.js';
import type { DagNode, ECTStore } from './store.js';

/**
 * DAG-4 [P]: most ancestors visited by one cycle check.
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_MAX_ANCESTORS, MemoryECTStore } from 'wimse-ect';
 *
 * // Deep workflows: allow a longer ancestor walk than the default 10,000.
 * const dag = { store: new MemoryECTStore(), maxAncestors: 10 * DEFAULT_MAX_ANCESTORS };
 * const verifier = createVerifier({ audience: 'b', minLevel: 1, dag });
 * ```
 */
export const DEFAULT_MAX_ANCESTORS = 10_000;
/** DAG-3 [P]: tolerance for a predecessor's `iat` after the child's, seconds. */
export const DEFAULT_DAG_CLOCK_TOLERANCE = 30;

/**
 * Options of DAG validation.
 *
 * @example
 * ```ts
 * import { MemoryECTStore, validateDag, type DagOptions } from 'wimse-ect';
 *
 * const options: DagOptions = { store: new MemoryECTStore(), partial: true };
 * const node = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02',
 *   iat: 100,
 *   pred: ['6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01'],
 *   level: 2,
 * } as const;
 * console.log((await validateDag(node, options)).missing); // [ '6f1c0e0a-…-5a6b7c8d9e01' ]
 * ```
 */
export interface DagOptions {
  readonly store: ECTStore;
  /** DAG-2 [P]: list missing predecessors in the result instead of failing. Default false. */
  readonly partial?: boolean;
  /** DAG-5: allow predecessors from another workflow. Default false. */
  readonly allowCrossWorkflow?: boolean;
  /** DAG-4: ancestor walk bound (default 10,000). */
  readonly maxAncestors?: number;
  /** DAG-3: clock tolerance, seconds (default 30; the verifier passes its own). */
  readonly clockTolerance?: number;
  /** DAG-6: lowest level a predecessor may have been recorded at; `undefined` = no check. */
  readonly minPredecessorLevel?: Level | undefined;
}

/**
 * What DAG validation found.
 *
 * @example
 * ```ts
 * import { MemoryECTStore, validateDag, type DagResult } from 'wimse-ect';
 *
 * const node = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01',
 *   iat: 100,
 *   pred: [],
 *   level: 2,
 * } as const;
 * const result: DagResult = await validateDag(node, { store: new MemoryECTStore() });
 * console.log(result.missing.length); // 0
 * ```
 */
export interface DagResult {
  /** Predecessors not in the store (only with `partial: true`). */
  readonly missing: readonly string[];
}

function dagError(code: ConstructorParameters<typeof ECTError>[0], message: string): ECTError {
  return new ECTError(code, message, { member: code === 'ECT_DAG_DUPLICATE' ? 'jti' : 'pred' });
}

/** The predecessor `jti` of `child`, looked up in the child's scope first (DAG-5). */
async function findPredecessor(
  store: ECTStore,
  jti: string,
  wid: string | undefined,
): Promise<DagNode | undefined> {
  const same = await store.get(jti, wid);
  if (same !== undefined) return same;
  const elsewhere = await store.findByJti(jti);
  return elsewhere[0];
}

/**
 * DAG-1 ... DAG-6 for one new node. Throws `ECTError` with an `ECT_DAG_*` code.
 *
 * @example
 * ```ts
 * import { ECTError, MemoryECTStore, validateDag } from 'wimse-ect';
 *
 * const store = new MemoryECTStore();
 * const child = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02',
 *   iat: 100,
 *   pred: ['6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01'],
 *   level: 2,
 * } as const;
 * try {
 *   await validateDag(child, { store });
 * } catch (error) {
 *   if (error instanceof ECTError) console.log(error.code); // ECT_DAG_PREDECESSOR_UNKNOWN
 * }
 * ```
 */
export async function validateDag(node: DagNode, options: DagOptions): Promise<DagResult> {
  const { store } = options;
  const tolerance = options.clockTolerance ?? DEFAULT_DAG_CLOCK_TOLERANCE;
  const where = node.wid === undefined ? '' : ` in workflow ${node.wid}`;

  // DAG-1: uniqueness in the node's scope.
  if ((await store.get(node.jti, node.wid)) !== undefined) {
    throw dagError('ECT_DAG_DUPLICATE', `task ${node.jti} is already recorded${where}`);
  }

  const missing: string[] = [];
  for (const predJti of node.pred) {
    const pred = await findPredecessor(store, predJti, node.wid);
    // DAG-2: existence.
    if (pred === undefined) {
      if (!options.partial)
        throw dagError(
          'ECT_DAG_PREDECESSOR_UNKNOWN',
          `predecessor ${predJti} is not a verified task`,
        );
      missing.push(predJti);
      continue;
    }
    // DAG-5: one workflow, unless configured otherwise.
    const bothScoped = pred.wid !== undefined && node.wid !== undefined;
    const elsewhere = bothScoped && !sameId(pred.wid, node.wid);
    if (elsewhere && !options.allowCrossWorkflow) {
      throw dagError(
        'ECT_DAG_WORKFLOW_MISMATCH',
        `predecessor ${predJti} belongs to workflow ${pred.wid}, not ${node.wid}`,
      );
    }
    // DAG-3: a predecessor cannot start after its successor (within the clock tolerance).
    if (pred.iat > node.iat + tolerance) {
      throw dagError(
        'ECT_DAG_TEMPORAL',
        `predecessor ${predJti} was issued at ${pred.iat}, after this task (${node.iat}) by more than ${tolerance} s`,
      );
    }
    // DAG-6: no building on tokens recorded below the verifier's minimum level.
    if (options.minPredecessorLevel !== undefined && pred.level < options.minPredecessorLevel) {
      throw dagError(
        'ECT_DAG_LEVEL',
        `predecessor ${predJti} was recorded at level ${pred.level}, below the minimum ${options.minPredecessorLevel}`,
      );
    }
  }

  // DAG-4: only walk when a cycle is possible (see the module comment).
  // A self-reference is the shortest cycle (CLM-7 refuses it in claims; validateDag is public API).
  const cyclePossible =
    node.pred.some((p) => sameId(p, node.jti)) ||
    (await store.isReferenced(node.jti)) ||
    (await store.findByJti(node.jti)).length > 0;
  if (cyclePossible) {
    await walkAncestors(node, options);
  }
  return { missing };
}

/** DAG-4: breadth-first over ancestors; reaching the node's own `jti` is a cycle. Bounded. */
async function walkAncestors(node: DagNode, options: DagOptions): Promise<void> {
  const limit = options.maxAncestors ?? DEFAULT_MAX_ANCESTORS;
  const self = canonicalId(node.jti);
  const visited = new Set<string>();
  let frontier: readonly DagNode[] = [node];
  while (frontier.length > 0) {
    const next: DagNode[] = [];
    for (const current of frontier) {
      for (const predJti of current.pred) {
        if (canonicalId(predJti) === self) {
          const via = `via ${current.jti}`;
          throw dagError('ECT_DAG_CYCLE', `task ${node.jti} would be its own ancestor (${via})`);
        }
        const pred = await findPredecessor(options.store, predJti, current.wid);
        if (pred === undefined) continue;
        const key = taskKey(pred.jti, pred.wid);
        if (visited.has(key)) continue;
        visited.add(key);
        if (visited.size > limit)
          throw dagError(
            'ECT_DAG_LIMIT',
            `the ancestry of task ${node.jti} exceeds ${limit} tasks`,
          );
        next.push(pred);
      }
    }
    frontier = next;
  }
}
