import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { auditWorkflow } from '../../src/dag/audit.js';
import { renderTree } from '../../src/dag/render.js';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import type { DagNode, ECTStore } from '../../src/dag/store.js';
import { DEFAULT_MAX_ANCESTORS, validateDag, type DagOptions } from '../../src/dag/validate.js';
import { createVerifier } from '../../src/verify/verify.js';
import { l1Token, NOW, rejectsWith, token, uuid, verifyOptions, WID } from '../helpers/fixtures.js';

const OTHER_WID = '7d1c3e5a-9b2f-4c6d-8e0a-1f3b5d7c9e2a';

function node(n: number, pred: number[] = [], extra: Partial<DagNode> = {}): DagNode {
  return { jti: uuid(n), wid: WID, iat: NOW, pred: pred.map(uuid), level: 2, ...extra };
}

/** Validates and, when valid, adds (what a verifier does). */
async function accept(
  store: MemoryECTStore,
  n: DagNode,
  options: Partial<DagOptions> = {},
): Promise<readonly string[]> {
  const { missing } = await validateDag(n, { store, ...options });
  store.add(n);
  return missing;
}

/** A store that counts every lookup (DAG-7). */
class CountingStore implements ECTStore {
  readonly inner = new MemoryECTStore();
  counts = { get: 0, findByJti: 0, isReferenced: 0, listWorkflow: 0 };
  get(jti: string, wid: string | undefined) {
    this.counts.get++;
    return this.inner.get(jti, wid);
  }
  findByJti(jti: string) {
    this.counts.findByJti++;
    return this.inner.findByJti(jti);
  }
  isReferenced(jti: string) {
    this.counts.isReferenced++;
    return this.inner.isReferenced(jti);
  }
  listWorkflow(wid: string) {
    this.counts.listWorkflow++;
    return this.inner.listWorkflow(wid);
  }
  total(): number {
    return (
      this.counts.get + this.counts.findByJti + this.counts.isReferenced + this.counts.listWorkflow
    );
  }
}

