#!/usr/bin/env node
/**
 * The programs `npm test` needs besides Node, and the one place that installs them: redis-server
 * (Redis replay cache tests), PostgreSQL's initdb and pg_ctl (shared ledger tests; as root also the
 * `postgres` system user), Python's jwcrypto importable by /usr/bin/python3 (interoperability
 * tests) and Debian's Chromium at /usr/bin/chromium (the audit explorer's browser tests, driven by
 * playwright-core, which never downloads a browser). The tests start their own throwaway servers; nothing is configured here.
 *
 * Run first by `npm test`. When everything is there it prints nothing. When something is missing
 * and this process is root on a machine with apt-get (Debian, CI), it runs `apt-get update` and
 * `apt-get install -y` of the missing packages; otherwise it prints the one command that installs
 * them and exits 1 before any test runs. `--check` only checks (never installs).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Python that runs the interoperability tests (test/hardening/interop.test.ts). */
export const PYTHON = '/usr/bin/python3';
/** The browser of the explorer's tests (test/explorer/browser.ts): Debian's `chromium` package. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * @typedef {object} Environment
 * @property {string} path the PATH to search
 * @property {string} python the Python interpreter that must import jwcrypto
 * @property {boolean} root whether this process runs as root
 * @property {string} pgLib where Debian keeps PostgreSQL versions (`/usr/lib/postgresql`)
 * @property {string} [chromium] the browser the explorer's tests drive (not checked when absent)
 */

/**
 * Whether an executable named `name` is in one of `dirs`.
 * @param {string} name
 * @param {readonly string[]} dirs
 * @returns {boolean}
 */
function hasExecutable(name, dirs) {
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

/**
 * Whether `path` is an executable file.
 * @param {string} path
 * @returns {boolean}
 */
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the `postgres` system user exists (in /etc/passwd, where Debian's package adds it).
 * @returns {boolean}
 */
function hasPostgresUser() {
  try {
    return /^postgres:/m.test(readFileSync('/etc/passwd', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Debian's PostgreSQL binary folders (`/usr/lib/postgresql/N/bin`), newest version first.
 * @param {string} pgLib
 * @returns {string[]}
 */
export function postgresBinDirs(pgLib) {
  let versions;
  try {
    versions = readdirSync(pgLib).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return versions.sort((a, b) => Number(b) - Number(a)).map((v) => join(pgLib, v, 'bin'));
}

/**
 * The Debian packages whose programs are missing, in a stable order without duplicates.
 * @param {Environment} env
 * @returns {string[]}
 */
export function missingPackages(env) {
  const dirs = env.path.split(delimiter).filter((dir) => dir.length > 0);
  const missing = new Set();
  if (!hasExecutable('redis-server', dirs)) missing.add('redis-server');
  const pgDirs = [...postgresBinDirs(env.pgLib), ...dirs];
  if (!hasExecutable('initdb', pgDirs) || !hasExecutable('pg_ctl', pgDirs)) {
    missing.add('postgresql');
  }
  // As root the tests run PostgreSQL as the `postgres` user, which the Debian package creates.
  if (env.root && !hasPostgresUser()) missing.add('postgresql');
  const python = spawnSync(env.python, ['-c', 'import jwcrypto'], { stdio: 'ignore' });
  if (python.status !== 0) missing.add('python3-jwcrypto');
  if (env.chromium !== undefined && !isExecutable(env.chromium)) missing.add('chromium');
  return [...missing];
}

/**
 * What to do about the missing packages: nothing, install them (root with apt-get), or stop with
 * the one command a user runs.
 * @param {{ missing: readonly string[], root: boolean, aptGet: boolean, check: boolean }} options
 * @returns {{ action: 'none' } | { action: 'install', packages: string[] }
 *   | { action: 'stop', message: string }}
 */
export function plan(options) {
  if (options.missing.length === 0) return { action: 'none' };
  const packages = options.missing.join(' ');
  if (options.root && options.aptGet && !options.check) {
    return { action: 'install', packages: [...options.missing] };
  }
  const sudo = options.root ? '' : 'sudo ';
  const command = `${sudo}apt-get update && ${sudo}apt-get install -y ${packages}`;
  const how = options.aptGet
    ? `Install them with:\n\n  ${command}\n\nthen run npm test again.`
    : `Install them with your system's package manager (on Debian: ${command}), ` +
      'then run npm test again.';
  return {
    action: 'stop',
    message:
      `npm test needs redis-server, PostgreSQL (initdb, pg_ctl), Python's jwcrypto ` +
      `(for ${PYTHON}) and Chromium (${CHROMIUM}); missing here: ${packages}. ${how}`,
  };
}

/**
 * Runs a command with the output shown, or throws naming it.
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {void}
 */
function run(command, args) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${String(result.status)})`);
  }
}

/**
 * Checks, installs as root where apt-get exists, and returns the exit code (0: ready).
 * @param {{ argv: readonly string[] }} options
 * @returns {number}
 */
export function main(options) {
  const check = options.argv.includes('--check');
  const path = process.env['PATH'] ?? '';
  const root = process.getuid?.() === 0;
  const env = { path, python: PYTHON, root, pgLib: '/usr/lib/postgresql', chromium: CHROMIUM };
  const aptGet = hasExecutable(
    'apt-get',
    path.split(delimiter).filter((dir) => dir.length > 0),
  );
  const missing = missingPackages(env);
  const next = plan({ missing, root: env.root, aptGet, check });
  if (next.action === 'none') return 0;
  if (next.action === 'stop') {
    process.stderr.write(`${next.message}\n`);
    return 1;
  }
  process.stderr.write(`installing the test prerequisites: ${next.packages.join(' ')}\n`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...next.packages]);
  const still = missingPackages(env);
  if (still.length > 0) {
    process.stderr.write(`still missing after apt-get install: ${still.join(' ')}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = main({ argv: process.argv.slice(2) });
}
