/**
 * The README's test command works on a fresh Debian machine by itself: `npm test` first runs
 * scripts/test-prerequisites.mjs, which finds what the tests need (redis-server, PostgreSQL,
 * Python's jwcrypto), installs the missing Debian packages as root, and otherwise prints the one
 * command to run and stops. `.ci/run` calls the same `npm test`.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
// @ts-expect-error: a plain .mjs script without declarations (its JSDoc says the types).
import * as prerequisites from '../../scripts/test-prerequisites.mjs';

interface Environment {
  readonly path: string;
  readonly python: string;
  readonly root: boolean;
  readonly pgLib: string;
}
type Plan =
  | { readonly action: 'none' }
  | { readonly action: 'install'; readonly packages: string[] }
  | { readonly action: 'stop'; readonly message: string };
interface Script {
  missingPackages(env: Environment): string[];
  plan(options: {
    missing: readonly string[];
    root: boolean;
    aptGet: boolean;
    check: boolean;
  }): Plan;
  postgresBinDirs(pgLib: string): string[];
}
const script = prerequisites as Script;

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'ect-prereq-'));
after(() => rmSync(work, { recursive: true, force: true }));

function executable(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

describe('test prerequisites (npm test on a fresh Debian machine)', () => {
  test('finds every program, in PATH and in /usr/lib/postgresql/N/bin (newest first)', () => {
    const bin = join(work, 'bin');
    const pgLib = join(work, 'postgresql');
    mkdirSync(bin, { recursive: true });
    for (const version of ['9', '15', '17'])
      mkdirSync(join(pgLib, version, 'bin'), { recursive: true });
    assert.deepEqual(
      script.postgresBinDirs(pgLib),
      ['17', '15', '9'].map((v) => join(pgLib, v, 'bin')),
    );
    const good = join(work, 'python-good');
    const bad = join(work, 'python-bad');
    executable(good, 'exit 0');
    executable(bad, 'exit 1');
    const env = { path: bin, python: bad, root: false, pgLib };
    assert.deepEqual(script.missingPackages(env), [
      'redis-server',
      'postgresql',
      'python3-jwcrypto',
    ]);
    executable(join(bin, 'redis-server'), 'exit 0');
    executable(join(pgLib, '17', 'bin', 'initdb'), 'exit 0');
    assert.deepEqual(script.missingPackages(env), ['postgresql', 'python3-jwcrypto']);
    executable(join(pgLib, '17', 'bin', 'pg_ctl'), 'exit 0');
    assert.deepEqual(script.missingPackages({ ...env, python: good }), []);
  });

  test('installs as root with apt-get; otherwise prints the one command and stops', () => {
    const missing = ['redis-server', 'python3-jwcrypto'];
    assert.deepEqual(script.plan({ missing: [], root: false, aptGet: false, check: false }), {
      action: 'none',
    });
    assert.deepEqual(script.plan({ missing, root: true, aptGet: true, check: false }), {
      action: 'install',
      packages: missing,
    });
    const user = script.plan({ missing, root: false, aptGet: true, check: false });
    assert.equal(user.action, 'stop');
    assert.match(
      (user as { message: string }).message,
      /sudo apt-get update && sudo apt-get install -y redis-server python3-jwcrypto\n/,
    );
    const checkOnly = script.plan({ missing, root: true, aptGet: true, check: true });
    assert.match(
      (checkOnly as { message: string }).message,
      /\n {2}apt-get update && apt-get install -y redis-server python3-jwcrypto\n/,
    );
    const elsewhere = script.plan({ missing, root: false, aptGet: false, check: false });
    assert.match(
      (elsewhere as { message: string }).message,
      /your system's package manager \(on Debian: sudo apt-get/,
    );
  });

  test('a program missing: the script stops before any test, exit 1, with the command', () => {
    // A PATH holding only node: redis-server cannot be found.
    const onlyNode = join(work, 'only-node');
    mkdirSync(onlyNode, { recursive: true });
    symlinkSync(process.execPath, join(onlyNode, 'node'));
    const run = spawnSync(join(onlyNode, 'node'), ['scripts/test-prerequisites.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: onlyNode },
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /missing here: redis-server/);
    assert.match(run.stderr, /apt-get install -y redis-server/);
  });

  test('with everything installed it prints nothing (this machine ran npm test)', () => {
    const run = spawnSync(process.execPath, ['scripts/test-prerequisites.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout + run.stderr, '');
  });

  test('npm test runs the prerequisites first, then typecheck, Prettier, ESLint and the package lint before the tests; .ci/run keeps npm ci and calls npm test', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const steps = manifest.scripts['test']!.split(' && ');
    assert.equal(steps[0], 'node scripts/test-prerequisites.mjs');
    // Types, Prettier (width 100), typescript-eslint and the package lint run before the tests.
    for (const step of ['typecheck', 'format:check', 'lint', 'lint:package'])
      assert.ok(steps.includes(`npm run ${step}`), `npm test runs npm run ${step}`);
    assert.equal(steps.at(-1), 'node scripts/run-tests.mjs');
    assert.match(manifest.scripts['format:check']!, /^prettier --check /);
    assert.match(manifest.scripts['lint']!, /^eslint\b/);
    const prettier = JSON.parse(readFileSync(join(root, '.prettierrc.json'), 'utf8')) as {
      printWidth?: number;
    };
    assert.equal(prettier.printWidth, 100);
    const eslint = readFileSync(join(root, 'eslint.config.js'), 'utf8');
    assert.match(eslint, /tseslint\.configs\.recommendedTypeChecked/);
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^npm test$/m);
    assert.doesNotMatch(ci, /^[^#]*apt-get/m); // the install logic lives in one place
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.match(readme, /^npm test {2,}#/m);
  });
});