describe('DAG validation (DAG-1 ... DAG-7)', () => {
  test('DAG-1: a jti already recorded in the same workflow is ECT_DAG_DUPLICATE', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1));
    await rejectsWith(validateDag(node(1), { store }), 'ECT_DAG_DUPLICATE');
    await rejectsWith(() => store.add(node(1)), 'ECT_DAG_DUPLICATE');
  });

  test('DAG-1: uniqueness is scoped by wid; without wid it is global', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1));
    await accept(store, node(1, [], { wid: OTHER_WID }));
    await accept(store, node(1, [], { wid: undefined }));
    await rejectsWith(validateDag(node(1, [], { wid: undefined }), { store }), 'ECT_DAG_DUPLICATE');
    assert.equal(store.size, 3);
  });

  test('DAG-1: through a verifier with a store, a second presentation is ECT_DAG_DUPLICATE (replay cache off)', async () => {
    const verifier = createVerifier(verifyOptions({ dag: { store: new MemoryECTStore() } }));
    await verifier.verify(token({ wid: WID }));
    await rejectsWith(verifier.verify(token({ wid: WID, exec_act: 'other' })), 'ECT_DAG_DUPLICATE');
    await verifier.verify(token({ wid: OTHER_WID }));
  });

  test('DAG-2: a pred entry that is not in the store is ECT_DAG_PREDECESSOR_UNKNOWN; a known one passes', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1));
    const error = await rejectsWith(
      validateDag(node(2, [1, 9]), { store }),
      'ECT_DAG_PREDECESSOR_UNKNOWN',
    );
    assert.equal(error.member, 'pred');
    assert.deepEqual(await accept(store, node(2, [1])), []);
  });

  test('DAG-2: partial validation lists missing predecessors instead of failing (validateDag and the verifier)', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1));
    assert.deepEqual(await accept(store, node(2, [9, 1, 8]), { partial: true }), [
      uuid(9),
      uuid(8),
    ]);
    const verifier = createVerifier(
      verifyOptions({ dag: { store: new MemoryECTStore(), partial: true } }),
    );
    const result = await verifier.verify(token({ wid: WID, pred: [uuid(5)] }));
    assert.deepEqual(result.missingPredecessors, [uuid(5)]);
    const strict = createVerifier(verifyOptions({ dag: { store: new MemoryECTStore() } }));
    await rejectsWith(
      strict.verify(token({ wid: WID, pred: [uuid(5)] })),
      'ECT_DAG_PREDECESSOR_UNKNOWN',
    );
  });

  test('DAG-3: a predecessor issued up to the tolerance after its child passes; later is ECT_DAG_TEMPORAL', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1, [], { iat: NOW + 30 }));
    await accept(store, node(2, [], { iat: NOW + 31 }));
    await accept(store, node(3, [1], { iat: NOW }));
    await rejectsWith(validateDag(node(4, [2], { iat: NOW }), { store }), 'ECT_DAG_TEMPORAL');
    await accept(store, node(4, [2], { iat: NOW }), { clockTolerance: 31 });
    await rejectsWith(
      validateDag(node(5, [1], { iat: NOW }), { store, clockTolerance: 29 }),
      'ECT_DAG_TEMPORAL',
    );
  });

  test('DAG-3: the verifier applies its own clock tolerance to the temporal order', async () => {
    const store = new MemoryECTStore();
    const verifier = createVerifier(
      verifyOptions({ dag: { store }, clockTolerance: 5, now: NOW + 10 }),
    );
    await verifier.verify(token({ jti: uuid(1), iat: NOW + 10 }));
    await verifier.verify(token({ jti: uuid(2), iat: NOW + 5, pred: [uuid(1)] }));
    await rejectsWith(
      verifier.verify(token({ jti: uuid(3), iat: NOW + 4, pred: [uuid(1)] })),
      'ECT_DAG_TEMPORAL',
    );
  });

  test('DAG-4: closing a cycle through a forward reference (partial validation) is ECT_DAG_CYCLE', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1, [2]), { partial: true }); // 1 -> 2, 2 unknown yet
    await rejectsWith(validateDag(node(2, [1]), { store, partial: true }), 'ECT_DAG_CYCLE');
    // Longer: 3 -> 5 (unknown), 4 -> 3, then 5 -> 4 closes 3 -> 5 -> 4 -> 3.
    await accept(store, node(3, [5]), { partial: true });
    await accept(store, node(4, [3]), { partial: true });
    const error = await rejectsWith(
      validateDag(node(5, [4]), { store, partial: true }),
      'ECT_DAG_CYCLE',
    );
    assert.equal(error.member, 'pred');
    // The forward reference resolved without a cycle is fine.
    await accept(store, node(5, []), { partial: true });
  });

  test('DAG-4, VER-11: through a verifier with partial validation, a token closing a cycle is ECT_DAG_CYCLE and not recorded', async () => {
    const store = new MemoryECTStore();
    const verifier = createVerifier(verifyOptions({ dag: { store, partial: true } }));
    assert.deepEqual(
      (await verifier.verify(token({ jti: uuid(1), wid: WID, pred: [uuid(2)] })))
        .missingPredecessors,
      [uuid(2)],
    );
    await verifier.verify(token({ jti: uuid(3), wid: WID, pred: [uuid(1)] }));
    const error = await rejectsWith(
      verifier.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(3)] })),
      'ECT_DAG_CYCLE',
    );
    assert.equal(error.claims?.['jti'], uuid(2));
    assert.equal(store.get(uuid(2), WID), undefined);
    assert.deepEqual(
      (await verifier.verify(token({ jti: uuid(2), wid: WID }))).missingPredecessors,
      [],
    );
  });

  test('DAG-4: a task naming itself as predecessor is ECT_DAG_CYCLE under partial validation (unknown otherwise)', async () => {
    const store = new MemoryECTStore();
    await rejectsWith(validateDag(node(1, [1]), { store, partial: true }), 'ECT_DAG_CYCLE');
    await rejectsWith(validateDag(node(1, [1]), { store }), 'ECT_DAG_PREDECESSOR_UNKNOWN');
    assert.equal(store.size, 0);
  });

  test('DAG-4: the ancestor walk is bounded (default 10,000): past the bound it is ECT_DAG_LIMIT', async () => {
    assert.equal(DEFAULT_MAX_ANCESTORS, 10_000);
    const store = new MemoryECTStore();
    await accept(store, node(100, [50]), { partial: true }); // references 50 before it exists
    await accept(store, node(1));
    for (let i = 2; i <= 10; i++) await accept(store, node(i, [i - 1]));
    // 50 -> 10 -> 9 -> ... -> 1: ten ancestors. 50 is referenced, so the walk runs.
    await rejectsWith(validateDag(node(50, [10]), { store, maxAncestors: 9 }), 'ECT_DAG_LIMIT');
    assert.deepEqual((await validateDag(node(50, [10]), { store, maxAncestors: 10 })).missing, []);
    await rejectsWith(
      createVerifier(verifyOptions({ dag: { store, maxAncestors: 9 } })).verify(
        token({ wid: WID, jti: uuid(50), pred: [uuid(10)] }),
      ),
      'ECT_DAG_LIMIT',
    );
  });

  test('DAG-4: without partial validation the walk still runs (and is bounded: ECT_DAG_LIMIT) when the jti already exists in another workflow', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(50, [], { wid: OTHER_WID })); // task 50 of another workflow
    await accept(store, node(1));
    for (let i = 2; i <= 10; i++) await accept(store, node(i, [i - 1]));
    // 50 in WID, after 10 -> 9 -> ... -> 1: the same jti exists elsewhere, so a cycle is possible.
    const verifier = (maxAncestors: number): ReturnType<typeof createVerifier> =>
      createVerifier(verifyOptions({ dag: { store, maxAncestors } }));
    const again = token({ wid: WID, jti: uuid(50), pred: [uuid(10)] });
    await rejectsWith(verifier(9).verify(again), 'ECT_DAG_LIMIT');
    assert.deepEqual((await verifier(10).verify(again)).missingPredecessors, []);
  });

  test('DAG-5: a predecessor in another workflow is ECT_DAG_WORKFLOW_MISMATCH unless cross-workflow references are allowed', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1, [], { wid: OTHER_WID }));
    await accept(store, node(2, [], { wid: undefined }));
    await rejectsWith(validateDag(node(3, [1]), { store }), 'ECT_DAG_WORKFLOW_MISMATCH');
    await accept(store, node(3, [1]), { allowCrossWorkflow: true });
    await accept(store, node(4, [2])); // a predecessor without wid is not a mismatch
    await accept(store, node(5, [1], { wid: undefined })); // a child without wid is not checked
  });

  test('DAG-5: the verifier option allowCrossWorkflow', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1, [], { wid: OTHER_WID }));
    await rejectsWith(
      createVerifier(verifyOptions({ dag: { store } })).verify(
        token({ jti: uuid(2), wid: WID, pred: [uuid(1)] }),
      ),
      'ECT_DAG_WORKFLOW_MISMATCH',
    );
    const result = await createVerifier(
      verifyOptions({ dag: { store, allowCrossWorkflow: true } }),
    ).verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] }));
    assert.deepEqual(result.claims.pred, [uuid(1)]);
  });

  test('DAG-6: a predecessor recorded below the minimum level is ECT_DAG_LEVEL (configurable)', async () => {
    const store = new MemoryECTStore();
    await accept(store, node(1, [], { level: 1 }));
    await accept(store, node(2, [], { level: 3 }));
    await rejectsWith(
      validateDag(node(3, [1]), { store, minPredecessorLevel: 2 }),
      'ECT_DAG_LEVEL',
    );
    await accept(store, node(3, [2]), { minPredecessorLevel: 3 });
    await accept(store, node(4, [1]), { minPredecessorLevel: 1 });
    await accept(store, node(5, [1])); // no check without a minimum
  });

  test('DAG-6: through verifiers: an L1 task accepted at minimum level 1 cannot be built on at minimum level 2', async () => {
    const store = new MemoryECTStore();
    const permissive = createVerifier(verifyOptions({ minLevel: 1, dag: { store } }));
    assert.equal((await permissive.verify(l1Token({ jti: uuid(1), wid: WID }))).level, 1);
    assert.equal(store.get(uuid(1), WID)?.level, 1);
    const strict = createVerifier(verifyOptions({ dag: { store } }));
    await rejectsWith(
      strict.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] })),
      'ECT_DAG_LEVEL',
    );
    const lenient = createVerifier(verifyOptions({ dag: { store, checkLevels: false } }));
    assert.equal(
      (await lenient.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] }))).level,
      2,
    );
  });

  test('DAG-7: one indexed lookup per pred entry plus a constant; no workflow scans however long the chain', async () => {
    const store = new CountingStore();
    const perNode: number[] = [];
    for (let i = 1; i <= 300; i++) {
      store.counts = { get: 0, findByJti: 0, isReferenced: 0, listWorkflow: 0 };
      const n = node(i, i === 1 ? [] : [i - 1]);
      await validateDag(n, { store });
      store.inner.add(n);
      perNode.push(store.total());
      assert.equal(store.counts.listWorkflow, 0);
    }
    assert.equal(
      new Set(perNode.slice(1)).size,
      1,
      'the cost per node must not grow with the chain',
    );
    store.counts = { get: 0, findByJti: 0, isReferenced: 0, listWorkflow: 0 };
    await validateDag(node(1000, [10, 20, 30, 40, 50]), { store });
    // DAG-1 lookup + 5 predecessors + the cycle pre-check (isReferenced, findByJti).
    assert.deepEqual(store.counts, { get: 6, findByJti: 1, isReferenced: 1, listWorkflow: 0 });
  });

  test('DAG-7: a 20,000-task chain is accepted without hitting the ancestor bound (the walk only runs when a cycle is possible)', async () => {
    const store = new MemoryECTStore();
    for (let i = 1; i <= 20_000; i++)
      await accept(store, node(i, i === 1 ? [] : [i - 1]), { maxAncestors: 10 });
    assert.equal(store.size, 20_000);
    const report = auditWorkflow(store.listWorkflow(WID));
    assert.equal(report.ok, true);
    assert.equal(report.order.length, 20_000);
  });
});

