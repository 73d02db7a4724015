/**
 * The explorer in Debian's Chromium (playwright-core, never a downloaded browser): the index, a
 * workflow's DAG, a task whose proof the page verifies itself; a server that serves a tampered
 * proof, checkpoint or summary is caught by the page; hostile token values render as text, run
 * nothing and keep the layout; the Content-Security-Policy is never violated.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ExplorerSource } from '../../src/explorer/server/source.js';
import type { RunningExplorer } from '../../src/explorer/server/server.js';
import { launchChromium } from './browser.js';
import { explorer, fixtureSource, HOSTILE_ACT, makeFixture, type Fixture } from './support.js';

let dir: string;
let fixture: Fixture;
let browser: Browser;
let server: RunningExplorer;

/** A page that records CSP violations and errors, for the test to assert none happened. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => " +
      "console.error('CSP violation: ' + e.violatedDirective));",
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return { page, problems };
}

/** Flips one character of the first hash line of a tlog-proof. */
function tamperProof(proof: string): string {
  const lines = proof.split('\n');
  const at = lines.findIndex((l) => /^[A-Za-z0-9+/]{43}=$/.test(l));
  const line = lines[at]!;
  lines[at] = (line[0] === 'A' ? 'B' : 'A') + line.slice(1);
  return lines.join('\n');
}

