/**
 * The DAG drawn as SVG: one box per task (or group), three lines of text clipped to the box (the
 * full values in a tooltip), a status colour, and arrows from predecessor to successor. Every
 * text is a text node; nested <svg> elements clip each box so no value can overflow the layout.
 * @module
 */
import type { TaskNode } from '../api.js';
import { clip, svg } from './dom.js';
import { NODE_HEIGHT, NODE_WIDTH, type Graph, type GraphNode } from './layout.js';

/** A node's verification state, as colours show it. */
export type NodeState = 'ok' | 'bad' | 'wait' | 'unverified';

/** The drawn DAG and what the page changes on it. */
export interface DagView {
  readonly element: SVGSVGElement;
  setState(id: string, state: NodeState): void;
  select(id: string | undefined): void;
  /** Replays up to the `count` first tasks in recorded order (the rest dimmed); -1: all. */
  replay(nodes: ReadonlySet<string> | undefined): void;
  zoom(factor: number): void;
}

const CHARS = 30;

function lines(node: GraphNode, collapsed: boolean): [string, string, string] {
  const tasks = node.tasks;
  const first = tasks[0]!;
  if (!collapsed) {
    return [first.execAct, first.iss, `L${first.level} · seq ${first.seq}`];
  }
  const acts = new Set(tasks.map((t) => t.execAct));
  const issuers = new Set(tasks.map((t) => t.iss));
  return [
    acts.size === 1 ? first.execAct : `${acts.size} actions`,
    issuers.size === 1 ? first.iss : `${issuers.size} issuers`,
    `×${tasks.length} tasks · seq ${first.seq}…`,
  ];
}

function tooltip(node: GraphNode): string {
  return node.tasks
    .slice(0, 20)
    .map((t: TaskNode) => `${t.execAct}\n${t.iss}\njti ${t.jti} · seq ${t.seq} · L${t.level}`)
    .join('\n\n');
}

/** Draws the graph; `onSelect` is told the node clicked. */
export function drawDag(graph: Graph, onSelect: (node: GraphNode) => void): DagView {
  const width = Math.max(graph.width, NODE_WIDTH + 32);
  const height = Math.max(graph.height, NODE_HEIGHT + 32);
  const root = svg('svg', {
    class: 'dag',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
  });
  const marker = svg(
    'marker',
    {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 10,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto',
    },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }),
  );
  root.append(svg('defs', {}, marker));
  const edgeLayer = svg('g', { class: 'edges' });
  for (const edge of graph.edges) {
    const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
    edgeLayer.append(svg('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }));
  }
  root.append(edgeLayer);
  const boxes = new Map<string, SVGSVGElement>();
  const nodeLayer = svg('g', { class: 'nodes' });
  for (const node of graph.nodes) {
    const [a, b, c] = lines(node, graph.collapsed);
    const box = svg(
      'svg',
      {
        x: node.x - NODE_WIDTH / 2,
        y: node.y - NODE_HEIGHT / 2,
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        class: `node state-wait${graph.collapsed ? ' group' : ''}`,
        'data-node': node.id,
        tabindex: 0,
      },
      svg('title', {}, tooltip(node)),
      svg('rect', { x: 1, y: 1, width: NODE_WIDTH - 2, height: NODE_HEIGHT - 2, rx: 6 }),
      svg('text', { x: 10, y: 18, class: 'line-act' }, clip(a, CHARS)),
      svg('text', { x: 10, y: 34, class: 'line-iss' }, clip(b, CHARS + 4)),
      svg('text', { x: 10, y: 50, class: 'line-meta' }, clip(c, CHARS + 4)),
    );
    box.addEventListener('click', () => onSelect(node));
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSelect(node);
    });
    boxes.set(node.id, box);
    nodeLayer.append(box);
  }
  root.append(nodeLayer);
  let selected: string | undefined;
  let scale = 1;
  return {
    element: root,
    setState(id, state) {
      const box = boxes.get(id);
      if (box === undefined) return;
      for (const s of ['ok', 'bad', 'wait', 'unverified']) box.classList.remove(`state-${s}`);
      box.classList.add(`state-${state}`);
      box.setAttribute('data-state', state);
    },
    select(id) {
      if (selected !== undefined) boxes.get(selected)?.classList.remove('selected');
      selected = id;
      if (id !== undefined) boxes.get(id)?.classList.add('selected');
    },
    replay(nodes) {
      for (const [id, box] of boxes)
        box.classList.toggle('future', nodes !== undefined && !nodes.has(id));
    },
    zoom(factor) {
      scale = Math.min(4, Math.max(0.1, scale * factor));
      root.setAttribute('width', String(width * scale));
      root.setAttribute('height', String(height * scale));
    },
  };
}

/** The drawing as a standalone SVG file (its styles inlined), for the export. */
export function svgFile(view: DagView): string {
  const copy = view.element.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const style = document.createElementNS('http://www.w3.org/2000/svg', 'style');
  style.textContent =
    'text{font:12px sans-serif;fill:#1b1f24}.line-act{font-weight:bold}' +
    '.node rect{fill:#fff;stroke:#8c959f;stroke-width:1.5}.state-ok rect{stroke:#1a7f37}' +
    '.state-bad rect{stroke:#cf222e;fill:#ffebe9}.edge{fill:none;stroke:#8c959f}' +
    '.arrow-head{fill:#8c959f}';
  copy.insertBefore(style, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}
