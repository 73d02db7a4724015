/**
 * The DAG's layered layout: dagre for a small graph, our own layered layout (layered.ts) above
 * `DAGRE_BUDGET`, where dagre's crossing minimisation over the dummy vertices of long edges takes
 * seconds. Up to `READABLE` tasks every task is a node. A larger
 * workflow is collapsed: tasks are placed in layers (longest path from a root) and grouped by
 * layer band, action and issuer, the bands widened (and then the issuer, then the action dropped
 * from the key) until the view is small enough to lay out quickly; a group lists its tasks when
 * selected.
 * @module
 */
import dagre from '@dagrejs/dagre';
import type { TaskNode } from '../api.js';
import { layeredLayout, properSize, type Edge } from './layered.js';

/**
 * The part of dagre used here. Its published types refer to @dagrejs/graphlib, which is bundled
 * into dagre rather than installed, so they do not resolve: this states what is called.
 */
interface LayoutGraph {
  setGraph(label: Readonly<Record<string, number | string>>): void;
  setDefaultEdgeLabel(label: () => object): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string): void;
  graph(): { width?: number; height?: number };
  node(id: string): { x: number; y: number };
  edges(): { v: string; w: string }[];
  edge(edge: { v: string; w: string }): { points?: { x: number; y: number }[] };
}
const engine = dagre as unknown as {
  graphlib: { Graph: new () => LayoutGraph };
  layout(graph: LayoutGraph): void;
};

/** Most nodes drawn; above it the workflow is collapsed. */
export const READABLE = 500;
/** Limits of a collapsed view (see `groupKeys`). */
const MAX_BANDS = 40;
const MAX_GROUPS = 120;
const MAX_GROUP_EDGES = 100;
export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 58;
const NODE_SEP = 24;
const RANK_SEP = 46;
/** dagre's default space between edges, kept for the fallback. */
const EDGE_SEP = 20;
const MARGIN = 16;

/**
 * Largest graph given to dagre: vertices plus edges once every long edge is split into dummy
 * vertices, one per rank crossed (`properSize`). Measured in Node 20 (2-core EPYC under a load of
 * 3-5), warm, median of 3, on chains, fans, grids of 10 a rank, the bench's shape and random DAGs
 * of 10-100 tasks: dagre takes 0.2-0.4 ms per unit of that size (5-35 ms up to 100, 34-72 ms at
 * 180-200, 145-275 ms for a random DAG of 100 tasks at 664, 350 ms for 100 tasks of the bench's
 * shape at 2,065, 2.3 s for its 500 tasks at 10,845). layered.ts takes 0.2-3 ms up to 100 tasks;
 * for 500 tasks 36-110 ms on the bench's shape (about 100 ms cold), 1-6 ms on a fan-out or fan-in,
 * 8-27 ms on random DAGs; it drew fewer crossings than dagre on every shape compared (random DAG
 * of 100: 700 against 777; bench's shape, 200 tasks: 415 against 529), and narrower. So dagre
 * keeps the small workflows it has always drawn, within ~70 ms.
 */
export const DAGRE_BUDGET = 200;

/** Which layout drew the graph. */
export type LayoutEngine = 'dagre' | 'layered';

/** A drawn node: one task, or a group of tasks. */
export interface GraphNode {
  readonly id: string;
  readonly tasks: readonly TaskNode[];
  readonly x: number;
  readonly y: number;
}

/** A drawn edge with dagre's route. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** The laid-out graph. */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly width: number;
  readonly height: number;
  readonly collapsed: boolean;
  readonly engine: LayoutEngine;
  /** The node of each task, by seq. */
  readonly nodeOf: ReadonlyMap<number, string>;
}

/** The predecessors of each task among the tasks (by index), by canonical jti. */
function predecessors(tasks: readonly TaskNode[]): number[][] {
  const byJti = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (!byJti.has(t.jti)) byJti.set(t.jti, i);
  });
  return tasks.map((t, i) =>
    [...new Set(t.pred)]
      .map((p) => byJti.get(p.toLowerCase()))
      .filter((j): j is number => j !== undefined && j !== i),
  );
}

/** Longest-path layer of each task; tasks on a cycle go below all others. */
function layers(preds: readonly number[][]): number[] {
  const n = preds.length;
  const children: number[][] = preds.map(() => []);
  const indegree = preds.map((p) => p.length);
  preds.forEach((list, i) => list.forEach((p) => children[p]!.push(i)));
  const layer = new Array<number>(n).fill(-1);
  const queue: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) {
      queue.push(i);
      layer[i] = 0;
    }
  });
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!;
    for (const c of children[at]!) {
      layer[c] = Math.max(layer[c]!, layer[at]! + 1);
      if (--indegree[c]! === 0) queue.push(c);
    }
  }
  const deepest = Math.max(0, ...layer);
  return layer.map((l) => (l < 0 ? deepest + 1 : l));
}

/**
 * Group keys of a collapsed workflow. Layout time grows with nodes, edges and the layers an edge
 * spans, so a collapsed view is kept small: at most `MAX_BANDS` layer bands, `MAX_GROUPS` groups
 * and `MAX_GROUP_EDGES` edges between them. The most telling key that fits wins: band, action
 * and issuer; then band and action; then the band alone (always fits).
 */
