/**
 * Writes the explorer's screenshots of the documentation: docs/explorer-index.png (the index of a
 * small ledger) and docs/explorer-workflow.png (a workflow with a task selected and its proof
 * verified in the page). Run: node --import tsx test/explorer/screenshots.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './browser.js';
import { explorer, fixtureSource, makeFixture } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-explore-shots-'));
const browser = await launchChromium();
try {
  const fixture = await makeFixture(dir, { many: 6 });
  const server = await explorer(await fixtureSource(fixture));
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]');
    await page.screenshot({ path: 'docs/explorer-index.png' });
    await page.goto(new URL(`/workflows/${fixture.wid}`, server.url).href);
    await page.waitForSelector('body[data-ready]');
    await page.click('[data-node="t2"]');
    await page.waitForSelector('.proof-verdict');
    await page.screenshot({ path: 'docs/explorer-workflow.png' });
  } finally {
    await server.close();
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stderr.write('wrote docs/explorer-index.png and docs/explorer-workflow.png\n');