/** A source that serves what `change` makes of the real one's answers. */
function tampered(
  source: ExplorerSource,
  change: { proof?: (proof: string) => string; execAct?: string },
): ExplorerSource {
  const proof = change.proof ?? ((p: string): string => p);
  return {
    status: () => source.status(),
    index: (q) => source.index(q),
    bundle: (k) => source.bundle(k),
    mermaid: (k) => source.mermaid(k),
    integrity: (e) => source.integrity(e),
    close: () => source.close(),
    workflow: async (key) => {
      const view = await source.workflow(key);
      if (view === undefined || change.execAct === undefined) return view;
      const [first, ...rest] = view.tasks;
      return { ...view, tasks: [{ ...first!, execAct: change.execAct }, ...rest] };
    },
    entry: async (seq) => {
      const view = await source.entry(seq);
      return view === undefined ? undefined : { ...view, proof: proof(view.proof) };
    },
    proofs: async (key) => {
      const set = await source.proofs(key);
      if (set === undefined) return undefined;
      const entries = set.entries.map((e) => ({ ...e, proof: proof(e.proof) }));
      const checkpoint = entries[0]?.proof.slice(entries[0].proof.indexOf('\n\n') + 2) ?? null;
      return { ...set, entries, checkpoint };
    },
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-explore-browser-'));
  fixture = await makeFixture(dir, { many: 2 });
  browser = await launchChromium();
  server = await explorer(await fixtureSource(fixture));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the explorer in Chromium', () => {
  test('index → workflow → task: "proof verified", computed in the page', async () => {
    const { page, problems } = await open(server.url);
    const link = page.locator(`a[href="/workflows/${fixture.wid}"]`);
    assert.equal(await link.count(), 1);
    await link.click();
    await page.waitForSelector('body[data-ready]');
    assert.equal(await page.locator('svg.dag [data-node]').count(), 3);
    assert.equal(await page.locator('svg.dag .edge').count(), 2);
    assert.match(
      (await page.textContent('.verify-summary')) ?? '',
      /all 3 inclusion proofs verified/,
    );
    assert.equal(await page.locator('[data-state="ok"]').count(), 3);
    await page.click('[data-node="t2"]');
    await page.waitForSelector('.proof-verdict');
    const verdict = (await page.textContent('.proof-verdict')) ?? '';
    assert.match(verdict, /proof verified/);
    const steps = (await page.textContent('ul.steps')) ?? '';
    assert.match(steps, /leaf hash/);
    assert.match(steps, /Merkle path/);
    assert.match(steps, /checkpoint signature .*signed by example\.org\/ect-ledger\+/);
    assert.match((await page.textContent('.panel')) ?? '', /review_spec/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the ledger page checks the checkpoint and runs the integrity check', async () => {
    const { page, problems } = await open(new URL('/ledger', server.url).href);
    assert.match((await page.textContent('main')) ?? '', /checkpoint signature .*signed by/);
    await page.click('text=Run the integrity check');
    await page.waitForSelector('.integrity-result .verdict-ok, .integrity-result .verdict-bad');
    assert.match((await page.textContent('.integrity-result')) ?? '', /integrity verified/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a tampered inclusion proof is shown as failed', async () => {
    const bad = await explorer(tampered(await fixtureSource(fixture), { proof: tamperProof }));
    try {
      const { page } = await open(new URL(`/workflows/${fixture.wid}`, bad.url).href);
      assert.match((await page.textContent('.verify-summary')) ?? '', /3 of 3 proofs FAILED/);
      assert.equal(await page.locator('[data-state="bad"]').count(), 3);
      await page.click('[data-node="t1"]');
      await page.waitForSelector('.proof-verdict');
      assert.match((await page.textContent('.proof-verdict')) ?? '', /proof FAILED: Merkle path/);
      await page.close();
    } finally {
      await bad.close();
    }
  });

  test('a tampered checkpoint (another root) is shown as failed', async () => {
    const otherRoot = (proof: string): string =>
      proof.replace(/\n(\d+)\n([A-Za-z0-9+/]{43}=)\n\n/, (_m, size: string, root: string) => {
        const flipped = (root[0] === 'A' ? 'B' : 'A') + root.slice(1);
        return `\n${size}\n${flipped}\n\n`;
      });
    const bad = await explorer(tampered(await fixtureSource(fixture), { proof: otherRoot }));
    try {
      const { page } = await open(new URL(`/workflows/${fixture.wid}`, bad.url).href);
      await page.click('[data-node="t1"]');
      await page.waitForSelector('.proof-verdict');
      const verdict = (await page.textContent('.proof-verdict')) ?? '';
      assert.match(verdict, /proof FAILED/);
      assert.match((await page.textContent('.verify-summary')) ?? '', /FAILED/);
      await page.close();
    } finally {
      await bad.close();
    }
  });

  test('a server summary that differs from the proven entry is caught', async () => {
    const lying = await explorer(tampered(await fixtureSource(fixture), { execAct: 'innocent' }));
    try {
      const { page } = await open(new URL(`/workflows/${fixture.wid}`, lying.url).href);
      assert.equal(await page.getAttribute('[data-node="t1"]', 'data-state'), 'bad');
      assert.equal(await page.getAttribute('[data-node="t2"]', 'data-state'), 'ok');
      await page.click('[data-node="t1"]');
      await page.waitForSelector('.proof-verdict');
      assert.match((await page.textContent('.panel')) ?? '', /summary differs .*exec_act/);
      await page.close();
    } finally {
      await lying.close();
    }
  });

  test('hostile exec_act, iss and ect_ext render as text: nothing runs, the layout holds', async () => {
    const { page, problems } = await open(server.url);
    assert.match(
      (await page.textContent('main')) ?? '',
      /spiffe:\/\/evil\.example\/"><svg onload=/,
    );
    await page.goto(new URL(`/workflows/${fixture.hostileWid}`, server.url).href);
    await page.waitForSelector('body[data-ready]');
    const first = page.locator('[data-node]').first();
    await first.click();
    await page.waitForSelector('.proof-verdict');
    const panel = (await page.textContent('.panel')) ?? '';
    assert.ok(panel.includes(HOSTILE_ACT.slice(0, 80)), 'the markup is shown as text');
    assert.match(panel, /<\/pre><script>window.__pwned=4<\/script>/);
    // A string: it runs in the page, whose globals Node's types do not know.
    const state = await page.evaluate<Record<string, unknown>>(`({
      pwned: window.__pwned,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    })`);
    assert.deepEqual(state, { pwned: undefined, scripts: 1, images: 0, overflow: 0 });
    for (const box of await page.locator('svg.dag [data-node]').all()) {
      assert.equal(await box.getAttribute('width'), '210');
    }
    const panelBox = (await page.locator('.panel').boundingBox())!;
    assert.ok(panelBox.x + panelBox.width <= 1280, JSON.stringify(panelBox));
    assert.deepEqual(problems, []);
    await page.close();
  });
});
