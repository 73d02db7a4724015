/**
 * docs/trust.md, docs/mcp.md and docs/otel.md: every ```ts example runs as written (with
 * `wimse-ect` and its subpaths pointed at the sources, see doc-examples.ts) and prints exactly what
 * its `// prints: …` comments say, one comment per line of output, in order.
 * @module
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { test } from 'node:test';
import { runExample, tsBlocks } from './doc-examples.js';

/** The documents, and how many examples each has at least (so that none is lost unnoticed). */
const DOCUMENTS: Readonly<Record<string, number>> = {
  'docs/trust.md': 2,
  'docs/mcp.md': 1,
  'docs/otel.md': 2,
};

/** What an example says it prints: its `// prints: …` comments, in order. */
function printed(code: string): string[] {
  return [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((match) => match[1]!.trimEnd());
}

for (const [document, least] of Object.entries(DOCUMENTS)) {
  const blocks = tsBlocks(document);

  test(`${document}: its examples each say what they print`, () => {
    assert.ok(blocks.length >= least, `${blocks.length} examples, expected ${least} or more`);
    for (const code of blocks) assert.ok(printed(code).length > 0, code.slice(0, 200));
  });

  blocks.forEach((code, index) => {
    test(`${document} example ${index + 1} runs`, () => {
      const run = runExample(code, { name: `${basename(document, '.md')}-doc`, n: index + 1 });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      const expected = printed(code);
      assert.ok(expected.length > 0, 'the example says what it prints');
      assert.deepEqual(run.stdout.trimEnd().split('\n'), expected, run.stderr);
    });
  });
}
