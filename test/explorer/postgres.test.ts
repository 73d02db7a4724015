/**
 * The explorer over a shared PostgreSQL ledger (a throwaway server on loopback): the index, a
 * workflow and its evidence bundle come from the same backend methods as on SQLite, and the
 * exported bundle verifies offline with the ledger's verifier key (LED-12).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IndexPage, WorkflowView } from '../../src/explorer/api.js';
import type { RunningExplorer } from '../../src/explorer/server/server.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { startPostgres, type TestServer } from '../helpers/servers.js';
import { issuer } from '../ledger/support.js';
import { explorer, fixtureSource, HOSTILE_ACT, makeFixture, type Fixture } from './support.js';

let postgres: TestServer;
let dir: string;
let fixture: Fixture;
let running: RunningExplorer;

before(async () => {
  postgres = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'ect-explore-pg-'));
  fixture = await makeFixture(dir, { url: postgres.url, many: 3 });
  running = await explorer(await fixtureSource(fixture));
});

after(async () => {
  await running?.close();
  await postgres?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function getJSON<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, running.url));
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return (await response.json()) as T;
}

describe('ect explore over PostgreSQL', () => {
  test('LED-6: the index lists every workflow, newest first, with its tasks and issuers', async () => {
    const index = await getJSON<IndexPage>('/api/workflows');
    const wids = index.rows.map((row) => row.wid);
    assert.deepEqual(wids.slice(0, 3), [...fixture.many].reverse());
    const workflow = index.rows.find((row) => row.wid === fixture.wid)!;
    assert.equal(workflow.tasks, 3);
    assert.ok(workflow.issuers.includes('spiffe://example.org/agent/b'));
    assert.ok(wids.includes(fixture.hostileWid));
  });

  test('a workflow: its tasks with the DAG audit, hostile values returned as they are', async () => {
    const view = await getJSON<WorkflowView>(`/api/workflows/${fixture.wid}`);
    assert.deepEqual(view.tasks.map((t) => t.jti).sort(), [...fixture.jtis].sort());
    assert.equal(view.audit.ok, true);
    const hostile = await getJSON<WorkflowView>(`/api/workflows/${fixture.hostileWid}`);
    assert.ok(hostile.tasks.some((t) => t.execAct === HOSTILE_ACT));
  });

  test('LED-12: the exported evidence bundle verifies offline; with another key it does not', async () => {
    const response = await fetch(
      new URL(`/export/workflows/${fixture.wid}/bundle.json`, running.url),
    );
    assert.equal(response.status, 200);
    const bundle = await response.text();
    const keys = { keys: [issuer.publicJwk] };
    const report = await verifyBundle({ bundle, ledgerVkey: fixture.vkey, keys });
    assert.equal(report.ok, true, JSON.stringify(report.items.filter((i) => !i.ok)));
    const forged = fixture.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    assert.notEqual(forged, fixture.vkey);
    const refused = await verifyBundle({ bundle, ledgerVkey: forged, keys }).catch(
      (e: unknown) => e,
    );
    assert.ok(refused instanceof Error || (refused as { ok: boolean }).ok === false);
  });
});
