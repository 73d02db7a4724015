/**
 * Issue 6 item 4: DAG validation of each ECT as it arrives, for growing workflows of three shapes,
 * and the whole-workflow audit. Per-ECT cost must stay flat (10^6 vs 10^3 ≤ 1.5), the audit linear.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { auditWorkflow, MemoryECTStore, validateDag, type DagNode } from '../../src/index.js';
import { time, type Row } from '../measure.js';

type Shape = 'chain' | 'fan-out/fan-in' | 'random (≤5 pred)';

/** A deterministic pseudo-random generator (xorshift32), so runs are comparable. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** The workflow's nodes, in arrival order. Fan-out/fan-in: a root, 99 children, a join, repeated. */
function workflow(shape: Shape, size: number): DagNode[] {
  const wid = randomUUID();
  const jtis = Array.from({ length: size }, () => randomUUID());
  const random = rng(42);
  const nodes: DagNode[] = [];
  for (let i = 0; i < size; i++) {
    let pred: string[];
    if (shape === 'chain') pred = i === 0 ? [] : [jtis[i - 1]!];
    else if (shape === 'fan-out/fan-in') {
      const block = Math.floor(i / 100) * 100;
      const pos = i % 100;
      if (pos === 0)
        pred = i === 0 ? [] : [jtis[i - 1]!]; // root of the block follows the previous join
      else if (pos < 99) pred = [jtis[block]!];
      else pred = jtis.slice(block + 1, block + 99);
    } else {
      const count = i === 0 ? 0 : Math.min(i, Math.floor(random() * 6));
      const set = new Set<string>();
      while (set.size < count) set.add(jtis[Math.floor(random() * i)]!);
      pred = [...set];
    }
    nodes.push({ jti: jtis[i]!, wid, iat: 1_800_000_000 + i, pred, level: 2 });
  }
  return nodes;
}

/** Validates and adds nodes[from, to) one by one. */
async function feed(
  store: MemoryECTStore,
  nodes: readonly DagNode[],
  from: number,
  to: number,
): Promise<void> {
  for (let i = from; i < to; i++) {
    await validateDag(nodes[i]!, { store });
    store.add(nodes[i]!);
  }
}

export async function dagSuite(options: { sizes: readonly number[] }): Promise<Row[]> {
  const rows: Row[] = [];
  // Warm-up: let the JIT settle before the smallest size is measured.
  for (const shape of ['chain', 'random (≤5 pred)'] as const)
    await feed(new MemoryECTStore(), workflow(shape, 20_000), 0, 20_000);
  for (const shape of ['chain', 'fan-out/fan-in', 'random (≤5 pred)'] as const) {
    let firstPerEct: number | undefined;
    let firstAudit: number | undefined;
    for (const size of options.sizes) {
      const nodes = workflow(shape, size);
      const store = new MemoryECTStore();
      // The marginal cost at this size: the last (up to) 10^4 arrivals.
      const window = Math.min(size, 10_000);
      await feed(store, nodes, 0, size - window);
      const seconds = await time(() => feed(store, nodes, size - window, size));
      const perEct = (seconds / window) * 1e6;
      firstPerEct ??= perEct;
      const ratio = perEct / firstPerEct;
      const last = size === options.sizes[options.sizes.length - 1];
      rows.push({
        suite: 'dag',
        case: `${shape}: validate each, at ${size.toExponential(0)} tasks`,
        value: perEct,
        unit: 'µs/ECT',
        ratio,
        baseline: `at ${options.sizes[0]} tasks`,
        ...(last ? { target: '≤ 1.5', pass: ratio <= 1.5 } : {}),
      });
      // Whole-workflow audit, repeated until 100 ms have passed so small sizes are measurable.
      const list = store.listWorkflow(nodes[0]!.wid!);
      let runs = 0;
      const auditSeconds = await time(() => {
        const start = Date.now();
        do {
          auditWorkflow(list);
          runs++;
        } while (Date.now() - start < 100);
      });
      const perNode = (auditSeconds / runs / size) * 1e6;
      firstAudit ??= perNode;
      const auditRatio = perNode / firstAudit;
      rows.push({
        suite: 'dag',
        case: `${shape}: audit whole workflow, ${size.toExponential(0)} tasks`,
        value: perNode,
        unit: 'µs/task',
        ratio: auditRatio,
        baseline: `at ${options.sizes[0]} tasks`,
        ...(last ? { target: '≤ 1.5 (linear)', pass: auditRatio <= 1.5 } : {}),
      });
    }
  }
  return rows;
}