function groupKeys(
  tasks: readonly TaskNode[],
  layer: readonly number[],
  preds: readonly number[][],
): string[] {
  const deepest = Math.max(0, ...layer);
  const keyings: ((t: TaskNode, band: number) => string)[] = [
    (t, band) => JSON.stringify([band, t.execAct, t.iss]),
    (t, band) => JSON.stringify([band, t.execAct]),
    (_t, band) => JSON.stringify([band]),
  ];
  const fits = (keys: readonly string[]): boolean => {
    if (new Set(keys).size > MAX_GROUPS) return false;
    const edges = new Set<string>();
    preds.forEach((list, i) => {
      for (const p of list) if (keys[p] !== keys[i]) edges.add(`${keys[p]} ${keys[i]}`);
    });
    return edges.size <= MAX_GROUP_EDGES;
  };
  const first = Math.max(1, Math.ceil((deepest + 1) / MAX_BANDS));
  for (const keying of keyings) {
    for (let width = first; width <= 2 * first * MAX_BANDS; width *= 2) {
      const keys = tasks.map((t, i) => keying(t, Math.floor(layer[i]! / width)));
      if (fits(keys)) return keys;
    }
  }
  return tasks.map((_t, i) => String(Math.floor(layer[i]! / first)));
}

/** Lays the workflow out; collapses it above READABLE tasks. */
export function layoutWorkflow(tasks: readonly TaskNode[]): Graph {
  const preds = predecessors(tasks);
  const collapsed = tasks.length > READABLE;
  const keys = collapsed ? groupKeys(tasks, layers(preds), preds) : tasks.map((t) => `t${t.seq}`);
  const idOfKey = new Map<string, string>();
  const members = new Map<string, TaskNode[]>();
  const nodeOf = new Map<number, string>();
  tasks.forEach((task, i) => {
    let id = idOfKey.get(keys[i]!);
    if (id === undefined) {
      id = collapsed ? `g${idOfKey.size}` : keys[i]!;
      idOfKey.set(keys[i]!, id);
      members.set(id, []);
    }
    members.get(id)!.push(task);
    nodeOf.set(task.seq, id);
  });
  const ids = [...members.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const edges: Edge[] = [];
  const seen = new Set<string>();
  preds.forEach((list, i) => {
    const to = nodeOf.get(tasks[i]!.seq)!;
    for (const p of list) {
      const from = nodeOf.get(tasks[p]!.seq)!;
      const key = `${from} ${to}`;
      if (from === to || seen.has(key)) continue;
      seen.add(key);
      edges.push([index.get(from)!, index.get(to)!]);
    }
  });
  const drawn = { ids, edges, members, collapsed, nodeOf };
  return properSize(ids.length, edges) <= DAGRE_BUDGET ? withDagre(drawn) : withLayered(drawn);
}

/** The nodes and edges to draw, by index, with what the graph reports besides positions. */
interface Drawn {
  readonly ids: readonly string[];
  readonly edges: readonly Edge[];
  readonly members: ReadonlyMap<string, readonly TaskNode[]>;
  readonly collapsed: boolean;
  readonly nodeOf: ReadonlyMap<number, string>;
}

function withDagre(drawn: Drawn): Graph {
  const g = new engine.graphlib.Graph();
  g.setGraph({
    rankdir: 'TB',
    nodesep: NODE_SEP,
    ranksep: RANK_SEP,
    edgesep: EDGE_SEP,
    marginx: MARGIN,
    marginy: MARGIN,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of drawn.ids) g.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const [from, to] of drawn.edges) g.setEdge(drawn.ids[from]!, drawn.ids[to]!);
  engine.layout(g);
  const graph = g.graph();
  return {
    nodes: drawn.ids.map((id) => {
      const at = g.node(id);
      return { id, tasks: drawn.members.get(id)!, x: at.x, y: at.y };
    }),
    edges: g.edges().map((e) => ({
      from: e.v,
      to: e.w,
      points: g.edge(e).points ?? [],
    })),
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    collapsed: drawn.collapsed,
    engine: 'dagre',
    nodeOf: drawn.nodeOf,
  };
}

function withLayered(drawn: Drawn): Graph {
  const out = layeredLayout({
    count: drawn.ids.length,
    edges: drawn.edges,
    nodeWidth: NODE_WIDTH,
    nodeHeight: NODE_HEIGHT,
    nodeSep: NODE_SEP,
    edgeSep: EDGE_SEP,
    rankSep: RANK_SEP,
    margin: MARGIN,
  });
  return {
    nodes: drawn.ids.map((id, i) => ({
      id,
      tasks: drawn.members.get(id)!,
      x: out.x[i]!,
      y: out.y[i]!,
    })),
    edges: drawn.edges.map(([from, to], e) => ({
      from: drawn.ids[from]!,
      to: drawn.ids[to]!,
      points: out.points[e]!,
    })),
    width: out.width,
    height: out.height,
    collapsed: drawn.collapsed,
    engine: 'layered',
    nodeOf: drawn.nodeOf,
  };
}
