/**
 * docs/a2a.md: its whole-exchange example runs as written (with `wimse-ect` and `wimse-ect/a2a`
 * pointed at the sources) and prints what its last comment says.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = process.cwd();
const doc = readFileSync(join(root, 'docs', 'a2a.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

test('docs/a2a.md: the whole-exchange example runs and prints its expected line', () => {
  const example = blocks.find((code) => code.includes('ectRequestHandler('));
  assert.ok(example, 'the example is in docs/a2a.md');
  const expected = /\/\/ (reviewed for .* true)\n/.exec(example)?.[1];
  assert.ok(expected, 'the example says what it prints');
  const source = example
    .replaceAll("from 'wimse-ect/a2a'", `from '${join(root, 'src', 'a2a', 'index.ts')}'`)
    .replaceAll("from 'wimse-ect'", `from '${join(root, 'src', 'index.ts')}'`);
  assert.ok(!source.includes("'wimse-ect"), 'every import of the package is rewritten');
  const dir = join(root, 'tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `a2a-docs-example-${process.pid}.mts`);
  writeFileSync(file, source);
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), expected);
  } finally {
    rmSync(file, { force: true });
  }
});
