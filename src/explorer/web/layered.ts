/**
 * A small layered (Sugiyama-style) layout for graphs too costly for dagre: back edges of a
 * depth-first search reversed to break cycles; longest-path ranks, a node with more successors
 * than predecessors then pulled down to just above its nearest successor; long edges split into
 * dummy vertices, one per rank crossed; orders from barycenter sweeps (down and up, the order with
 * the fewest crossings kept, as dagre does); x from sweeps that move each vertex towards the
 * weighted mean of its neighbours, keeping its rank's order and spacing (an exact least-squares
 * fit per rank, by pool-adjacent-violators); edges drawn as polylines through the dummies' slots.
 * Arrays and typed arrays throughout, no graph objects: 500 tasks with ~5,000 dummies take tens of
 * milliseconds where dagre takes seconds (figures in layout.ts). Pure code (no DOM), tested in Node.
 * @module
 */

/** An edge between node indices, from predecessor to successor. */
export type Edge = readonly [from: number, to: number];

/** A point of an edge's route. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** What to lay out: `count` nodes of one size and the edges between them (no self-loops). */
export interface LayeredInput {
  readonly count: number;
  readonly edges: readonly Edge[];
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  /** Horizontal space between two nodes of a rank; `edgeSep` between edges passing it. */
  readonly nodeSep: number;
  readonly edgeSep: number;
  /** Vertical space between ranks. */
  readonly rankSep: number;
  readonly margin: number;
}

/** Node centres, each input edge's route (from its source to its target), and the extent. */
export interface LayeredOutput {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly points: readonly (readonly Point[])[];
  readonly width: number;
  readonly height: number;
}

/** Ranks of the nodes, and which edges were reversed to break cycles. */
export interface Ranking {
  readonly rank: Int32Array;
  readonly reversed: readonly boolean[];
}

/** Barycenter sweeps at most; stop after this many without fewer crossings (dagre's figures). */
const MAX_SWEEPS = 24;
const PATIENCE = 4;
/** Sweeps of the x placement (each over every rank, alternately down and up). */
const PLACE_SWEEPS = 24;

/** Edges closing a cycle in a depth-first search (in node order), to be reversed. */
function backEdges(count: number, edges: readonly Edge[]): boolean[] {
  const out: number[][] = Array.from({ length: count }, () => []);
  edges.forEach(([from], e) => out[from]!.push(e));
  const state = new Uint8Array(count); // 0: unseen, 1: on the stack, 2: done
  const reversed = edges.map(() => false);
  for (let root = 0; root < count; root++) {
    if (state[root] !== 0) continue;
    state[root] = 1;
    const stack: [node: number, next: number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const list = out[top[0]]!;
      if (top[1] === list.length) {
        state[top[0]] = 2;
        stack.pop();
        continue;
      }
      const e = list[top[1]++]!;
      const to = edges[e]![1];
      if (state[to] === 1) reversed[e] = true;
      else if (state[to] === 0) {
        state[to] = 1;
        stack.push([to, 0]);
      }
    }
  }
  return reversed;
}

/**
 * Longest-path ranks on the edges with cycles broken; then, in reverse topological order, a node
 * with more successors than predecessors moves down to just above its nearest successor, which
 * shortens more edges than it lengthens (roots that feed a deep task no longer stretch across).
 */
export function rankNodes(count: number, edges: readonly Edge[]): Ranking {
  const reversed = backEdges(count, edges);
  const succ: number[][] = Array.from({ length: count }, () => []);
  const indegree = new Int32Array(count);
  edges.forEach(([a, b], e) => {
    if (a === b) return;
    const [from, to] = reversed[e] ? [b, a] : [a, b];
    succ[from]!.push(to);
    indegree[to]!++;
  });
  const predCount = Int32Array.from(indegree);
  const rank = new Int32Array(count);
  const order: number[] = [];
  for (let v = 0; v < count; v++) if (indegree[v] === 0) order.push(v);
  for (let head = 0; head < order.length; head++) {
    const v = order[head]!;
    for (const w of succ[v]!) {
      rank[w] = Math.max(rank[w]!, rank[v]! + 1);
      if (--indegree[w]! === 0) order.push(w);
    }
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i]!;
    const list = succ[v]!;
    if (list.length === 0 || list.length <= predCount[v]!) continue;
    let nearest = Infinity;
    for (const w of list) nearest = Math.min(nearest, rank[w]!);
    rank[v] = nearest - 1;
  }
  let lowest = Infinity;
  for (const r of rank) lowest = Math.min(lowest, r);
  if (count > 0) for (let v = 0; v < count; v++) rank[v]! -= lowest;
  return { rank, reversed };
}

