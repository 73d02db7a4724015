/**
 * docs/http.md's examples run as written: every ```ts block, with `wimse-ect` and its subpaths
 * mapped to the sources (as package.json `exports` maps them to dist/), and its output checked.
 * @module
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runExample, tsBlocks } from '../docs/doc-examples.js';

const blocks = tsBlocks('docs/http.md');

/** What each example prints, found by a line of its code. */
const EXPECTED: readonly (readonly [marker: string, output: RegExp])[] = [
  [
    "typed.get('/whoami'",
    /^200 \{ task: 'review_spec', spec: 'v1' \}\n403 EXECUTION_CONTEXT_MISSING\nanonymous$/m,
  ],
  ["app.post('/reviews/:id'", /^200 \{\n? *id: '7',\n? *exec_act: 'review_spec',/m],
  [
    "hono.post('/tasks'",
    new RegExp(
      '^hono refused: ECT_MALFORMED 403\n403\n' +
        'fastify refused: EXECUTION_CONTEXT_MISSING 403\n403 EXECUTION_CONTEXT_MISSING$',
      'm',
    ),
  ],
  ['console.log(typeof ECTRejectionError)', /^function$/m],
  ['captureRawBody keeps the bytes', /^captureRawBody keeps the bytes at req\.rawBody$/m],
  ['// 1. publish b', /^a signs: review\nb signs: review\n1 true$/m],
];

test('docs/http.md: every TypeScript example has an expected output', () => {
  assert.ok(blocks.length >= EXPECTED.length);
  for (const code of blocks)
    assert.ok(
      EXPECTED.some(([marker]) => code.includes(marker)),
      code.slice(0, 200),
    );
});

blocks.forEach((code, index) => {
  test(`docs/http.md example ${index + 1} runs`, () => {
    const run = runExample(code, { name: 'http-doc-example', n: index + 1 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const expected = EXPECTED.find(([marker]) => code.includes(marker));
    assert.ok(expected, 'the example has an expected output');
    assert.match(run.stdout, expected[1]);
  });
});
