/**
 * The explorer's server and JSON API (`ect explore`): paging and search of the index, workflow and
 * entry views, read-only methods, security headers, the token on a non-loopback address, bundle
 * mode, the integrity run of a damaged ledger, and the command line's usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type {
  IndexPage,
  IntegrityEvent,
  ProofSet,
  StatusView,
  WorkflowView,
} from '../../src/explorer/api.js';
import { bundleSource } from '../../src/explorer/server/bundle-source.js';
import { CONTENT_SECURITY_POLICY } from '../../src/explorer/server/headers.js';
import type { RunningExplorer } from '../../src/explorer/server/server.js';
import { tokenChecker } from '../../src/explorer/server/token-check.js';
import { localJWKSet } from '../../src/identity/jwks.js';
import { issuer } from '../ledger/support.js';
import { cli } from '../cli/run.js';
import { explorer, fixtureSource, makeFixture, type Fixture } from './support.js';

let dir: string;
let fixture: Fixture;
let server: RunningExplorer;

/** A raw HTTP exchange (any method, any Host header). */
function exchange(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, server.url));
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function integrity(url: string): Promise<IntegrityEvent[]> {
  const text = await (await fetch(new URL('/api/integrity', url))).text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice('data: '.length)) as IntegrityEvent);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-explore-'));
  fixture = await makeFixture(dir, { many: 60 });
  server = await explorer(await fixtureSource(fixture));
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('index', () => {
  test('pages through every workflow once, newest first, with the cursor', async () => {
    const first = await getJson<IndexPage>('/api/workflows');
    assert.equal(first.rows.length, 50);
    assert.equal(first.size, 65);
    assert.notEqual(first.next, null);
    const second = await getJson<IndexPage>(`/api/workflows?before=${first.next}`);
    assert.equal(second.next, null);
    const all = [...first.rows, ...second.rows];
    const seqs = all.map((r) => r.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
    );
    const wids = all.map((r) => r.wid);
    assert.equal(new Set(wids).size, wids.length, 'a workflow is listed once');
    assert.equal(all.length, 62);
    const main = all.find((r) => r.wid === fixture.wid)!;
    assert.equal(main.tasks, 3);
    assert.deepEqual(main.issuers, [
      'spiffe://example.org/agent/a',
      'spiffe://example.org/agent/b',
    ]);
    assert.equal(main.status.ok, true);
    assert.ok(main.first <= main.last);
  });

  test('limit sets the page size', async () => {
    const page = await getJson<IndexPage>('/api/workflows?limit=7');
    assert.equal(page.rows.length, 7);
  });

  test('searches by jti (any case), issuer, action and time range', async () => {
    const byJti = await getJson<IndexPage>(`/api/workflows?jti=${fixture.jtis[1]!.toUpperCase()}`);
    assert.deepEqual(
      byJti.rows.map((r) => r.wid),
      [fixture.wid],
    );
    const byIss = await getJson<IndexPage>('/api/workflows?iss=AGENT%2Fb');
    assert.deepEqual(
      byIss.rows.map((r) => r.wid),
      [fixture.wid],
    );
    const byAct = await getJson<IndexPage>('/api/workflows?exec_act=bulk_5');
    assert.deepEqual(
      byAct.rows.map((r) => r.wid).sort(),
      [fixture.many[5], ...fixture.many.slice(50, 60)].sort(),
    );
    const status = await getJson<WorkflowView>(`/api/workflows/${fixture.wid}`);
    const first = status.tasks[0]!.recordedAt;
    const late = await getJson<IndexPage>(`/api/workflows?from=${Date.now() + 3_600_000}`);
    assert.equal(late.rows.length, 0);
    const early = await getJson<IndexPage>(`/api/workflows?to=${first}`);
    assert.ok(early.rows.some((r) => r.wid === fixture.wid));
    assert.ok(early.rows.every((r) => r.first <= first));
  });

  test('bad query values are a 400 with the reason', async () => {
    const response = await exchange(new URL('/api/workflows?before=abc', server.url).href);
    assert.equal(response.status, 400);
    assert.match(response.body, /before must be a positive integer/);
  });
});

