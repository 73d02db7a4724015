/**
 * An in-memory ECT store with the indexes DAG validation needs (DAG-7): one hash index by `jti`
 * whose slot holds the node(s) with that `jti` and whether some node references it, plus the nodes
 * of each workflow in arrival order. Every lookup is one hash lookup.
 *
 * One index rather than one map per question: validating a new task asks for its `jti` four times
 * (DAG-1, the two DAG-4 pre-checks, the insert), and in a large workflow each map was a cache miss
 * of its own. With one slot the later questions hit the cache line the first one loaded (measured
 * on 10^5 random tasks: 3.4 µs → see BENCHMARKS.md). Keys are the `jti` strings themselves: a
 * concatenated `wid:jti` key allocated and hashed 80 characters per lookup. UUIDs are
 * case-insensitive (CLM-5), so every key and every `wid` comparison uses the canonical
 * (lowercase) form; nodes are stored as given.
 * @module
 */
import { ECTError } from '../errors.js';
import { canonicalId, sameId } from '../format/task-key.js';
import type { DagNode, WritableECTStore } from './store.js';

const NONE: readonly DagNode[] = Object.freeze([]);

/** What is known of one `jti`. */
interface Slot {
  /** The node with this `jti`, or the nodes when several workflows use it; `undefined` if only referenced. */
  node: DagNode | DagNode[] | undefined;
  /** Some stored node lists this `jti` in its `pred` (DAG-4 pre-check). */
  referenced: boolean;
}

function inScope(slot: Slot | undefined, wid: string | undefined): DagNode | undefined {
  const found = slot?.node;
  if (found === undefined) return undefined;
  if (!Array.isArray(found)) return sameId(found.wid, wid) ? found : undefined;
  for (const node of found) if (sameId(node.wid, wid)) return node;
  return undefined;
}

/**
 * An in-memory store of accepted tasks for DAG validation (profile section 6): every lookup
 * is one hash lookup. A verifier given `dag: { store }` adds each accepted token to it.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, MemoryECTStore } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const store = new MemoryECTStore();
 * const verifier = createVerifier({
 *   audience: 'b',
 *   keys: { keys: [key.publicJwk] },
 *   dag: { store },
 * });
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const { claims: first } = await verifier.verify(createECT(claims, { key: key.privateJwk }));
 * console.log(store.get(first.jti, undefined)?.exec_act, store.size); // x 1
 * ```
 */
export class MemoryECTStore implements WritableECTStore {
  readonly #slots = new Map<string, Slot>();
  /** `wid` → its nodes in arrival order. */
  readonly #workflows = new Map<string, DagNode[]>();
  #size = 0;

  /** Number of nodes held. */
  get size(): number {
    return this.#size;
  }

  get(jti: string, wid: string | undefined): DagNode | undefined {
    return inScope(this.#slots.get(canonicalId(jti)), wid);
  }

  findByJti(jti: string): readonly DagNode[] {
    const found = this.#slots.get(canonicalId(jti))?.node;
    return found === undefined ? NONE : Array.isArray(found) ? found : [found];
  }

  isReferenced(jti: string): boolean {
    return this.#slots.get(canonicalId(jti))?.referenced ?? false;
  }

  listWorkflow(wid: string): readonly DagNode[] {
    return this.#workflows.get(canonicalId(wid)) ?? NONE;
  }

  add(node: DagNode): void {
    const key = canonicalId(node.jti);
    const slot = this.#slots.get(key);
    if (inScope(slot, node.wid) !== undefined) {
      throw new ECTError(
        'ECT_DAG_DUPLICATE',
        `task ${node.jti} is already recorded${node.wid === undefined ? '' : ` in workflow ${node.wid}`}`,
        { member: 'jti' },
      );
    }
    if (slot === undefined) this.#slots.set(key, { node, referenced: false });
    else if (slot.node === undefined) slot.node = node;
    else if (Array.isArray(slot.node)) slot.node.push(node);
    else slot.node = [slot.node, node];
    for (const pred of node.pred) {
      const p = canonicalId(pred);
      const predSlot = this.#slots.get(p);
      if (predSlot === undefined) this.#slots.set(p, { node: undefined, referenced: true });
      else predSlot.referenced = true;
    }
    if (node.wid !== undefined) {
      const wid = canonicalId(node.wid);
      const workflow = this.#workflows.get(wid);
      if (workflow === undefined) this.#workflows.set(wid, [node]);
      else workflow.push(node);
    }
    this.#size++;
  }
}
