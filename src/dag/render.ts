/**
 * Readable renderings of a workflow's DAG (profile section 6) for people and documents: a text
 * tree, Mermaid flowchart and Graphviz dot. Each node shows its action, short task id, issuer and
 * level; a join (several predecessors) is drawn under its last predecessor and referenced under
 * the others, so every task appears once in full. Task ids are drawn in their canonical form
 * (lowercase UUIDs, CLM-5).
 * @module
 */
import { canonicalId } from '../format/task-key.js';
import type { DagNode } from './store.js';

/** Options of the renderers. */
export interface RenderOptions {
  /** Characters of a `jti` shown (default 8). */
  readonly idLength?: number;
}

interface Graph {
  readonly nodes: readonly DagNode[];
  readonly byJti: ReadonlyMap<string, DagNode>;
  /** For each node, its predecessors that are in the list. */
  readonly known: ReadonlyMap<string, readonly string[]>;
}

/** The node with its ids in canonical form (CLM-5), so that `ABC…` and `abc…` draw as one. */
function canonicalNode(node: DagNode): DagNode {
  const jti = canonicalId(node.jti);
  const pred = node.pred.map(canonicalId);
  const same = jti === node.jti && pred.every((p, i) => p === node.pred[i]);
  return same ? node : { ...node, jti, pred };
}

function graphOf(input: readonly DagNode[]): Graph {
  const nodes = input.map(canonicalNode);
  const byJti = new Map<string, DagNode>();
  for (const node of nodes) if (!byJti.has(node.jti)) byJti.set(node.jti, node);
  const known = new Map<string, readonly string[]>();
  for (const node of byJti.values()) known.set(node.jti, node.pred.filter((p) => byJti.has(p) && p !== node.jti));
  return { nodes: [...byJti.values()], byJti, known };
}

function shortId(jti: string, options: RenderOptions): string {
  return jti.slice(0, options.idLength ?? 8);
}

function label(node: DagNode, options: RenderOptions): string {
  const parts = [node.exec_act ?? '(no action)', shortId(node.jti, options)];
  if (node.iss !== undefined) parts.push(`(${node.iss})`);
  parts.push(`L${node.level}`);
  return parts.join(' ');
}

/**
 * A text tree: roots first, children indented with box-drawing characters. Tasks that no root
 * reaches (on a cycle) are listed at the end.
 */
export function renderTree(nodes: readonly DagNode[], options: RenderOptions = {}): string {
  const graph = graphOf(nodes);
  // A node is drawn in full under its last known predecessor (its primary parent).
  const children = new Map<string, { jti: string; primary: boolean }[]>();
  const roots: string[] = [];
  for (const node of graph.nodes) {
    const preds = graph.known.get(node.jti)!;
    if (preds.length === 0) roots.push(node.jti);
    preds.forEach((p, i) => {
      const list = children.get(p) ?? [];
      list.push({ jti: node.jti, primary: i === preds.length - 1 });
      children.set(p, list);
    });
  }
  const lines: string[] = [];
  const drawn = new Set<string>();
  const describe = (node: DagNode): string => {
    const preds = graph.known.get(node.jti)!;
    const unknown = node.pred.filter((p) => !graph.byJti.has(p));
    let text = label(node, options);
    if (preds.length > 1) text += ` ⟵ joins ${preds.map((p) => `${graph.byJti.get(p)!.exec_act ?? '?'} ${shortId(p, options)}`).join(' + ')}`;
    if (unknown.length > 0) text += ` (after unknown ${unknown.map((p) => shortId(p, options)).join(', ')})`;
    return text;
  };
  const draw = (jti: string, prefix: string, connector: string, childPrefix: string): void => {
    const node = graph.byJti.get(jti)!;
    lines.push(`${prefix}${connector}${describe(node)}`);
    drawn.add(jti);
    const list = children.get(jti) ?? [];
    list.forEach((child, i) => {
      const last = i === list.length - 1;
      const nextConnector = last ? '└─ ' : '├─ ';
      const nextPrefix = `${prefix}${childPrefix}`;
      if (child.primary && !drawn.has(child.jti)) draw(child.jti, nextPrefix, nextConnector, last ? '   ' : '│  ');
      else lines.push(`${nextPrefix}${nextConnector}↪ ${graph.byJti.get(child.jti)!.exec_act ?? '?'} ${shortId(child.jti, options)} (drawn ${drawn.has(child.jti) ? 'above' : 'below'})`);
    });
  };
  for (const root of roots) draw(root, '', '', '');
  const unreached = graph.nodes.filter((node) => !drawn.has(node.jti));
  if (unreached.length > 0) {
    lines.push('not reachable from a root (cycle):');
    for (const node of unreached) lines.push(`  ${describe(node)}`);
  }
  return lines.join('\n');
}

function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** A Mermaid flowchart (top-down); edges go from predecessor to successor. */
export function renderMermaid(nodes: readonly DagNode[], options: RenderOptions = {}): string {
  const graph = graphOf(nodes);
  const ids = new Map(graph.nodes.map((node, i) => [node.jti, `t${i}`] as const));
  const lines = ['flowchart TD'];
  for (const node of graph.nodes) {
    const parts = [node.exec_act ?? '(no action)', `${shortId(node.jti, options)} · L${node.level}`, ...(node.iss === undefined ? [] : [node.iss])];
    lines.push(`  ${ids.get(node.jti)}["${parts.map(mermaidText).join('<br/>')}"]`);
  }
  for (const node of graph.nodes) for (const p of graph.known.get(node.jti)!) lines.push(`  ${ids.get(p)} --> ${ids.get(node.jti)}`);
  return lines.join('\n');
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A Graphviz dot digraph; edges go from predecessor to successor. */
export function renderDot(nodes: readonly DagNode[], options: RenderOptions = {}): string {
  const graph = graphOf(nodes);
  const lines = ['digraph ect {', '  rankdir=TB;', '  node [shape=box, fontname="Helvetica"];'];
  for (const node of graph.nodes) {
    const text = `${node.exec_act ?? '(no action)'}\n${shortId(node.jti, options)} · L${node.level}${node.iss === undefined ? '' : `\n${node.iss}`}`;
    lines.push(`  ${dotString(node.jti)} [label=${dotString(text)}];`);
  }
  for (const node of graph.nodes) for (const p of graph.known.get(node.jti)!) lines.push(`  ${dotString(p)} -> ${dotString(node.jti)};`);
  lines.push('}');
  return lines.join('\n');
}
