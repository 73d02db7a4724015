import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { renderDot, renderMermaid, renderTree } from '../../src/dag/render.js';
import type { DagNode } from '../../src/dag/store.js';
import { runDemo } from '../../src/demo/index.js';
import { Ledger } from '../../src/ledger/ledger.js';

/** Whether something still accepts connections at `url`. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('demo', () => {
  test('HTTP-1, HTTP-4, HTTP-5, FMT-6, DAG-2: the multi-agent demo verifies, records and audits a workflow with an MCP hop and a join, and refuses a replay with ECT_REPLAY (RPL-1)', async () => {
    const key = generateKeyPair({ alg: 'EdDSA', kid: 'demo-ledger' }).privateJwk;
    const ledger = new Ledger({ key, origin: 'example.org/demo-ledger' });
    const lines: string[] = [];
    const result = await runDemo({ ledger, print: (line) => lines.push(line), minLevel: 3 });
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.tasks, 7);
    assert.deepEqual(result.replay, { status: 403, code: 'ECT_REPLAY' });
    assert.equal(result.audit.ok, true);
    assert.equal(result.integrity.ok, true);
    assert.deepEqual(
      result.accepted.map((t) => t.exec_act),
      [
        'submit_spec',
        'review_spec',
        'lint_patch',
        'lint_report',
        'implement_spec',
        'run_tests',
        'approve_release',
      ],
    );
    assert.deepEqual(
      result.accepted.map((t) => t.level),
      [3, 3, 3, 3, 3, 3, 3],
    );
    assert.deepEqual(
      result.accepted.map((t) => t.receiptSeq),
      [1, 2, 3, 4, 5, 6, 7],
    );
    // Separate agents: each task is issued by one workload and verified by another.
    assert.equal(new Set(result.accepted.map((t) => t.iss)).size, 6);
    for (const task of result.accepted) assert.ok(!task.iss.endsWith(`/${task.verifiedBy}`));
    // The join: approve_release follows implement_spec and run_tests.
    const nodes = await ledger.listWorkflow(result.workflowId);
    const byAct = new Map(nodes.map((n) => [n.exec_act, n]));
    assert.deepEqual(
      [...byAct.get('approve_release')!.pred].sort(),
      [byAct.get('implement_spec')!.jti, byAct.get('run_tests')!.jti].sort(),
    );
    assert.deepEqual(byAct.get('run_tests')!.pred, [byAct.get('implement_spec')!.jti]);
    // The MCP hop: the tool call follows the review, the tool's report the call, and the
    // implementation the report; the tool server's task is issued by the tool server.
    assert.deepEqual(byAct.get('lint_patch')!.pred, [byAct.get('review_spec')!.jti]);
    assert.deepEqual(byAct.get('lint_report')!.pred, [byAct.get('lint_patch')!.jti]);
    assert.deepEqual(byAct.get('implement_spec')!.pred, [byAct.get('lint_report')!.jti]);
    assert.equal(byAct.get('lint_report')!.iss, 'spiffe://demo.ect.example/agent/tools');
    for (const entry of await ledger.workflowEntries(result.workflowId))
      assert.equal(entry.level, 3);
    // Output: step by step, the replay, the tree.
    const text = lines.join('\n');
    assert.match(text, /orchestrator → reviewer: submit_spec [0-9a-f]{8} \(root\)/);
    assert.match(text, /ledger receipt #7/);
    assert.match(text, /implementer → tools over MCP \(tools\/call, Streamable HTTP\): lint_patch/);
    assert.match(text, /tools verified lint_patch [0-9a-f]{8}: level L3/);
    assert.match(text, /403 ECT_REPLAY: refused as expected/);
    assert.match(text, /└─ review_spec/);
    assert.match(text, /approve_release [0-9a-f]{8} .* joins implement_spec/);
    assert.match(
      text,
      /└─ lint_report [0-9a-f]{8} \(spiffe:\/\/demo\.ect\.example\/agent\/tools\)/,
    );
    assert.equal(result.tree.split('\n').length, 8);
    // Four agent servers and the MCP tool server on loopback, each on its own random port, all
    // closed at the end.
    assert.equal(result.agents.length, 5);
    assert.equal(new Set(result.agents.map((a) => a.url)).size, 5);
    for (const agent of result.agents) {
      assert.match(agent.url, /^http:\/\/127\.0\.0\.1:\d+(\/mcp)?$/);
      assert.equal(await accepts(agent.url), false, `${agent.name} is closed`);
    }
  });

  test('FMT-4: the demo also runs with the default minimum level', async () => {
    const result = await runDemo({ ledger: new Ledger(), print: () => undefined });
    assert.equal(result.ok, true, result.problems.join('; '));
    assert.equal(
      result.accepted.every((t) => t.level === 3 && t.receiptSeq !== undefined),
      true,
    );
  });
});

const node = (
  jti: string,
  exec_act: string,
  pred: string[],
  extra: Partial<DagNode> = {},
): DagNode => ({ jti, exec_act, pred, iat: 1, level: 3, iss: `spiffe://x/${exec_act}`, ...extra });
const workflow: DagNode[] = [
  node('aaaaaaaa-1', 'review_spec', []),
  node('bbbbbbbb-1', 'implement_spec', ['aaaaaaaa-1']),
  node('cccccccc-1', 'run_tests', ['bbbbbbbb-1']),
  node('dddddddd-1', 'approve_release', ['bbbbbbbb-1', 'cccccccc-1']),
];

describe('DAG renderers', () => {
  test('DAG-4: renderTree draws each task once, a join under its last predecessor and referenced under the others', () => {
    assert.equal(
      renderTree(workflow),
      [
        'review_spec aaaaaaaa (spiffe://x/review_spec) L3',
        '└─ implement_spec bbbbbbbb (spiffe://x/implement_spec) L3',
        '   ├─ run_tests cccccccc (spiffe://x/run_tests) L3',
        '   │  └─ approve_release dddddddd (spiffe://x/approve_release) L3 ⟵ joins implement_spec bbbbbbbb + run_tests cccccccc',
        '   └─ ↪ approve_release dddddddd (drawn above)',
      ].join('\n'),
    );
  });

  test('DAG-2, DAG-4: renderTree marks unknown predecessors and lists tasks on a cycle instead of looping', () => {
    const text = renderTree(
      [
        node('x1', 'a', ['y1']),
        node('y1', 'b', ['x1']),
        node('z1', 'c', ['missing1'], { iss: undefined, level: 2 }),
      ],
      { idLength: 2 },
    );
    assert.equal(
      text,
      [
        'c z1 L2 (after unknown mi)',
        'not reachable from a root (cycle):',
        '  a x1 (spiffe://x/a) L3',
        '  b y1 (spiffe://x/b) L3',
      ].join('\n'),
    );
    assert.equal(renderTree([]), '');
  });

  test('DAG renderers: renderMermaid is a top-down flowchart with one edge per known predecessor, escaping quotes', () => {
    const text = renderMermaid([...workflow, node('eeeeeeee-1', 'say "hi" <b>', ['dddddddd-1'])]);
    const lines = text.split('\n');
    assert.equal(lines[0], 'flowchart TD');
    assert.equal(lines[1], '  t0["review_spec<br/>aaaaaaaa · L3<br/>spiffe://x/review_spec"]');
    assert.match(text, /t4\["say #quot;hi#quot; #lt;b#gt;<br\/>/);
    assert.deepEqual(
      lines.filter((l) => l.includes('-->')),
      ['  t0 --> t1', '  t1 --> t2', '  t1 --> t3', '  t2 --> t3', '  t3 --> t4'],
    );
  });

  test('DAG renderers: renderDot is a digraph with quoted ids and escaped labels', () => {
    const text = renderDot([node('a"1', 'x\\y', []), node('b1', 'z', ['a"1'])]);
    assert.match(text, /^digraph ect \{/);
    assert.match(text, /"a\\"1" \[label="x\\\\y\\na\\"1 · L3\\nspiffe:\/\/x\/x\\\\y"\];/);
    assert.match(text, /"a\\"1" -> "b1";/);
    assert.match(text, /\}$/);
  });
});
