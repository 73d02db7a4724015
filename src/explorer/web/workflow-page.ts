/**
 * A workflow's page: the DAG (dagre layout), each node coloured by the page's own check of its
 * inclusion proof (all entries proved against one checkpoint, as in an evidence bundle), the
 * selected task's details, the timeline, and the exports (evidence bundle, Mermaid, SVG).
 * @module
 */
import { DAG_DRAWN_MARK } from '../api.js';
import type { ProofSet, StatusView, TaskNode, WorkflowView } from '../api.js';
import { getJson } from './api-client.js';
import { drawDag, svgFile, type DagView, type NodeState } from './dag-view.js';
import { showTask } from './details.js';
import { clip, h, link, replace, verdict } from './dom.js';
import { layoutWorkflow, READABLE, type GraphNode } from './layout.js';
import { checkEntry, parseEntryText } from './proof-check.js';
import { timeline } from './timeline.js';
import { summaryDifferences } from './token-view.js';
import { ledgerKey, type KeyChoice } from './trust.js';

/** `/workflows/<wid>` or `/tasks/<seq>`: which API paths serve it. */
export interface WorkflowRef {
  readonly api: string;
  readonly exportBase: string;
  readonly title: string;
}

/** The reference of the page at `path`, or undefined. */
export function workflowRef(path: string): WorkflowRef | undefined {
  const m = /^\/(workflows|tasks)\/([^/]+)$/.exec(path);
  if (m === null) return undefined;
  const kind = m[1]!;
  const id = m[2]!; // still percent-encoded: passed on as it came
  let title: string;
  try {
    title = decodeURIComponent(id);
  } catch {
    return undefined;
  }
  return {
    api: `/api/${kind}/${id}`,
    exportBase: `/export/${kind}/${id}`,
    title: kind === 'tasks' ? `task seq ${title}` : title,
  };
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { attrs: { href: url, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Checks every entry of the proof set in the page; returns each task's state, by seq. */
async function verifyAll(options: {
  readonly tasks: readonly TaskNode[];
  readonly proofs: ProofSet;
  readonly key: KeyChoice;
  readonly progress: (done: number) => void;
}): Promise<Map<number, NodeState>> {
  const { tasks, proofs, key } = options;
  const states = new Map<number, NodeState>(tasks.map((t) => [t.seq, 'bad']));
  const bySeq = new Map(tasks.map((t) => [t.seq, t]));
  let done = 0;
  for (const item of proofs.entries) {
    const fields = parseEntryText(item.entry);
    const task = fields === undefined ? undefined : bySeq.get(fields.seq);
    if (task !== undefined && fields !== undefined) {
      const check = await checkEntry({
        entry: item.entry,
        proof: item.proof,
        vkey: key.vkey,
        ...(proofs.checkpoint === null ? {} : { checkpoint: proofs.checkpoint }),
      });
      const same = summaryDifferences(task, fields).length === 0;
      states.set(task.seq, check.ok && same ? 'ok' : 'bad');
    }
    options.progress(++done);
  }
  return states;
}

/** Builds the workflow page into `main`. */
export async function workflowPage(options: {
  readonly main: HTMLElement;
  readonly ref: WorkflowRef;
  readonly status: StatusView;
}): Promise<void> {
  const { main, ref, status } = options;
  const key = ledgerKey(status);
  const view = await getJson<WorkflowView>(ref.api);
  const tasks = view.tasks;
  const graph = layoutWorkflow(tasks);
  const panel = h('aside', { class: 'panel' }, h('p', { class: 'muted' }, 'Select a task.'));
  const summary = h(
    'p',
    { class: 'verify-summary' },
    verdict('wait', 'checking proofs in this page…'),
  );
  const select = async (task: TaskNode): Promise<void> => {
    dag.select(graph.nodeOf.get(task.seq));
    const check = await showTask({ panel, task, key });
    const id = graph.nodeOf.get(task.seq);
    if (check !== undefined && id !== undefined && !graph.collapsed) {
      dag.setState(id, check.ok ? 'ok' : 'bad');
    }
  };
  const selectNode = (node: GraphNode): void => {
    dag.select(node.id);
    if (node.tasks.length === 1) {
      void select(node.tasks[0]!);
      return;
    }
    replace(
      panel,
      h('h2', {}, `${node.tasks.length} tasks`),
      h('p', { class: 'muted' }, 'A collapsed group: select one of its tasks.'),
      h(
        'ol',
        { class: 'group-list' },
        ...node.tasks
          .slice(0, 300)
          .map((task) =>
            h(
              'li',
              {},
              h(
                'button',
                { class: 'linkish', attrs: { type: 'button' }, onClick: () => void select(task) },
                `${clip(task.execAct, 50)} — ${clip(task.iss, 50)} (seq ${task.seq})`,
              ),
            ),
          ),
      ),
      node.tasks.length > 300
        ? h('p', { class: 'muted' }, `… and ${node.tasks.length - 300} more`)
        : null,
    );
  };
  const dag: DagView = drawDag(graph, selectNode);
  const audit = view.audit;
  const exportBar = h(
    'div',
    { class: 'exports' },
    'Export: ',
    link(`${ref.exportBase}/bundle.json`, 'evidence bundle (JSON)'),
    ' · ',
    link(`${ref.exportBase}/dag.mmd`, 'Mermaid'),
    ' · ',
    h(
      'button',
      {
        class: 'linkish',
        attrs: { type: 'button' },
        onClick: () => download('workflow-dag.svg', svgFile(dag), 'image/svg+xml'),
      },
      'SVG',
    ),
  );
  const zoom = h(
    'div',
    { class: 'zoom' },
    h(
      'button',
      { attrs: { type: 'button', 'aria-label': 'zoom in' }, onClick: () => dag.zoom(1.25) },
      '+',
    ),
    h(
      'button',
      { attrs: { type: 'button', 'aria-label': 'zoom out' }, onClick: () => dag.zoom(0.8) },
      '−',
    ),
  );
  replace(
    main,
    h('h1', { class: 'wrap' }, clip(ref.title, 200)),
    h(
      'p',
      {},
      `${tasks.length} tasks · `,
      audit.ok
        ? verdict('ok', 'DAG audit passed (server)')
        : verdict(
            'bad',
            `DAG audit: ${audit.issues.length} issue(s): ${audit.issues
              .slice(0, 3)
              .map((i) => `${i.code} ${i.message}`)
              .join('; ')}`,
          ),
      graph.collapsed
        ? ` · collapsed into ${graph.nodes.length} groups (more than ${READABLE} tasks)`
        : '',
    ),
    summary,
    exportBar,
    h(
      'div',
      { class: 'workflow-layout' },
      h('div', { class: 'dag-pane' }, zoom, h('div', { class: 'dag-scroll' }, dag.element)),
      panel,
    ),
    timeline({
      tasks,
      onStep: (recorded) =>
        dag.replay(
          recorded === undefined
            ? undefined
            : new Set(recorded.map((t) => graph.nodeOf.get(t.seq)!)),
        ),
      onSelect: (task) => void select(task),
    }),
  );
  // The DAG is in the document: what `npm run bench` times from the navigation's start.
  performance.mark(DAG_DRAWN_MARK);
  const proofs = await getJson<ProofSet>(`${ref.api}/proofs`);
  if (proofs.limited) {
    for (const node of graph.nodes) dag.setState(node.id, 'unverified');
    replace(
      summary,
      verdict('none', 'too many tasks to prove at once: select a task to check its proof'),
    );
    return;
  }
  const states = await verifyAll({
    tasks,
    proofs,
    key,
    progress: (done) => {
      if (done % 50 === 0)
        replace(
          summary,
          verdict('wait', `checking proofs in this page: ${done} of ${tasks.length}…`),
        );
    },
  });
  for (const node of graph.nodes) {
    const all = node.tasks.map((t) => states.get(t.seq));
    dag.setState(node.id, all.every((s) => s === 'ok') ? 'ok' : 'bad');
  }
  const bad = [...states.values()].filter((s) => s !== 'ok').length;
  replace(
    summary,
    bad === 0
      ? verdict(
          'ok',
          `all ${tasks.length} inclusion proofs verified in this page (key: ${key.source})`,
        )
      : verdict('bad', `${bad} of ${tasks.length} proofs FAILED in this page (key: ${key.source})`),
  );
}
