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
const blocks = (lang: string): string[] =>
  [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/**
 * What each TypeScript example must print, found by a line of its code (not by its position, so a
 * new example does not shift the others). Every example has an entry.
 */
const EXPECTED: readonly (readonly [marker: string, output: RegExp])[] = [
  ['if (error instanceof ECTError) console.log(error.code); // ECT_REPLAY', /ECT_REPLAY/],
  ['console.log(report.ok, report.order.length); // true 4', /true 4/],
  ['// 200 review_spec true', /200 review_spec true/],
  ['// 3 1 true', /3 1 true/],
  ["loadTrustConfig('trust.json')", /verifying for spiffe:\/\/example\.org\/b; ledger at 0 /],
  ['wimse-ect/mcp', /spec v1 reviewed for spiffe:\/\/example.org\/agent true/],
  ['wimse-ect/otel', /ect\.verify plan\nplan true/],
  [
    '// 200 review_spec 403 application/jwk-set+json',
    /200 review_spec 403 application\/jwk-set\+json/,
  ],
  [
    'wimse-ect/a2a',
    /reviewed for spiffe:\/\/example\.org\/planner spiffe:\/\/example\.org\/reviewer true/,
  ],
];

/**
 * The fleet example reads trust.json and ledger.key.json from its working directory and its
 * servers from ECT_REPLAY and ECT_LEDGER: here a throwaway Redis and PostgreSQL.
 */
interface Fleet {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

async function fleetSetup(): Promise<Fleet> {
  const { startPostgres, startRedis } = await import('../helpers/servers.js');
  const { generateKeyPair } = await import('../../src/crypto/keys.js');
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const cwd = mkdtempSync(join(tmpdir(), 'ect-readme-fleet-'));
  const agents = { keys: [generateKeyPair().publicJwk] };
  const trust = { issuers: [{ iss_prefix: 'spiffe://example.org/', jwks: agents }] };
  writeFileSync(join(cwd, 'trust.json'), JSON.stringify(trust));
  const ledgerKey = generateKeyPair({ alg: 'EdDSA' }).privateJwk;
  writeFileSync(join(cwd, 'ledger.key.json'), JSON.stringify(ledgerKey));
  return {
    cwd,
    env: { ...process.env, ECT_REPLAY: redis.url, ECT_LEDGER: postgres.url },
    dispose: async () => {
      rmSync(cwd, { recursive: true, force: true });
      await Promise.all([redis.dispose(), postgres.dispose()]);
    },
  };
}

test('every README TypeScript example has its expected output here', () => {
  const codes = blocks('ts');
  for (const code of codes) {
    assert.ok(
      EXPECTED.some(([marker]) => code.includes(marker)),
      code.slice(0, 200),
    );
  }
  assert.equal(blocks('typescript').length, 0, 'examples are ```ts blocks, so that they run');
});

blocks('ts').forEach((code, index) => {
  test(`README TypeScript example ${index + 1} runs`, async () => {
    // Inside the package folder, so that `import … from 'wimse-ect'` resolves to this package (self-reference).
    const dir = join(root, 'tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `readme-example-${index + 1}.mts`);
    writeFileSync(file, code);
    const fleet = code.includes("loadTrustConfig('trust.json')") ? await fleetSetup() : undefined;
    try {
      // tsx by its URL: the fleet example runs in a folder of its own, outside the package.
      const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), file], {
        encoding: 'utf8',
        cwd: fleet?.cwd ?? root,
        env: fleet?.env ?? process.env,
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      const expected = EXPECTED.find(([marker]) => code.includes(marker));
      assert.ok(expected, 'the example has an expected output');
      assert.match(run.stdout, expected[1]);
    } finally {
      rmSync(file, { force: true });
      await fleet?.dispose();
    }
  });
});

test('README command-line example runs', () => {
  const sh = blocks('sh').find((block) => block.includes('ect keygen'));
  assert.ok(sh, 'the README has a command-line example');
  const dir = mkdtempSync(join(tmpdir(), 'ect-readme-'));
  try {
    // In this repository better-sqlite3 is a dev dependency: its install line has nothing to do
    // (test/package/pack.test.ts runs the block in a plain install, with that line).
    const cli = `node ${JSON.stringify(join(root, 'dist', 'cli', 'main.js'))}`;
    const lines = sh.replace(/^npm install better-sqlite3\b.*$/m, 'true');
    const script = `set -e\n${lines.replaceAll('npx ect', cli)}`;
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
  for (const name of Object.keys(ENV_VARIABLES))
    assert.match(readme, new RegExp('`' + name + '`'), `${name} is documented`);
});

test('docs/conformance.md is current (npm run conformance)', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'conformance.mjs'), '--check'], {
    encoding: 'utf8',
    cwd: root,
  });
  assert.equal(run.status, 0, run.stderr);
});
