/**
 * DAG-7: workflows of 100,000 tasks. Nothing in the audit, the renderers or `ect dag` recurses on
 * the depth of the data (a recursive tree overflowed the stack from about 3,000 tasks), and the
 * text tree of a long chain stays linear in size.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import { auditWorkflow } from '../../src/dag/audit.js';
import { DEFAULT_TREE_DEPTH, renderDot, renderMermaid, renderTree } from '../../src/dag/render.js';
import type { DagNode } from '../../src/dag/store.js';
import { cli } from '../cli/run.js';

const N = 100_000;
const WID = '7f3c1a52-9d4e-4b8a-8c61-2e5f0a9b7d13';

/** The i-th task id of the chain, a UUID. */
function id(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

const chain: DagNode[] = Array.from({ length: N }, (_, i) => ({
  jti: id(i),
  wid: WID,
  iat: 1_800_000_000,
  pred: i === 0 ? [] : [id(i - 1)],
  level: 1,
  exec_act: `step_${i}`,
}));

describe('DAG-7: a chain of 100,000 tasks', () => {
  test('auditWorkflow finds it sound, in order', () => {
    const report = auditWorkflow(chain);
    assert.equal(report.ok, true);
    assert.equal(report.order.length, N);
    assert.equal(report.order[N - 1], id(N - 1));
  });

  test('renderTree draws every task once, continuing deep subtrees from the left margin', () => {
    const text = renderTree(chain);
    const lines = text.split('\n');
    const full = lines.filter((line) => !line.includes('(continued below)'));
    assert.equal(full.length, N, 'each task in full once');
    for (let i = 0; i < N; i += 9973) {
      assert.equal(full.filter((line) => line.includes(`step_${i} `)).length, 1, `step_${i}`);
    }
    // Blocks of DEFAULT_TREE_DEPTH tasks, each but the last ending in a continuation mark.
    assert.equal(lines.length - full.length, Math.ceil(N / DEFAULT_TREE_DEPTH) - 1);
    const widest = lines.reduce((most, line) => Math.max(most, line.length), 0);
    assert.ok(widest < 3 * DEFAULT_TREE_DEPTH + 40, `widest line ${widest}`);
    const mark = `${'   '.repeat(DEFAULT_TREE_DEPTH - 1)}└─ ⋯ step_${DEFAULT_TREE_DEPTH} `;
    assert.ok(lines[DEFAULT_TREE_DEPTH]!.startsWith(mark), lines[DEFAULT_TREE_DEPTH]);
    assert.match(lines[DEFAULT_TREE_DEPTH + 1]!, new RegExp(`^⋯ step_${DEFAULT_TREE_DEPTH} `));
  });

  test('renderTree with maxDepth 1 draws every task from the left margin', () => {
    const lines = renderTree(chain.slice(0, 5), { maxDepth: 1 }).split('\n');
    assert.equal(lines.length, 9);
    assert.match(lines[2]!, /^⋯ step_1 /);
  });

  test('renderMermaid and renderDot draw every edge', () => {
    assert.equal(
      renderMermaid(chain)
        .split('\n')
        .filter((l) => l.includes('-->')).length,
      N - 1,
    );
    assert.equal(
      renderDot(chain)
        .split('\n')
        .filter((l) => l.includes('->')).length,
      N - 1,
    );
  });
});

describe('ect dag on a file of 100,000 tokens', () => {
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ect-dag-large-'));
    file = join(dir, 'chain.txt');
    const claims = (i: number): Record<string, unknown> => ({
      iss: 'spiffe://example.org/agent',
      aud: 'spiffe://example.org/auditor',
      exec_act: `step_${i}`,
      jti: id(i),
      wid: WID,
      iat: 1_800_000_000,
      pred: i === 0 ? [] : [id(i - 1)],
    });
    const tokens = Array.from({ length: N }, (_, i) => createECT(claims(i) as never, { level: 1 }));
    writeFileSync(file, `${tokens.join('\n')}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('dag audit reports it sound and draws it (exit 0)', async () => {
    const r = await cli(['dag', 'audit', file]);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    assert.match(r.stdout, /^workflow sound: 100000 tasks, 1 root\(s\)\n/);
  });

  test('dag render draws it as a tree (exit 0)', async () => {
    const r = await cli(['dag', 'render', file, '--format', 'tree']);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    assert.ok(r.stdout.includes(`step_${N - 1} `));
  });
});