/**
 * Size of the proper layered graph (every edge spanning one rank): its vertices plus its edges,
 * each long edge split into one dummy vertex per rank it crosses. What dagre's time follows.
 */
export function properSize(count: number, edges: readonly Edge[]): number {
  const { rank } = rankNodes(count, edges);
  let size = count;
  for (const [a, b] of edges) if (a !== b) size += 2 * Math.abs(rank[b]! - rank[a]!) - 1;
  return size;
}

/** Neighbours of each vertex, flat: those of v are `to[start[v]]..to[start[v + 1] - 1]`. */
interface Adjacency {
  readonly start: Int32Array;
  readonly to: Int32Array;
  readonly weight: Float64Array;
}

/** The proper layered graph: real nodes and dummies, with links between adjacent ranks. */
interface Layered {
  /** Rank of each vertex; vertices 0..count-1 are the nodes, the rest dummies. */
  readonly rank: Int32Array;
  /** Neighbours in the rank above and below, with a link weight each. */
  readonly up: Adjacency;
  readonly down: Adjacency;
  /** Each input edge's vertices from its top to its bottom (real ends included). */
  readonly chains: number[][];
  readonly ranks: number;
}

/** Link weights: long edges are kept straight first (as dagre's inner segments are). */
function linkWeight(options: { dummyA: boolean; dummyB: boolean }): number {
  if (options.dummyA && options.dummyB) return 8;
  return options.dummyA || options.dummyB ? 2 : 1;
}

/** Links grouped by one end (`from`), in the order given: a counting sort. */
function adjacency(
  size: number,
  links: { from: readonly number[]; to: readonly number[]; weight: readonly number[] },
): Adjacency {
  const start = new Int32Array(size + 1);
  for (const v of links.from) start[v + 1]!++;
  for (let v = 0; v < size; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, size);
  const to = new Int32Array(links.from.length);
  const weight = new Float64Array(links.from.length);
  links.from.forEach((v, k) => {
    const at = fill[v]!++;
    to[at] = links.to[k]!;
    weight[at] = links.weight[k]!;
  });
  return { start, to, weight };
}

/** The proper layered graph of the ranked edges: a dummy vertex per rank a long edge crosses. */
function buildLayered(count: number, edges: readonly Edge[], ranking: Ranking): Layered {
  const rank = Array.from(ranking.rank);
  const upper: number[] = [];
  const lower: number[] = [];
  const weight: number[] = [];
  const chains = edges.map(([a, b], e): number[] => {
    if (a === b) return [];
    const [top, bottom] = ranking.reversed[e] ? [b, a] : [a, b];
    const chain = [top];
    for (let r = rank[top]! + 1; r < rank[bottom]!; r++) {
      chain.push(rank.length);
      rank.push(r);
    }
    chain.push(bottom);
    for (let k = 1; k < chain.length; k++) {
      upper.push(chain[k - 1]!);
      lower.push(chain[k]!);
      weight.push(linkWeight({ dummyA: chain[k - 1]! >= count, dummyB: chain[k]! >= count }));
    }
    return chain;
  });
  let ranks = 0;
  for (const r of rank) ranks = Math.max(ranks, r + 1);
  return {
    rank: Int32Array.from(rank),
    up: adjacency(rank.length, { from: lower, to: upper, weight }),
    down: adjacency(rank.length, { from: upper, to: lower, weight }),
    chains,
    ranks,
  };
}

