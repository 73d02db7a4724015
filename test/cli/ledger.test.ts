import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { cli } from './run.js';

const A = 'spiffe://example.org/agent-a';
const B = 'spiffe://example.org/agent-b';
const WID = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
const ORIGIN = 'example.org/ect-ledger';
/** A JSON line of `ect verify --ledger`: the level and the ledger's receipt. */
interface Recorded {
  readonly level: number;
  readonly receipt: { readonly seq: number; readonly jws: string; readonly proof: string };
}
/** A JSON line of `ect ledger export`. */
interface Exported {
  readonly seq: number;
  readonly level: number;
  readonly recordedAt: number;
  readonly token: string;
  readonly entry: string;
  readonly wid: string;
  readonly jti: string;
  readonly claims: { readonly pred: string[] };
}
let dir: string;
let key: string;
let jwks: string;
let ledgerKey: string;
let db: string;
let batch: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-ledger-'));
  key = join(dir, 'a.key.json');
  jwks = join(dir, 'a.jwks.json');
  ledgerKey = join(dir, 'ledger.key.json');
  db = join(dir, 'audit.db');
  assert.equal((await cli(['keygen', '--out', key, '--jwks-out', jwks])).code, 0);
  assert.equal((await cli(['keygen', '--out', ledgerKey, '--alg', 'EdDSA'])).code, 0);
  const make = async (extra: string[]): Promise<string> =>
    (
      await cli([
        'create',
        '--key',
        key,
        '--iss',
        A,
        '--aud',
        B,
        '--exec-act',
        'step',
        '--wid',
        WID,
        ...extra,
      ])
    ).stdout.trim();
  const root = await make(['--jti', '11111111-1111-4111-8111-111111111111']);
  const child = await make([
    '--jti',
    '22222222-2222-4222-8222-222222222222',
    '--pred',
    '11111111-1111-4111-8111-111111111111',
  ]);
  const join_ = await make([
    '--pred',
    '11111111-1111-4111-8111-111111111111',
    '--pred',
    '22222222-2222-4222-8222-222222222222',
  ]);
  batch = join(dir, 'batch.txt');
  writeFileSync(batch, [root, child, join_].join('\n'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ect verify --ledger, ect ledger', () => {
  test('LED-8: a new stored ledger needs an Ed25519 --ledger-key and an origin', async () => {
    const fresh = `sqlite:${join(dir, 'no-origin.db')}`;
    const verify = ['verify', '--batch', batch, '--jwks', jwks, '--audience', B, '--ledger', fresh];
    const r = await cli([...verify, '--ledger-key', ledgerKey]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs an origin/);
    const r2 = await cli([...verify, '--ledger-key', key, '--ledger-origin', ORIGIN]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /Ed25519/);
  });

  test('FMT-6, VER-13, LED-5: verify --ledger sqlite: records each token at level 3 with a signed receipt', async () => {
    const r = await cli([
      ...['verify', '--batch', batch, '--dag', '--jwks', jwks, '--audience', B],
      ...['--ledger', `sqlite:${db}`, '--ledger-key', ledgerKey, '--ledger-origin', ORIGIN],
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Recorded);
    assert.deepEqual(
      lines.map((l) => l.level),
      [3, 3, 3],
    );
    assert.deepEqual(
      lines.map((l) => l.receipt.seq),
      [1, 2, 3],
    );
    assert.match(lines[0]!.receipt.jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    // LED-9: the receipt carries a tlog-proof against a checkpoint of this ledger's origin.
    const proof = new RegExp(`^c2sp.org/tlog-proof@v1\\n[\\s\\S]*\\n${ORIGIN}\\n`);
    assert.match(lines[0]!.receipt.proof, proof);
  });

  test('DAG-1, LED-3: the same batch again is refused as duplicates by the ledger store', async () => {
    const r = await cli([
      'verify',
      '--batch',
      batch,
      '--dag',
      '--jwks',
      jwks,
      '--audience',
      B,
      '--ledger',
      `sqlite:${db}`,
    ]);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { code: string }).code),
      ['ECT_DAG_DUPLICATE', 'ECT_DAG_DUPLICATE', 'ECT_DAG_DUPLICATE'],
    );
  });

  test('LED-1: ledger export --wid prints the workflow as JSON lines, tokens as received', async () => {
    const r = await cli(['ledger', 'export', `sqlite:${db}`, '--wid', WID]);
    assert.equal(r.code, 0, r.stderr);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Exported);
    assert.deepEqual(
      entries.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(entries[1]!.claims.pred[0], '11111111-1111-4111-8111-111111111111');
    assert.equal(entries[0]!.token.split('.').length, 3);
    assert.deepEqual(
      entries.map((e) => e.wid),
      [WID, WID, WID],
    );
    assert.equal(entries[0]!.jti, '11111111-1111-4111-8111-111111111111');
    // LED-2: the exact five-line entry text, the leaf of the tree.
    for (const e of entries) {
      const text = `ect-ledger-entry/v1\n${e.seq}\n${e.level}\n${e.recordedAt}\n${e.token}\n`;
      assert.equal(e.entry, text);
    }
  });

  test('LED-2: ledger verify passes on the intact file and names the first bad entry after tampering (exit 1)', async () => {
    const ok = await cli(['ledger', 'verify', `sqlite:${db}`, '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const report = JSON.parse(ok.stdout) as {
      ok: boolean;
      checked: number;
      size: number;
      checkpoints: number;
    };
    assert.equal(report.ok, true);
    assert.equal(report.checked, 3);
    assert.equal(report.size, 3);
    assert.ok(report.checkpoints >= 1);
    const handle = new Database(db);
    handle.prepare("UPDATE ect_ledger SET token = replace(token, 'e', 'f') WHERE seq = 2").run();
    handle.close();
    const bad = await cli(['ledger', 'verify', `sqlite:${db}`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /LEDGER BROKEN \(entries, entry 2\b/);
  });

  test('ledger verify of a path with no ledger is a usage error and creates nothing', async () => {
    const r = await cli(['ledger', 'verify', `sqlite:${join(dir, 'missing.db')}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no SQLite ledger/);
  });

  test('a bad ledger or replay URL is a usage error naming the accepted forms', async () => {
    const r = await cli(['verify', 'x', '--audience', B, '--ledger', 'mysql://h/db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sqlite:PATH/);
    const r2 = await cli(['verify', 'x', '--audience', B, '--replay', 'memcached://h']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /redis:\/\//);
  });
});

describe('ect dag', () => {
  test('DAG-7: dag audit of a token file reports a sound workflow and draws it', async () => {
    const r = await cli(['dag', 'audit', batch]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /workflow sound: 3 tasks, 1 root/);
    assert.match(r.stderr, /not verified/);
  });

  test('DAG-2: dag audit names a missing predecessor (exit 1)', async () => {
    const lines = (await import('node:fs')).readFileSync(batch, 'utf8').split('\n');
    const partial = join(dir, 'partial.txt');
    writeFileSync(partial, lines.slice(1).join('\n'));
    const r = await cli(['dag', 'audit', partial, '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { issues: { code: string }[] }).issues.map(
        (i: { code: string }) => i.code,
      ),
      ['ECT_DAG_PREDECESSOR_UNKNOWN', 'ECT_DAG_PREDECESSOR_UNKNOWN'],
    );
  });

  test('dag render reads a workflow from the ledger as Mermaid and dot', async () => {
    const fresh = join(dir, 'render.db');
    const recorded = await cli([
      ...[
        'verify',
        '--batch',
        batch,
        '--jwks',
        jwks,
        '--audience',
        B,
        '--ledger',
        `sqlite:${fresh}`,
      ],
      ...['--ledger-key', ledgerKey, '--ledger-origin', ORIGIN],
    ]);
    assert.equal(recorded.code, 0, recorded.stderr);
    const mermaid = await cli([
      'dag',
      'render',
      '--ledger',
      `sqlite:${fresh}`,
      '--wid',
      WID,
      '--format',
      'mermaid',
    ]);
    assert.equal(mermaid.code, 0, mermaid.stderr);
    assert.match(mermaid.stdout, /^flowchart/m);
    const dot = await cli([
      'dag',
      'render',
      '--ledger',
      `sqlite:${fresh}`,
      '--wid',
      WID,
      '--format',
      'dot',
    ]);
    assert.match(dot.stdout, /digraph/);
    const bad = await cli([
      'dag',
      'render',
      '--ledger',
      `sqlite:${fresh}`,
      '--wid',
      WID,
      '--format',
      'png',
    ]);
    assert.equal(bad.code, 2);
  });
});

describe('ect demo', () => {
  test('FMT-6, IDB-3, RPL-1: the demo runs over HTTP into a SQLite ledger (L3 receipts), refuses the replay and exits 0; the ledger then verifies', async () => {
    const demoDb = join(dir, 'demo.db');
    const r = await cli(['demo', '--ledger', `sqlite:${demoDb}`, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as {
      ok: boolean;
      replay: unknown;
      accepted: { level: number }[];
      tasks: number;
    };
    assert.equal(result.ok, true);
    assert.deepEqual(result.replay, { status: 403, code: 'ECT_REPLAY' });
    assert.ok(result.accepted.every((t: { level: number }) => t.level === 3));
    const check = await cli(['ledger', 'verify', `sqlite:${demoDb}`, '--json']);
    assert.equal(check.code, 0);
    assert.equal((JSON.parse(check.stdout) as { checked: number }).checked, result.tasks);
  });
});