describe('UUIDs compare case-insensitively in the DAG (CLM-5)', () => {
  // Ids with letters, so that case matters: up(n) is the upper-case spelling of id(n).
  const id = (n: number): string => uuid(0xabc000 + n);
  const up = (n: number): string => id(n).toUpperCase();
  const W = WID.toUpperCase();
  const at = (n: number, pred: string[] = [], extra: Partial<DagNode> = {}): DagNode => ({
    jti: id(n),
    wid: WID,
    iat: NOW,
    pred,
    level: 2,
    ...extra,
  });

  test('DAG-1, CLM-5: the same jti in upper case, in the same wid in upper case, is ECT_DAG_DUPLICATE', async () => {
    const store = new MemoryECTStore();
    await accept(store, at(1));
    const again = at(1, [], { jti: up(1), wid: W });
    await rejectsWith(validateDag(again, { store }), 'ECT_DAG_DUPLICATE');
    await rejectsWith(() => store.add(at(1, [], { jti: up(1) })), 'ECT_DAG_DUPLICATE');
    assert.equal(store.get(up(1), W)?.jti, id(1));
    assert.equal(store.findByJti(up(1)).length, 1);
    assert.equal(store.listWorkflow(W).length, 1);
    // Through a verifier with a store (replay cache off): the second spelling is the same task.
    const verifier = createVerifier(verifyOptions({ dag: { store: new MemoryECTStore() } }));
    await verifier.verify(token({ jti: id(1), wid: WID }));
    await rejectsWith(verifier.verify(token({ jti: up(1), wid: W })), 'ECT_DAG_DUPLICATE');
  });

  test('DAG-2, DAG-5, CLM-5: a pred entry or wid in another case finds its predecessor in the same workflow', async () => {
    const store = new MemoryECTStore();
    await accept(store, at(1));
    assert.deepEqual(await accept(store, at(2, [up(1)], { wid: W })), []);
    await accept(store, at(3, [id(2)]));
    const verifier = createVerifier(verifyOptions({ dag: { store } }));
    const result = await verifier.verify(token({ jti: id(4), wid: W, pred: [up(3)] }));
    assert.deepEqual(result.missingPredecessors, []);
  });

  test('DAG-4, CLM-5: a cycle closed through ids in another case is ECT_DAG_CYCLE; a self-reference in another case too', async () => {
    const store = new MemoryECTStore();
    await accept(store, at(1, [up(2)]), { partial: true }); // 1 -> 2, 2 unknown yet
    const partial = { store, partial: true };
    await rejectsWith(validateDag(at(2, [id(1)], { jti: up(2) }), partial), 'ECT_DAG_CYCLE');
    await rejectsWith(validateDag(at(2, [id(1)]), partial), 'ECT_DAG_CYCLE');
    await rejectsWith(validateDag(at(5, [up(5)]), partial), 'ECT_DAG_CYCLE');
  });

  test('DAG-7, CLM-5: the audit and the renderers treat ids in any case as one task', () => {
    const nodes = [at(1), at(2, [up(1)], { wid: W }), at(3, [id(2)])];
    const report = auditWorkflow(nodes);
    assert.equal(report.ok, true, JSON.stringify(report.issues));
    assert.deepEqual(report.roots, [id(1)]);
    assert.equal(report.order.length, 3);
    const duplicate = auditWorkflow([at(1), at(1, [], { jti: up(1), wid: W })]);
    assert.deepEqual(
      duplicate.issues.map((i) => i.code),
      ['ECT_DAG_DUPLICATE'],
    );
    const cycle = auditWorkflow([at(1, [up(2)]), at(2, [id(1)])]);
    assert.deepEqual(
      cycle.issues.map((i) => i.code),
      ['ECT_DAG_CYCLE', 'ECT_DAG_CYCLE'],
    );
    const tree = renderTree(nodes);
    assert.doesNotMatch(tree, /unknown|not reachable/);
    assert.equal(tree.split('\n').length, 3);
  });
});

