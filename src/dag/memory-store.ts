/**
 * An in-memory ECT store with the indexes DAG validation needs (DAG-7): by (`wid`, `jti`), by `jti`,
 * by `wid`, and the set of referenced `jti`s. Every lookup is a hash lookup.
 * @module
 */
import { ECTError } from '../errors.js';
import { taskKey as scopeKey } from '../format/task-key.js';
import type { DagNode, WritableECTStore } from './store.js';

const NONE: readonly DagNode[] = Object.freeze([]);

export class MemoryECTStore implements WritableECTStore {
  readonly #byScope = new Map<string, DagNode>();
  readonly #byJti = new Map<string, DagNode[]>();
  readonly #byWid = new Map<string, DagNode[]>();
  readonly #referenced = new Set<string>();

  /** Number of nodes held. */
  get size(): number {
    return this.#byScope.size;
  }

  get(jti: string, wid: string | undefined): DagNode | undefined {
    return this.#byScope.get(scopeKey(jti, wid));
  }

  findByJti(jti: string): readonly DagNode[] {
    return this.#byJti.get(jti) ?? NONE;
  }

  isReferenced(jti: string): boolean {
    return this.#referenced.has(jti);
  }

  listWorkflow(wid: string): readonly DagNode[] {
    return this.#byWid.get(wid) ?? NONE;
  }

  add(node: DagNode): void {
    const key = scopeKey(node.jti, node.wid);
    if (this.#byScope.has(key)) {
      throw new ECTError('ECT_DAG_DUPLICATE', `task ${node.jti} is already recorded${node.wid === undefined ? '' : ` in workflow ${node.wid}`}`, { member: 'jti' });
    }
    this.#byScope.set(key, node);
    const sameJti = this.#byJti.get(node.jti);
    if (sameJti) sameJti.push(node);
    else this.#byJti.set(node.jti, [node]);
    if (node.wid !== undefined) {
      const workflow = this.#byWid.get(node.wid);
      if (workflow) workflow.push(node);
      else this.#byWid.set(node.wid, [node]);
    }
    for (const p of node.pred) this.#referenced.add(p);
  }
}
