/**
 * docs/a2a.md: its example runs as written (with `wimse-ect` and `wimse-ect/a2a` pointed at the
 * sources) and prints what its `// prints:` comments say, line by line.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample, tsBlocks, withSources } from '../docs/doc-examples.js';

const blocks = tsBlocks('docs/a2a.md');

test('docs/a2a.md: the whole-exchange example, with a continued task, runs and prints its expected lines', () => {
  assert.equal(blocks.length, 1, 'one example, run whole');
  const example = blocks[0]!;
  assert.ok(example.includes('ectRequestHandler(') && example.includes('withECT('));
  const expected = [...example.matchAll(/\/\/ prints: (.*)\n/g)].map((m) => m[1]!);
  assert.equal(expected.length, 2, 'the example says what it prints');
  assert.ok(
    !withSources(example).includes("'wimse-ect"),
    'every import of the package is rewritten',
  );
  const run = runExample(example, { name: 'a2a-docs-example', n: 1 });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), expected);
});
