#!/usr/bin/env node
/**
 * Bundles the explorer's page (`ect explore`): src/explorer/web/main.ts with its dependencies
 * (@dagrejs/dagre) into app.js and src/explorer/web/style.css into app.css, minified, written to
 * dist/explorer/assets/ where the installed server reads them. Run after `tsc -p
 * tsconfig.build.json`. From source, the server calls `buildExplorerAssets` itself (in memory).
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the installed server looks for the files (src/explorer/server/assets.ts). */
export const OUT_DIR = join(ROOT, 'dist', 'explorer', 'assets');

/**
 * Bundles the page; resolves to the files by name (`app.js`, `app.css`).
 * @param {{ minify?: boolean }} [options]
 * @returns {Promise<Map<string, Uint8Array>>}
 */
export async function buildExplorerAssets(options = {}) {
  const { build } = await import('esbuild');
  const web = join(ROOT, 'src', 'explorer', 'web');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [
      { in: join(web, 'main.ts'), out: 'app' },
      { in: join(web, 'style.css'), out: 'app' },
    ],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox128', 'safari17'],
    minify: options.minify ?? true,
    legalComments: 'eof',
    write: false,
    outdir: 'out',
    tsconfig: join(web, 'tsconfig.json'),
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [basename(file.path), file.contents]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildExplorerAssets({ minify: true });
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(OUT_DIR, name), contents);
  process.stderr.write(`explorer assets written to ${OUT_DIR}: ${[...files.keys()].join(', ')}\n`);
}