/** Initial orders: a depth-first walk down from the nodes by rank, so children sit together. */
function initialOrder(g: Layered): number[][] {
  const layers: number[][] = Array.from({ length: g.ranks }, () => []);
  const seen = new Uint8Array(g.rank.length);
  const starts = Array.from(g.rank.keys()).sort((a, b) => g.rank[a]! - g.rank[b]! || a - b);
  const { start, to } = g.down;
  for (const first of starts) {
    if (seen[first] !== 0) continue;
    const stack = [first];
    seen[first] = 1;
    while (stack.length > 0) {
      const v = stack.pop()!;
      layers[g.rank[v]!]!.push(v);
      for (let k = start[v + 1]! - 1; k >= start[v]!; k--) {
        const w = to[k]!;
        if (seen[w] === 0) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
  }
  return layers;
}

/**
 * Reorders `layer` by the barycenter of each vertex's neighbours' positions (in `pos`) in the
 * fixed adjacent rank; a vertex without neighbours there keeps its slot (as dagre's sort does).
 */
function reorder(
  layer: number[],
  neighbours: Adjacency,
  state: { pos: Int32Array; bary: Float64Array; movable: number[] },
): void {
  const { pos, bary, movable } = state;
  const { start, to } = neighbours;
  movable.length = 0;
  for (const v of layer) {
    const from = start[v]!;
    const end = start[v + 1]!;
    if (from === end) continue;
    let sum = 0;
    for (let k = from; k < end; k++) sum += pos[to[k]!]!;
    bary[v] = sum / (end - from);
    movable.push(v);
  }
  if (movable.length > 1) movable.sort((a, b) => bary[a]! - bary[b]! || pos[a]! - pos[b]!);
  let next = 0;
  for (let i = 0; i < layer.length; i++) {
    const v = layer[i]!;
    if (start[v + 1]! > start[v]!) layer[i] = movable[next++]!;
  }
  for (let i = 0; i < layer.length; i++) pos[layer[i]!] = i;
}

/** Crossings between each rank and the next (Barth, Jünger and Mutzel's counting, with a BIT). */
function crossings(layers: readonly number[][], g: Layered, pos: Int32Array): number {
  let widest = 0;
  for (const layer of layers) widest = Math.max(widest, layer.length);
  const tree = new Int32Array(widest + 1);
  const ends = new Int32Array(widest);
  const { start, to } = g.down;
  let total = 0;
  for (let r = 0; r + 1 < layers.length; r++) {
    const size = layers[r + 1]!.length;
    tree.fill(0, 0, size + 1);
    let inserted = 0;
    for (const v of layers[r]!) {
      const degree = start[v + 1]! - start[v]!;
      for (let k = 0; k < degree; k++) ends[k] = pos[to[start[v]! + k]!]!;
      if (degree > 1) ends.subarray(0, degree).sort();
      for (let k = 0; k < degree; k++) {
        // Links already inserted whose lower end lies right of this one's cross it.
        const p = ends[k]!;
        let atMost = 0;
        for (let i = p + 1; i > 0; i -= i & -i) atMost += tree[i]!;
        total += inserted - atMost;
        for (let i = p + 1; i <= size; i += i & -i) tree[i]!++;
        inserted++;
      }
    }
  }
  return total;
}

/** Orders of every rank: barycenter sweeps, alternately down and up; the best order wins. */
function order(g: Layered): number[][] {
  const layers = initialOrder(g);
  const pos = new Int32Array(g.rank.length);
  layers.forEach((layer) => layer.forEach((v, i) => (pos[v] = i)));
  const state = { pos, bary: new Float64Array(g.rank.length), movable: [] as number[] };
  let best = layers.map((layer) => [...layer]);
  let fewest = crossings(layers, g, pos);
  for (let sweep = 0, stale = 0; sweep < MAX_SWEEPS && stale < PATIENCE && fewest > 0; sweep++) {
    if (sweep % 2 === 0) for (let r = 1; r < layers.length; r++) reorder(layers[r]!, g.up, state);
    else for (let r = layers.length - 2; r >= 0; r--) reorder(layers[r]!, g.down, state);
    const count = crossings(layers, g, pos);
    if (count < fewest) {
      fewest = count;
      best = layers.map((layer) => [...layer]);
      stale = 0;
    } else stale++;
  }
  return best;
}

/** Scratch arrays for `fit`, sized for the widest rank. */
interface Scratch {
  readonly offset: Float64Array;
  readonly blockWeight: Float64Array;
  readonly blockSum: Float64Array;
  readonly blockSize: Int32Array;
}

/**
 * Moves the layer's vertices to the positions closest (least squares, weighted) to `desired` that
 * keep their order and at least `gap[i]` between vertex i-1 and i: isotonic regression of the
 * desired positions minus the packed offsets, by pool-adjacent-violators. O(n).
 */
function fit(
  layer: readonly number[],
  x: Float64Array,
  problem: { desired: Float64Array; weight: Float64Array; gap: Float64Array; scratch: Scratch },
): void {
  const { desired, weight, gap, scratch } = problem;
  const { offset, blockWeight, blockSum, blockSize } = scratch;
  const n = layer.length;
  let blocks = 0;
  for (let i = 0; i < n; i++) {
    offset[i] = i === 0 ? 0 : offset[i - 1]! + gap[i]!;
    let w = weight[i]!;
    let sum = w * (desired[i]! - offset[i]!);
    let size = 1;
    while (blocks > 0 && blockSum[blocks - 1]! * w >= sum * blockWeight[blocks - 1]!) {
      blocks--;
      w += blockWeight[blocks]!;
      sum += blockSum[blocks]!;
      size += blockSize[blocks]!;
    }
    blockWeight[blocks] = w;
    blockSum[blocks] = sum;
    blockSize[blocks] = size;
    blocks++;
  }
  for (let b = 0, i = 0; b < blocks; b++) {
    const mean = blockSum[b]! / blockWeight[b]!;
    for (let k = 0; k < blockSize[b]!; k++, i++) x[layer[i]!] = mean + offset[i]!;
  }
}

/** X of every vertex: packed, then moved towards its neighbours sweep by sweep. */
function place(g: Layered, layers: readonly number[][], input: LayeredInput): Float64Array {
  const count = input.count;
  const half = (v: number): number =>
    v < count ? (input.nodeWidth + input.nodeSep) / 2 : input.edgeSep / 2;
  const x = new Float64Array(g.rank.length);
  let widest = 0;
  const gaps = layers.map((layer) => {
    widest = Math.max(widest, layer.length);
    const gap = new Float64Array(layer.length);
    for (let i = 1; i < layer.length; i++) gap[i] = half(layer[i - 1]!) + half(layer[i]!);
    let at = -gap.reduce((a, b) => a + b, 0) / 2;
    for (let i = 0; i < layer.length; i++) x[layer[i]!] = at += gap[i]!;
    return gap;
  });
  const desired = new Float64Array(widest);
  const weight = new Float64Array(widest);
  const scratch: Scratch = {
    offset: new Float64Array(widest),
    blockWeight: new Float64Array(widest),
    blockSum: new Float64Array(widest),
    blockSize: new Int32Array(widest),
  };
  const { up, down } = g;
  const pull = (r: number): void => {
    const layer = layers[r]!;
    for (let i = 0; i < layer.length; i++) {
      const v = layer[i]!;
      let sum = 0;
      let total = 0;
      for (let k = up.start[v]!; k < up.start[v + 1]!; k++) {
        sum += up.weight[k]! * x[up.to[k]!]!;
        total += up.weight[k]!;
      }
      for (let k = down.start[v]!; k < down.start[v + 1]!; k++) {
        sum += down.weight[k]! * x[down.to[k]!]!;
        total += down.weight[k]!;
      }
      desired[i] = total > 0 ? sum / total : x[v]!;
      weight[i] = Math.max(1, total);
    }
    fit(layer, x, { desired, weight, gap: gaps[r]!, scratch });
  };
  for (let sweep = 0; sweep < PLACE_SWEEPS; sweep++) {
    if (sweep % 2 === 0) for (let r = 0; r < layers.length; r++) pull(r);
    else for (let r = layers.length - 1; r >= 0; r--) pull(r);
  }
  return x;
}

/** Lays the graph out (see the module's comment). */
export function layeredLayout(input: LayeredInput): LayeredOutput {
  const ranking = rankNodes(input.count, input.edges);
  const g = buildLayered(input.count, input.edges, ranking);
  const layers = order(g);
  const x = place(g, layers, input);
  let left = Infinity;
  let right = -Infinity;
  x.forEach((at, v) => {
    const half = v < input.count ? input.nodeWidth / 2 : 0;
    left = Math.min(left, at - half);
    right = Math.max(right, at + half);
  });
  if (input.count === 0) left = right = 0;
  const shift = input.margin - left;
  const step = input.nodeHeight + input.rankSep;
  const centre = (v: number): number => input.margin + g.rank[v]! * step + input.nodeHeight / 2;
  const half = input.nodeHeight / 2;
  const points = g.chains.map((chain, e): Point[] => {
    if (chain.length === 0) return [];
    const route: Point[] = [{ x: x[chain[0]!]! + shift, y: centre(chain[0]!) + half }];
    // Through each dummy's slot vertically, so a long edge passes between a rank's boxes.
    for (const v of chain.slice(1, -1)) {
      route.push(
        { x: x[v]! + shift, y: centre(v) - half },
        { x: x[v]! + shift, y: centre(v) + half },
      );
    }
    const last = chain[chain.length - 1]!;
    route.push({ x: x[last]! + shift, y: centre(last) - half });
    return ranking.reversed[e] ? route.reverse() : route;
  });
  const nodes = Array.from({ length: input.count }, (_v, i) => i);
  return {
    x: nodes.map((v) => x[v]! + shift),
    y: nodes.map(centre),
    points,
    width: right - left + 2 * input.margin,
    height: Math.max(0, g.ranks * step - input.rankSep) + 2 * input.margin,
  };
}
