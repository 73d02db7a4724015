/**
 * docs/http.md's examples run as written: every ```ts block, with `wimse-ect` and its subpaths
 * mapped to the sources (as package.json `exports` maps them to dist/), and its output checked.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const root = process.cwd();
const doc = readFileSync(join(root, 'docs', 'http.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

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

/** `wimse-ect/x` → the source file package.json `exports` builds dist/x from. */
function sourceOf(specifier: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string }>;
  };
  const subpath = specifier === 'wimse-ect' ? '.' : `./${specifier.slice('wimse-ect/'.length)}`;
  const target = manifest.exports[subpath];
  assert.ok(typeof target === 'object', `no export ${specifier}`);
  const source = target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
  return pathToFileURL(join(root, source)).href;
}

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
    const dir = join(root, 'tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `http-doc-example-${process.pid}-${index + 1}.mts`);
    const mapped = code.replace(
      /from '(wimse-ect(?:\/[a-z0-9-]+)?)'/g,
      (_all, specifier: string) => `from '${sourceOf(specifier)}'`,
    );
    writeFileSync(file, mapped);
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      const expected = EXPECTED.find(([marker]) => code.includes(marker));
      assert.ok(expected, 'the example has an expected output');
      assert.match(run.stdout, expected[1]);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
