/**
 * `ect dag audit|render --wid ID`: an unknown or malformed workflow id is a usage error (exit 2)
 * naming the id, not an empty and therefore "sound" workflow (exit 0).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from './run.js';

const WID = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
const OTHER = '9b1e7c40-2d6f-4e8a-9f03-71c5a2b8d4e6';
const BASE = ['--iss', 'spiffe://a', '--aud', 'spiffe://b', '--level', '1'];
let dir: string;
let file: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-wid-'));
  file = join(dir, 'workflow.txt');
  const root = await cli(['create', ...BASE, '--exec-act', 'plan', '--wid', WID]);
  assert.equal(root.code, 0, root.stderr);
  writeFileSync(file, root.stdout);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('dag --wid', () => {
  test('DAG-7: a workflow id with no task in the file is exit 2, naming it', async () => {
    for (const command of ['audit', 'render']) {
      const r = await cli(['dag', command, file, '--wid', OTHER]);
      assert.equal(r.code, 2, `${command}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`--wid: no task of workflow ${OTHER}`));
      assert.doesNotMatch(r.stdout, /workflow sound/);
    }
  });

  test('a workflow id with no task in a ledger is exit 2', async () => {
    const r = await cli(['dag', 'audit', '--ledger', 'memory:', '--wid', OTHER]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /no task of workflow .* in the ledger/);
  });

  test('CLM-8: a malformed workflow id is exit 2, before any store is opened', async () => {
    for (const wid of ['not-a-uuid', '', `${WID} `]) {
      const r = await cli(['dag', 'audit', file, '--wid', wid]);
      assert.equal(r.code, 2, JSON.stringify(wid));
      assert.match(r.stderr, /--wid: expected a UUID/);
    }
    const missing = join(dir, 'missing.db');
    const r = await cli(['dag', 'audit', '--ledger', `sqlite:${missing}`, '--wid', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--wid: expected a UUID/);
  });

  test('CLM-5: the id matches in any case; ECT_REQUIRE_UUID=false allows other ids', async () => {
    const upper = await cli(['dag', 'audit', file, '--wid', WID.toUpperCase()]);
    assert.equal(upper.code, 0, upper.stderr);
    assert.match(upper.stdout, /workflow sound: 1 tasks/);
    const env = { ECT_REQUIRE_UUID: 'false' };
    const args = ['create', ...BASE, '--exec-act', 'plan', '--wid', 'release-7'];
    const named = await cli(args, { env });
    assert.equal(named.code, 0, named.stderr);
    const relaxed = join(dir, 'relaxed.txt');
    writeFileSync(relaxed, named.stdout);
    assert.equal((await cli(['dag', 'audit', relaxed, '--wid', 'release-7'], { env })).code, 0);
    const spaced = await cli(['dag', 'audit', relaxed, '--wid', 'release 7'], { env });
    assert.equal(spaced.code, 2);
    assert.match(spaced.stderr, /--wid: expected a non-empty id/);
  });
});
