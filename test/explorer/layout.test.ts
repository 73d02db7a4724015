/**
 * The explorer's DAG layout in Node (layout.ts and layered.ts need no DOM): on chains, fans, the
 * bench's shape and random DAGs of up to 500 tasks every task is placed, a predecessor is drawn
 * above its successor, no two boxes overlap, every edge runs from its source to its target; a
 * graph above the budget is laid out by layered.ts rather than dagre. Timings are in the bench.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TaskNode } from '../../src/explorer/api.js';
import { properSize, rankNodes, type Edge } from '../../src/explorer/web/layered.js';
import {
  DAGRE_BUDGET,
  layoutWorkflow,
  NODE_HEIGHT,
  NODE_WIDTH,
  type Graph,
} from '../../src/explorer/web/layout.js';
import { benchShape, fanIn, fanOut, randomDag, workflow } from './shapes.js';

const SHAPES: Readonly<Record<string, TaskNode[]>> = {
  'a chain of 10': workflow(10, (i) => (i === 0 ? [] : [i - 1])),
  'a diamond': workflow(4, (i) => [[], [0], [0], [1, 2]][i]!),
  "the bench's shape, 500 tasks": benchShape(500),
  'a fan-out 1 → 499': fanOut(500),
  'a fan-in 499 → 1': fanIn(500),
  'a random DAG of 500 (3 preds among the previous 50)': randomDag(500, { seed: 1, window: 50 }),
  'another random DAG of 500': randomDag(500, { seed: 2, window: 50 }),
  'a random DAG of 60': randomDag(60, { seed: 3, window: 50 }),
  'a grid, 10 a rank': workflow(300, (i) => (i < 10 ? [] : [i - 10, i - 10 + ((i * 3) % 10)])),
};

function boxOf(graph: Graph): Map<string, { x: number; y: number }> {
  return new Map(graph.nodes.map((n) => [n.id, { x: n.x, y: n.y }]));
}

/** Checks what the page relies on; returns the graph. */
function checkLayout(tasks: readonly TaskNode[], options: { acyclic: boolean }): Graph {
  const graph = layoutWorkflow(tasks);
  const at = boxOf(graph);
  assert.equal(graph.collapsed, false);
  assert.equal(graph.nodes.length, tasks.length);
  for (const task of tasks) assert.ok(at.has(graph.nodeOf.get(task.seq)!), `task ${task.seq}`);
  for (const node of graph.nodes) {
    assert.ok(Number.isFinite(node.x) && Number.isFinite(node.y), node.id);
    assert.ok(node.x - NODE_WIDTH / 2 >= -0.5 && node.x + NODE_WIDTH / 2 <= graph.width + 0.5);
    assert.ok(node.y - NODE_HEIGHT / 2 >= -0.5 && node.y + NODE_HEIGHT / 2 <= graph.height + 0.5);
  }
  // No two boxes overlap: sorted by x, only neighbours closer than a box width need a look.
  const byX = [...graph.nodes].sort((a, b) => a.x - b.x);
  for (let i = 0; i < byX.length; i++) {
    for (let k = i + 1; k < byX.length && byX[k]!.x - byX[i]!.x < NODE_WIDTH - 0.5; k++) {
      const dy = Math.abs(byX[k]!.y - byX[i]!.y);
      assert.ok(dy >= NODE_HEIGHT - 0.5, `${byX[i]!.id} overlaps ${byX[k]!.id}`);
    }
  }
  if (options.acyclic) {
    const byJti = new Map(tasks.map((t) => [t.jti, t]));
    for (const task of tasks) {
      for (const p of task.pred) {
        const above = at.get(graph.nodeOf.get(byJti.get(p)!.seq)!)!;
        const below = at.get(graph.nodeOf.get(task.seq)!)!;
        assert.ok(above.y + NODE_HEIGHT <= below.y, `${p} above task ${task.seq}`);
      }
    }
  }
  for (const edge of graph.edges) {
    assert.ok(edge.points.length >= 2, `${edge.from} → ${edge.to} is routed`);
    const inBox = (point: { x: number; y: number }, id: string): boolean => {
      const box = at.get(id)!;
      return (
        Math.abs(point.x - box.x) <= NODE_WIDTH / 2 + 0.5 &&
        Math.abs(point.y - box.y) <= NODE_HEIGHT / 2 + 0.5
      );
    };
    assert.ok(inBox(edge.points[0]!, edge.from), `${edge.from} → ${edge.to} starts at its source`);
    assert.ok(inBox(edge.points.at(-1)!, edge.to), `${edge.from} → ${edge.to} ends at its target`);
  }
  return graph;
}

/** The graph's edges by task index, as layout.ts gives them to the layouts. */
function edgesOf(tasks: readonly TaskNode[]): Edge[] {
  const index = new Map(tasks.map((t, i) => [t.jti, i]));
  return tasks.flatMap((t, i) => t.pred.map((p): Edge => [index.get(p)!, i]));
}

describe('the DAG layout', () => {
  for (const [name, tasks] of Object.entries(SHAPES)) {
    test(`${name}: every task placed, predecessors above, no overlap, edges routed`, () => {
      const graph = checkLayout(tasks, { acyclic: true });
      const size = properSize(tasks.length, edgesOf(tasks));
      assert.equal(graph.engine, size <= DAGRE_BUDGET ? 'dagre' : 'layered', `size ${size}`);
    });
  }

  test('dagre draws a small workflow; above the budget layered.ts does', () => {
    assert.equal(layoutWorkflow(SHAPES['a chain of 10']!).engine, 'dagre');
    const bench = SHAPES["the bench's shape, 500 tasks"]!;
    assert.ok(properSize(bench.length, edgesOf(bench)) > DAGRE_BUDGET);
    assert.equal(layoutWorkflow(bench).engine, 'layered');
    for (const name of ['a fan-out 1 → 499', 'a fan-in 499 → 1', 'another random DAG of 500']) {
      assert.equal(layoutWorkflow(SHAPES[name]!).engine, 'layered', name);
    }
  });

  test('a cycle (a DAG audit finding) is still drawn by either layout', () => {
    for (const count of [6, 300]) {
      const tasks = workflow(count, (i) => (i === 0 ? [count - 1] : [i - 1, Math.max(0, i - 5)]));
      const graph = checkLayout(tasks, { acyclic: false });
      assert.equal(graph.engine, count === 6 ? 'dagre' : 'layered');
    }
  });

  test('ranks put every edge of a DAG downwards; a cycle is broken by reversing an edge', () => {
    const tasks = SHAPES['a random DAG of 500 (3 preds among the previous 50)']!;
    const dag = rankNodes(tasks.length, edgesOf(tasks));
    assert.ok(dag.reversed.every((r) => !r));
    for (const [from, to] of edgesOf(tasks)) assert.ok(dag.rank[from]! < dag.rank[to]!);
    const cycle = rankNodes(3, [
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
    assert.deepEqual(cycle.reversed, [false, false, true]);
    assert.deepEqual([...cycle.rank], [0, 1, 2]);
  });

  test('more than READABLE tasks are collapsed into groups, every task in one', () => {
    const tasks = randomDag(1200, { seed: 4, window: 50 });
    const graph = layoutWorkflow(tasks);
    assert.equal(graph.collapsed, true);
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const task of tasks) assert.ok(ids.has(graph.nodeOf.get(task.seq)!));
    assert.equal(
      graph.nodes.reduce((n, node) => n + node.tasks.length, 0),
      tasks.length,
    );
  });
});
