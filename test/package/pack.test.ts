/**
 * The packed tarball installed into an empty project: what a plain install brings, what happens
 * without the optional peers (absent for real here, not simulated), and both commands.
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { installProject, pack, ROOT, run, type Packed } from './packed.js';

const PEERS = [
  'better-sqlite3',
  'pg',
  'redis',
  'express',
  'fastify',
  'hono',
  '@a2a-js/sdk',
  '@modelcontextprotocol/sdk',
  '@opentelemetry/api',
] as const;
let packed: Packed;
let plain: string;

before(() => {
  packed = pack();
  plain = installProject(packed, 'plain');
});
after(() => packed?.cleanup());

/** Runs an installed command of the project. */
function bin(project: string, name: string, args: readonly string[]): ReturnType<typeof run> {
  const file = join(project, 'node_modules', '.bin', name);
  return run(process.execPath, [file, ...args], { cwd: project });
}

describe('a plain install (npm install --omit=dev wimse-ect)', () => {
  test('has at most 6 top-level packages, and none of the optional peers', () => {
    const top = readdirSync(join(plain, 'node_modules')).filter((name) => !name.startsWith('.'));
    assert.ok(top.length <= 6, `top-level packages: ${top.join(', ')}`);
    for (const peer of PEERS) assert.ok(!top.includes(peer), peer);
  });

  test('loadOptional: a missing peer is an ECTConfigError naming it and its install', async () => {
    const file = join(plain, 'node_modules', 'wimse-ect', 'dist', 'optional.js');
    type Optional = typeof import('../../src/optional.js');
    const { loadOptional } = (await import(pathToFileURL(file).href)) as Optional;
    for (const name of PEERS) {
      const error = await loadOptional({ name }).then(
        () => assert.fail(`${name} loaded`),
        (e: unknown) => e as Error & { setting?: string; code?: string },
      );
      assert.equal(error.name, 'ECTConfigError');
      assert.equal(error.code, 'ECT_CONFIG_INVALID');
      assert.equal(error.setting, name);
      assert.match(error.message, new RegExp(`Install it with: npm install ${name}$`));
    }
  });

  test('every entry point loads without its optional peer; opening a store whose package is missing is an ECTConfigError naming it', () => {
    writeFileSync(join(plain, 'missing-peers.cjs'), MISSING_PEERS);
    const all = specifiers(plain);
    const r = run(process.execPath, ['missing-peers.cjs', JSON.stringify(all)], { cwd: plain });
    assert.equal(r.status, 0, r.stderr);
    type Outcome = { loaded: string[]; opened: Record<string, string> };
    const { loaded, opened } = JSON.parse(r.stdout) as Outcome;
    assert.deepEqual(loaded, all);
    const expected = (name: string): string =>
      `ECTConfigError ${name}: the optional package ${name} is not installed`;
    assert.deepEqual(opened, {
      'redis://127.0.0.1:1': expected('redis'),
      'sqlite:l.db': expected('better-sqlite3'),
      'postgres://127.0.0.1:1/x': expected('pg'),
    });
  });

  test('the command line prints one line naming the missing package and exits 2', () => {
    const keygen = bin(plain, 'ect', ['keygen', '--out', 'a.key.json', '--jwks-out', 'a.jwks']);
    assert.equal(keygen.status, 0, keygen.stderr);
    const args = ['x', '--jwks', 'a.jwks', '--audience', 'spiffe://b'];
    args.push('--ledger', 'sqlite:l.db');
    const r = bin(plain, 'ect', ['verify', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ect: better-sqlite3: .*not installed.*npm install better-sqlite3\n$/);
  });

  test("the README's command-line example runs in a plain install after its npm install better-sqlite3 line, and stops at the ledger with exit 2 without it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('ect keygen'));
    assert.ok(block !== undefined, 'the README has a command-line example');
    assert.ok(block.startsWith('npm install better-sqlite3'), 'the example installs it first');
    const project = installProject(packed, 'readme-cli');
    const script = (install: string): string =>
      `set -e\n${block.replace(/^npm install better-sqlite3\b.*$/m, install)}`;
    const without = run('bash', ['-c', script('true')], { cwd: project });
    assert.equal(without.status, 2, without.stdout + without.stderr);
    assert.match(without.stderr, /^ect: better-sqlite3: .*npm install better-sqlite3\n$/);
    // The repository's own build of the package stands in for the download (no network here).
    const built = join(ROOT, 'node_modules', 'better-sqlite3');
    const link =
      'rm -f agent-a.key.json agent-a.jwks.json ledger.key.json audit.db*; ' +
      `ln -s ${JSON.stringify(built)} node_modules/better-sqlite3`;
    const withIt = run('bash', ['-c', script(link)], { cwd: project });
    assert.equal(withIt.status, 0, withIt.stdout + withIt.stderr);
    assert.match(withIt.stdout, /ledger intact: 1 entries/);
    assert.match(withIt.stdout, /^c2sp\.org\/tlog-proof@v1$/m);
  });

  test('ect demo runs without better-sqlite3 (its ledger in memory) and without the MCP SDK (no MCP hop)', () => {
    const r = bin(plain, 'ect', ['demo', '--json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as { ledger: string; tasks: number };
    assert.equal(result.ledger, 'memory:');
    assert.equal(result.tasks, 5);
    assert.match(r.stderr, /better-sqlite3 is not installed/);
  });

  test('both commands run the command line: ect and wimse-ect (npx wimse-ect)', () => {
    for (const name of ['ect', 'wimse-ect']) {
      const r = bin(plain, name, ['--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: ect /);
    }
  });
});

/** Every entry of the package's `exports` as a specifier: `wimse-ect`, `wimse-ect/sqlite`, … */
function specifiers(project: string): string[] {
  const file = join(project, 'node_modules', 'wimse-ect', 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { exports: Record<string, unknown> };
  return Object.keys(manifest.exports).map((key) => `wimse-ect${key.slice(1)}`);
}

// Node >= 20.19 loads ES modules with require(): a CommonJS program can use the package as it is.
const REQUIRE_ALL = `
const specifiers = JSON.parse(process.argv[2]);
const loaded = {};
for (const specifier of specifiers) loaded[specifier] = Object.keys(require(specifier)).length;
const { createECT, createVerifier, generateKeyPair } = require('wimse-ect');
const key = generateKeyPair();
const claims = { iss: 'spiffe://a', aud: 'spiffe://b', exec_act: 'x' };
const token = createECT(claims, { key: key.privateJwk });
const verifier = createVerifier({ audience: 'spiffe://b', keys: { keys: [key.publicJwk] } });
verifier.verify(token).then((r) => console.log(JSON.stringify({ loaded, level: r.level })));
`;

describe('the tarball', () => {
  test('holds the licence, README, changelog, security and benchmark notes, and docs/', () => {
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'SECURITY.md', 'BENCHMARKS.md']) {
      assert.ok(packed.files.includes(file), file);
    }
    assert.ok(packed.files.includes('docs/trust.md'), 'docs/');
    const shipped = join(plain, 'node_modules', 'wimse-ect');
    const licence = readFileSync(join(shipped, 'LICENSE'), 'utf8');
    assert.match(licence, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(licence, /END OF TERMS AND CONDITIONS/);
    const changelog = readFileSync(join(shipped, 'CHANGELOG.md'), 'utf8');
    assert.match(changelog, /^## \[Unreleased\]$/m);
    assert.match(changelog, /^## \[0\.1\.0\] - \d{4}-\d{2}-\d{2}$/m);
  });

  test('every relative link of its Markdown files leads to a file it holds', () => {
    const markdown = packed.files.filter((file) => file.endsWith('.md'));
    assert.ok(markdown.includes('examples/README.md'), 'examples/');
    const shipped = join(plain, 'node_modules', 'wimse-ect');
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(join(shipped, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = posix.normalize(posix.join(posix.dirname(file), target!.split('#')[0]!));
        if (!packed.files.includes(path) && !packed.files.some((f) => f.startsWith(`${path}/`)))
          broken.push(`${file} → ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  test('holds no source maps, and no shipped file names one', () => {
    assert.deepEqual(
      packed.files.filter((file) => file.endsWith('.map')),
      [],
    );
    const dist = join(plain, 'node_modules', 'wimse-ect', 'dist');
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' });
    const js = files.filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'));
    assert.ok(js.length > 50, `${js.length} files`);
    for (const file of js) {
      assert.doesNotMatch(readFileSync(join(dist, file), 'utf8'), /sourceMappingURL/, file);
    }
  });
});

// In a plain install: require() every entry point, then open each store by URL (nothing listens
// on port 1: the missing package must be reported before any connection is tried).
const MISSING_PEERS = `
const specifiers = JSON.parse(process.argv[2]);
for (const specifier of specifiers) require(specifier);
const { openLedger, openReplayStore } = require('wimse-ect/stores');
const opened = {};
const first = (e) => e.name + ' ' + e.message.split(';')[0];
(async () => {
  for (const url of ['redis://127.0.0.1:1', 'sqlite:l.db', 'postgres://127.0.0.1:1/x']) {
    const open = url.startsWith('redis') ? openReplayStore(url) : openLedger(url);
    opened[url] = await open.then(() => 'opened', first);
  }
  console.log(JSON.stringify({ loaded: specifiers, opened }));
})();
`;

describe('require() from CommonJS', () => {
  test('every subpath resolves with require.resolve in a plain install', () => {
    const all = specifiers(plain);
    assert.ok(all.length >= 11 && all.includes('wimse-ect/sqlite'), all.join(' '));
    const script = 'for (const s of JSON.parse(process.argv[1])) require.resolve(s);';
    const r = run(process.execPath, ['-e', script, JSON.stringify(all)], { cwd: plain });
    assert.equal(r.status, 0, r.stderr);
  });

  test('every subpath loads with require(), with the optional peers installed', () => {
    const project = installProject(packed, 'cjs', {
      manifest: { type: 'commonjs' },
      with: ['pg@8', 'redis@6', 'better-sqlite3@12'],
    });
    writeFileSync(join(project, 'require-all.cjs'), REQUIRE_ALL);
    const all = specifiers(project);
    const r = run(process.execPath, ['require-all.cjs', JSON.stringify(all)], { cwd: project });
    assert.equal(r.status, 0, r.stderr);
    type Outcome = { loaded: Record<string, number>; level: number };
    const { loaded, level } = JSON.parse(r.stdout) as Outcome;
    assert.deepEqual(Object.keys(loaded), all);
    for (const specifier of all) assert.ok(loaded[specifier]! > 0, `${specifier} exports nothing`);
    assert.equal(level, 2);
  });

  test('the manifest declares no side effects', () => {
    const file = join(plain, 'node_modules', 'wimse-ect', 'package.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { sideEffects: unknown };
    assert.equal(manifest.sideEffects, false);
  });
});
