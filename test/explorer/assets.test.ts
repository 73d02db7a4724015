/**
 * The explorer's page files: small enough to ship (≤ 300 KB gzipped in total, dagre included),
 * built from browser code that typechecks with its own tsconfig (DOM types, no Node types), and
 * that never turns data into markup.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs script without declarations (its JSDoc says the types).
import * as build from '../../scripts/build-explorer.mjs';

const { buildExplorerAssets } = build as {
  buildExplorerAssets: (options: { minify: boolean }) => Promise<Map<string, Uint8Array>>;
};

const WEB = join('src', 'explorer', 'web');

test('the built assets are at most 300 KB gzipped in total', async () => {
  const files = await buildExplorerAssets({ minify: true });
  assert.deepEqual([...files.keys()].sort(), ['app.css', 'app.js']);
  const total = [...files.values()].reduce((n, bytes) => n + gzipSync(bytes).length, 0);
  assert.ok(total <= 300 * 1024, `${total} bytes gzipped`);
  assert.ok(total > 10 * 1024, 'dagre is bundled in');
  const js = Buffer.from(files.get('app.js')!).toString('utf8');
  assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org\/2000\/svg)[a-z]/i, 'no remote resource');
});

test('the browser code builds DOM with text nodes, never markup or eval', () => {
  for (const name of readdirSync(WEB).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(WEB, name), 'utf8');
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
    ]) {
      assert.ok(!source.includes(sink), `${name} uses ${sink}`);
    }
    assert.doesNotMatch(source, /setAttribute\(\s*['"](style|on\w+)['"]/, `${name}: style/on*`);
  }
});

test('the browser code typechecks with src/explorer/web/tsconfig.json', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(WEB, 'tsconfig.json')], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
