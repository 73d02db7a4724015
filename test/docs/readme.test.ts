// The README's examples run as written: every ```ts block (importing the package by its name, as a
// user would) and the command-line ```sh block after the set-up commands.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = process.cwd();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = (lang: string): string[] => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

blocks('ts').forEach((code, index) => {
  test(`README TypeScript example ${index + 1} runs`, () => {
    // Inside the package folder, so that `import … from 'wimse-ect'` resolves to this package (self-reference).
    const dir = join(root, 'tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `readme-example-${index + 1}.mts`);
    writeFileSync(file, code);
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: root });
    rmSync(file, { force: true });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    if (index === 0) assert.match(run.stdout, /ECT_REPLAY/);
    if (index === 1) assert.match(run.stdout, /true 4/);
    if (index === 2) assert.match(run.stdout, /200 review_spec true/);
    if (index === 3) assert.match(run.stdout, /3 1 true/);
    if (index === 4) assert.match(run.stdout, /spec v1 reviewed for spiffe:\/\/example.org\/agent true/);
    if (index === 5) assert.match(run.stdout, /ect\.verify plan\nplan true/);
  });
});

test('README command-line example runs', () => {
  const sh = blocks('sh').find((block) => block.includes('ect keygen'));
  assert.ok(sh, 'the README has a command-line example');
  const dir = mkdtempSync(join(tmpdir(), 'ect-readme-'));
  try {
    const script = `set -e\n${sh!.replaceAll('npx ect', `node ${JSON.stringify(join(root, 'dist', 'cli', 'main.js'))}`)}`;
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: dir });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /"valid": true/);
    assert.match(run.stdout, /ledger intact: 1 entries/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README lists every ECT_ variable the configuration reads', async () => {
  const { ENV_VARIABLES } = await import('../../src/config/env.js');
  for (const name of Object.keys(ENV_VARIABLES)) assert.match(readme, new RegExp('`' + name + '`'), `${name} is documented`);
});

test('docs/conformance.md is current (npm run conformance)', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'conformance.mjs'), '--check'], { encoding: 'utf8', cwd: root });
  assert.equal(run.status, 0, run.stderr);
});
