#!/usr/bin/env node
// Lints the package as it would be published: `npm pack` (its prepack script builds a clean dist/)
// into a temporary folder, then publint and arethetypeswrong on that tarball. Exit 1 when either
// reports a problem.
//
// arethetypeswrong bundles TypeScript 5.6, which models require() of an ES module as an error;
// Node >= 20.19 (this package's engines) loads it, so that one rule (cjs-resolves-to-esm) is
// ignored. test/package/pack.test.ts requires every entry point from CommonJS to prove it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'wimse-ect-lint-'));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

let status;
try {
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (packed.status !== 0) throw new Error('npm pack failed');
  const [info] = JSON.parse(packed.stdout);
  const tarball = join(dir, info.filename);
  const sizes = `${info.size} bytes packed, ${info.unpackedSize} unpacked`;
  console.log(`${info.filename}: ${sizes}, ${info.files.length} files`);
  const publint = run(bin('publint'), ['run', '--strict', tarball]);
  const rules = ['--ignore-rules', 'cjs-resolves-to-esm'];
  const attw = run(bin('attw'), [...rules, '--format', 'table-flipped', tarball]);
  status = publint === 0 && attw === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
