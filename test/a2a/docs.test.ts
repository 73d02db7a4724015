/**
 * docs/a2a.md: its whole-exchange example runs as written (with `wimse-ect` and `wimse-ect/a2a`
 * pointed at the sources) and prints what its last comment says.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample, tsBlocks, withSources } from '../docs/doc-examples.js';

const blocks = tsBlocks('docs/a2a.md');

test('docs/a2a.md: the whole-exchange example runs and prints its expected line', () => {
  const example = blocks.find((code) => code.includes('ectRequestHandler('));
  assert.ok(example, 'the example is in docs/a2a.md');
  const expected = /\/\/ (reviewed for .* true)\n/.exec(example)?.[1];
  assert.ok(expected, 'the example says what it prints');
  assert.ok(
    !withSources(example).includes("'wimse-ect"),
    'every import of the package is rewritten',
  );
  const run = runExample(example, { name: 'a2a-docs-example', n: 1 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), expected);
});
