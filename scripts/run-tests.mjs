#!/usr/bin/env node
// Runs every test file under test/ (recursively) with Node's test runner and tsx for TypeScript.
// Node 20's --test takes no globs, so the files are listed here. Extra arguments are passed on
// (for example: node scripts/run-tests.mjs --test-name-pattern=DAG-4).
//
// Nothing may hang a CI run: each test has a time limit (--test-timeout, 5 minutes: the slowest
// suite takes about 30 s), and the whole run a deadline (ECT_TEST_DEADLINE_MINUTES, default 25),
// after which the runner and every test process it started are killed and the run fails, naming
// the deadline. Output is compact (scripts/test-reporter.mjs) unless a --test-reporter is given.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...find(path));
    else if (entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files.sort();
}

function deadlineMinutes() {
  const raw = process.env.ECT_TEST_DEADLINE_MINUTES ?? '25';
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    console.error(`ECT_TEST_DEADLINE_MINUTES must be a positive number of minutes, not "${raw}"`);
    process.exit(2);
  }
  return minutes;
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const files = explicit.length > 0 ? explicit : find('test');
const reporter = flags.some((f) => f.startsWith('--test-reporter'))
  ? []
  : ['--test-reporter=./scripts/test-reporter.mjs', '--test-reporter-destination=stdout'];
const minutes = deadlineMinutes();

// Its own process group, so that the deadline can kill the test files' processes too.
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...reporter,
    ...flags,
    ...files,
  ],
  { stdio: 'inherit', detached: true },
);
const deadline = setTimeout(() => {
  console.error(`\nnot ok: the test run exceeded its deadline of ${minutes} minutes; killed`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  process.exit(1);
}, minutes * 60_000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  });
}
child.on('exit', (code, signal) => {
  clearTimeout(deadline);
  process.exit(code ?? (signal === null ? 1 : 128));
});