describe('workflow and entry views', () => {
  test('a workflow lists its tasks in recorded order with their predecessors', async () => {
    const view = await getJson<WorkflowView>(`/api/workflows/${encodeURIComponent(fixture.wid)}`);
    assert.deepEqual(
      view.tasks.map((t) => t.jti),
      fixture.jtis,
    );
    assert.deepEqual(view.tasks[1]!.pred, [fixture.jtis[0]]);
    assert.equal(view.audit.ok, true);
    assert.equal(view.tasks[0]!.signature.state, 'unchecked');
  });

  test('proofs of a workflow share one checkpoint; unknown ids are 404', async () => {
    const proofs = await getJson<ProofSet>(`/api/workflows/${fixture.wid}/proofs`);
    assert.equal(proofs.entries.length, 3);
    for (const e of proofs.entries) assert.ok(e.proof.endsWith(proofs.checkpoint!));
    assert.equal((await exchange(new URL('/api/workflows/nope', server.url).href)).status, 404);
    assert.equal((await exchange(new URL('/api/entries/999', server.url).href)).status, 404);
    assert.equal((await exchange(new URL('/api/entries/0', server.url).href)).status, 400);
  });

  test('exports: evidence bundle and Mermaid as downloads', async () => {
    const bundle = await exchange(
      new URL(`/export/workflows/${fixture.wid}/bundle.json`, server.url).href,
    );
    assert.equal(bundle.status, 200);
    assert.match(String(bundle.headers['content-disposition']), /^attachment; filename="[\w.-]+"$/);
    assert.equal((JSON.parse(bundle.body) as { entries: unknown[] }).entries.length, 3);
    const mermaid = await exchange(
      new URL(`/export/workflows/${fixture.wid}/dag.mmd`, server.url).href,
    );
    assert.match(mermaid.body, /^flowchart TD/);
  });
});

describe('security', () => {
  test('read-only: POST, PUT, DELETE and PATCH are 405 with Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await exchange(new URL('/api/workflows', server.url).href, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers['allow'], 'GET, HEAD');
    }
  });

  test('every response carries the CSP and the other security headers', async () => {
    for (const path of ['/', '/assets/app.js', '/api/status', '/nope', '/workflows/x']) {
      const response = await exchange(new URL(path, server.url).href);
      assert.equal(response.headers['content-security-policy'], CONTENT_SECURITY_POLICY, path);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
    }
    assert.match(
      CONTENT_SECURITY_POLICY,
      /default-src 'none'; script-src 'self'; style-src 'self'/,
    );
    assert.match(
      CONTENT_SECURITY_POLICY,
      /frame-ancestors 'none'; base-uri 'none'; form-action 'self'/,
    );
  });

  test('the page has no inline script or style', async () => {
    const page = await exchange(server.url);
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(page.body, /<style|style=/);
  });

  test('on loopback, a Host header that is not the loopback address is refused (DNS rebinding)', async () => {
    const response = await exchange(new URL('/api/status', server.url).href, {
      headers: { host: 'attacker.example' },
    });
    assert.equal(response.status, 403);
  });

  test('on another address: 401 without the token, 200 with it (header, URL then cookie)', async () => {
    const remote = await explorer(await fixtureSource(fixture), { host: '0.0.0.0' });
    try {
      assert.ok(remote.token !== undefined && remote.token.length >= 40);
      const api = new URL('/api/status', remote.url.replace('0.0.0.0', '127.0.0.1')).href;
      assert.equal((await exchange(api)).status, 401);
      assert.equal((await exchange(`${api}?token=wrong`)).status, 401);
      const bearer = await exchange(api, { headers: { authorization: `Bearer ${remote.token}` } });
      assert.equal(bearer.status, 200);
      const login = await exchange(`${api}?token=${remote.token}`);
      assert.equal(login.status, 303);
      assert.equal(login.headers['location'], '/api/status');
      const cookie = String(login.headers['set-cookie']);
      assert.match(cookie, /HttpOnly; SameSite=Strict/);
      const withCookie = await exchange(api, { headers: { cookie: cookie.split(';')[0]! } });
      assert.equal(withCookie.status, 200);
      const page = await exchange(new URL('/', api).href);
      assert.equal(page.status, 401);
      assert.match(page.body, /<form method="get"/);
    } finally {
      await remote.close();
    }
  });
});

