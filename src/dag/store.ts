/**
 * What DAG validation needs from a store of accepted ECTs (profile section 6). The in-memory store,
 * the ledgers and any custom store implement it. Every method is one indexed lookup (DAG-7): a
 * store must never scan to answer.
 * @module
 */
import type { Level } from '../format/types.js';

/**
 * The part of an accepted ECT the DAG needs.
 *
 * @example
 * ```ts
 * import { auditWorkflow, type DagNode } from 'wimse-ect';
 *
 * const wid = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
 * const review: DagNode = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01',
 *   wid,
 *   iat: 100,
 *   pred: [],
 *   level: 2,
 * };
 * const build: DagNode = {
 *   jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02',
 *   wid,
 *   iat: 160,
 *   pred: [review.jti],
 *   level: 2,
 * };
 * console.log(auditWorkflow([review, build]).ok); // true
 * ```
 */
export interface DagNode {
  readonly jti: string;
  /** Absent when the ECT has no `wid` (its `jti` is then unique globally, DAG-1). */
  readonly wid?: string | undefined;
  readonly iat: number;
  readonly pred: readonly string[];
  readonly level: Level;
  readonly iss?: string | undefined;
  readonly exec_act?: string | undefined;
}

/**
 * A store that DAG validation reads (profile section 6). Methods may be sync or async. UUIDs are
 * case-insensitive (CLM-5): a store answers for `jti` and `wid` in their canonical form
 * (`canonicalId`, lowercase), whatever case a token or a caller used.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair, type DagNode, type ECTStore } from 'wimse-ect';
 *
 * // A read-only view of tasks kept elsewhere (here: an array), for DAG validation.
 * const known: DagNode[] = [];
 * const store: ECTStore = {
 *   get: (jti, wid) => known.find((n) => n.jti === jti && n.wid === wid),
 *   findByJti: (jti) => known.filter((n) => n.jti === jti),
 *   isReferenced: (jti) => known.some((n) => n.pred.includes(jti)),
 *   listWorkflow: (wid) => known.filter((n) => n.wid === wid),
 * };
 * const key = generateKeyPair();
 * const verifier = createVerifier({
 *   audience: 'b',
 *   keys: { keys: [key.publicJwk] },
 *   dag: { store },
 * });
 * ```
 */
export interface ECTStore {
  /** The node with this `jti` in the scope of `wid` (`undefined` = ECTs without a `wid`). */
  get(jti: string, wid: string | undefined): DagNode | undefined | Promise<DagNode | undefined>;
  /** Every node with this `jti`, in any scope (a predecessor may sit in another workflow, DAG-5). */
  findByJti(jti: string): readonly DagNode[] | Promise<readonly DagNode[]>;
  /**
   * Whether some stored node lists `jti` as a predecessor. A new node can only close a cycle when
   * this is true (or its `jti` already exists), so DAG-4's walk is skipped otherwise.
   */
  isReferenced(jti: string): boolean | Promise<boolean>;
  /** Every node of one workflow, in insertion order (whole-workflow audit). */
  listWorkflow(wid: string): readonly DagNode[] | Promise<readonly DagNode[]>;
}

/**
 * A store the verifier adds accepted ECTs to (when it is not a ledger, which records by append).
 *
 * @example
 * ```ts
 * import { MemoryECTStore, type WritableECTStore } from 'wimse-ect';
 *
 * // The verifier adds every accepted token to a writable store.
 * const store: WritableECTStore = new MemoryECTStore();
 * await store.add({ jti: '6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01', iat: 100, pred: [], level: 2 });
 * ```
 */
export interface WritableECTStore extends ECTStore {
  /** Adds an accepted node. Throws `ECTError('ECT_DAG_DUPLICATE')` when (`wid`, `jti`) exists. */
  add(node: DagNode): void | Promise<void>;
}
