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

/** Indentation levels of the text tree before a subtree continues from the left margin. */
export const DEFAULT_TREE_DEPTH = 32;

/** Options of the renderers. */
export interface RenderOptions {
  /** Characters of a `jti` shown (default 8). */
  readonly idLength?: number;
  /**
   * Text tree: levels of indentation (default 32). A deeper task is marked `⋯ … (continued
   * below)` and its subtree drawn later from the left margin, so the output of a long chain
   * grows linearly with its length, not with its square.
   */
  readonly maxDepth?: number;
}

/** One task of the text tree whose children are being drawn. */
interface TreeFrame {
  /** What precedes its children's connectors. */
  readonly indent: string;
  readonly list: readonly { readonly jti: string; readonly primary: boolean }[];
  next: number;
  readonly depth: number;
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
  for (const node of byJti.values())
    known.set(
      node.jti,
      node.pred.filter((p) => byJti.has(p) && p !== node.jti),
    );
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
 * A text tree: roots first, children indented with box-drawing characters; subtrees deeper than
 * `maxDepth` continue after the roots' trees. Tasks that no root reaches (on a cycle) are listed
 * at the end.
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
    if (preds.length > 1)
      text += ` ⟵ joins ${preds.map((p) => `${graph.byJti.get(p)!.exec_act ?? '?'} ${shortId(p, options)}`).join(' + ')}`;
    if (unknown.length > 0)
      text += ` (after unknown ${unknown.map((p) => shortId(p, options)).join(', ')})`;
    return text;
  };
  const maxDepth = options.maxDepth ?? DEFAULT_TREE_DEPTH;
  const reference = (jti: string): string => {
    return `${graph.byJti.get(jti)!.exec_act ?? '?'} ${shortId(jti, options)}`;
  };
  // Subtrees cut at maxDepth, drawn after the roots' trees, each from the left margin again.
  const continued: string[] = [];
  // Depth first with an explicit stack (a workflow can be a chain of 100,000 tasks): one frame
  // per task being drawn, holding the indentation of its children and the next child to draw.
  const draw = (jti: string, first: string): void => {
    lines.push(`${first}${describe(graph.byJti.get(jti)!)}`);
    drawn.add(jti);
    const stack: TreeFrame[] = [{ indent: '', list: children.get(jti) ?? [], next: 0, depth: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const child = frame.list[frame.next];
      if (child === undefined) {
        stack.pop();
        continue;
      }
      const last = ++frame.next === frame.list.length;
      const head = `${frame.indent}${last ? '└─ ' : '├─ '}`;
      if (!child.primary || drawn.has(child.jti)) {
        const where = drawn.has(child.jti) ? 'above' : 'below';
        lines.push(`${head}↪ ${reference(child.jti)} (drawn ${where})`);
      } else if (frame.depth + 1 >= maxDepth) {
        lines.push(`${head}⋯ ${reference(child.jti)} (continued below)`);
        continued.push(child.jti);
      } else {
        lines.push(`${head}${describe(graph.byJti.get(child.jti)!)}`);
        drawn.add(child.jti);
        const indent = `${frame.indent}${last ? '   ' : '│  '}`;
        stack.push({
          indent,
          list: children.get(child.jti) ?? [],
          next: 0,
          depth: frame.depth + 1,
        });
      }
    }
  };
  for (const root of roots) draw(root, '');
  for (let i = 0; i < continued.length; i++) draw(continued[i]!, '⋯ ');
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
    const parts = [
      node.exec_act ?? '(no action)',
      `${shortId(node.jti, options)} · L${node.level}`,
      ...(node.iss === undefined ? [] : [node.iss]),
    ];
    lines.push(`  ${ids.get(node.jti)}["${parts.map(mermaidText).join('<br/>')}"]`);
  }
  for (const node of graph.nodes)
    for (const p of graph.known.get(node.jti)!)
      lines.push(`  ${ids.get(p)} --> ${ids.get(node.jti)}`);
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
  for (const node of graph.nodes)
    for (const p of graph.known.get(node.jti)!)
      lines.push(`  ${dotString(p)} -> ${dotString(node.jti)};`);
  lines.push('}');
  return lines.join('\n');
}