describe('bundle mode', () => {
  test('serves a bundle file: its workflow, proofs and its own check', async () => {
    const text = (
      await exchange(new URL(`/export/workflows/${fixture.wid}/bundle.json`, server.url).href)
    ).body;
    const file = join(dir, 'workflow.bundle.json');
    writeFileSync(file, text);
    const tokens = tokenChecker({ keys: undefined, description: 'none' });
    const keys = localJWKSet({ keys: [issuer.publicJwk] });
    const bundled = await explorer(bundleSource({ file, tokens, keys, ledgerVkey: fixture.vkey }));
    try {
      const status = (await (
        await fetch(new URL('/api/status', bundled.url))
      ).json()) as StatusView;
      assert.equal(status.mode, 'bundle');
      assert.equal(status.vkeySource, 'command line');
      const index = (await (
        await fetch(new URL('/api/workflows', bundled.url))
      ).json()) as IndexPage;
      assert.deepEqual(
        index.rows.map((r) => r.wid),
        [fixture.wid],
      );
      const events = await integrity(bundled.url);
      const done = events.at(-1)!;
      assert.equal(done.type, 'done');
      assert.ok(done.type === 'done' && done.ok, JSON.stringify(done));
    } finally {
      await bundled.close();
    }
  });

  test('a bundle checked with another ledger key fails its check', async () => {
    const file = join(dir, 'workflow.bundle.json');
    const other = fixture.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    const tokens = tokenChecker({ keys: undefined, description: 'none' });
    const bundled = await explorer(bundleSource({ file, tokens, ledgerVkey: other }));
    try {
      const done = (await integrity(bundled.url)).at(-1)!;
      assert.ok(done.type === 'error' || (done.type === 'done' && !done.ok));
    } finally {
      await bundled.close();
    }
  });
});

describe('integrity', () => {
  test('an intact ledger passes, with progress events', async () => {
    const events = await integrity(server.url);
    assert.ok(events.some((e) => e.type === 'progress'));
    const done = events.at(-1)!;
    assert.ok(done.type === 'done' && done.ok, JSON.stringify(done));
  });

  test('a ledger changed behind its back is shown as failing, naming the row', async () => {
    const tampered = await makeFixture(mkdtempSync(join(dir, 'tampered-')));
    const db = new Database(tampered.url.slice('sqlite:'.length));
    db.prepare('UPDATE ect_ledger SET recorded_at = recorded_at + 1 WHERE seq = 2').run();
    db.close();
    const bad = await explorer(await fixtureSource(tampered));
    try {
      const done = (await integrity(bad.url)).at(-1)!;
      assert.equal(done.type, 'done');
      assert.ok(done.type === 'done' && !done.ok);
      assert.match(done.type === 'done' ? (done.problem ?? '') : '', /entries 2/);
    } finally {
      await bad.close();
    }
  });
});

describe('command line', () => {
  test('usage errors are exit 2 with one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['explore'], /give a ledger URL or --bundle FILE/],
      [['explore', 'sqlite:/nonexistent/x.db'], /no SQLite ledger at \/nonexistent\/x.db/],
      [['explore', 'mysql://db/x'], /unknown scheme/],
      [['explore', 'memory:'], /nothing to explore/],
      [['explore', '--bundle', join(dir, 'missing.json')], /cannot be read \(ENOENT\)/],
      [['explore', fixture.url, '--bundle', 'x'], /one of them/],
      [['explore', fixture.url, '--port', '70000'], /expected a port/],
      [['explore', fixture.url, '--ledger-vkey', 'a+b+c'], /--ledger-vkey/],
    ];
    const notBundle = join(dir, 'not-a-bundle.json');
    writeFileSync(notBundle, '{"format":"something else"}');
    cases.push([['explore', '--bundle', notBundle], /is not an evidence bundle: .*format/]);
    for (const [argv, message] of cases) {
      const result = await cli(argv);
      assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length <= 2, true, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test("ect explore serves a ledger read-only with the issuers' keys until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'explore', fixture.url, '--jwks', fixture.jwksFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /^url (\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`exited before serving: ${out}`)));
    });
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.doesNotMatch(out, /token/, 'no token on loopback');
      const response = await fetch(new URL(`/api/workflows/${fixture.wid}`, url));
      const view = (await response.json()) as WorkflowView;
      assert.deepEqual(
        view.tasks.map((t) => t.signature.state),
        ['valid', 'valid', 'valid'],
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  test('--help describes the command', async () => {
    const result = await cli(['explore', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--bundle <file>/);
    assert.match(result.stdout, /Exit codes/);
  });
});