describe('whole-workflow audit (DAG-7, auditWorkflow)', () => {
  test('DAG-7: a valid workflow: roots and a topological order', () => {
    const nodes = [node(3, [1, 2]), node(1), node(2, [1]), node(4, [3])];
    const report = auditWorkflow(nodes);
    assert.equal(report.ok, true);
    assert.equal(report.nodes, 4);
    assert.deepEqual(report.roots, [uuid(1)]);
    const position = new Map(report.order.map((jti, i) => [jti, i]));
    for (const n of nodes)
      for (const p of n.pred) assert.ok(position.get(p)! < position.get(n.jti)!);
  });

  test('DAG-1, DAG-2, DAG-3, DAG-5: the audit reports duplicates, unknown predecessors, temporal and workflow faults', () => {
    const nodes = [
      node(1),
      node(1),
      node(2, [9]),
      node(3, [4], { iat: NOW }),
      node(4, [], { iat: NOW + 31 }),
      node(5, [6]),
      node(6, [], { wid: OTHER_WID }),
    ];
    const report = auditWorkflow(nodes);
    assert.equal(report.ok, false);
    const found = report.issues.map((i) => `${i.code} ${i.jti}`).sort();
    assert.deepEqual(
      found,
      [
        `ECT_DAG_DUPLICATE ${uuid(1)}`,
        `ECT_DAG_PREDECESSOR_UNKNOWN ${uuid(2)}`,
        `ECT_DAG_TEMPORAL ${uuid(3)}`,
        `ECT_DAG_WORKFLOW_MISMATCH ${uuid(5)}`,
      ].sort(),
    );
    assert.equal(auditWorkflow([node(2, [9])], { external: (jti) => jti === uuid(9) }).ok, true);
    assert.equal(
      auditWorkflow([node(3, [4]), node(4, [], { iat: NOW + 31 })], { clockTolerance: 31 }).ok,
      true,
    );
  });

  test('DAG-4: the audit reports the tasks on a cycle and behind it, and nothing else', () => {
    // 1 <- 2 <- 3 <- 2 (cycle 2,3); 4 depends on 3 (behind the cycle); 5 depends on 1 only.
    const report = auditWorkflow([
      node(1),
      node(2, [1, 3]),
      node(3, [2]),
      node(4, [3]),
      node(5, [1]),
    ]);
    const cyclic = report.issues
      .filter((i) => i.code === 'ECT_DAG_CYCLE')
      .map((i) => i.jti)
      .sort();
    assert.deepEqual(cyclic, [uuid(2), uuid(3), uuid(4)]);
    assert.deepEqual(report.order, [uuid(1), uuid(5)]);
    const self = auditWorkflow([node(1, [1])]);
    assert.deepEqual(
      self.issues.map((i) => i.code),
      ['ECT_DAG_CYCLE'],
    );
  });
});
