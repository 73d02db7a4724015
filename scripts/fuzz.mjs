#!/usr/bin/env node
// The long fuzz run: the properties of test/hardening/fuzz.test.ts (and the resource-limit test)
// with many more cases than CI. FC_NUM_RUNS sets the runs of every property (default here 20000);
// FC_SEED replays a failure that fast-check reported. Extra arguments go to the test runner
// (for example: node scripts/fuzz.mjs --test-name-pattern=DAG-4).
import { spawnSync } from 'node:child_process';

const runs = process.env.FC_NUM_RUNS ?? '20000';
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error(`FC_NUM_RUNS must be a positive integer, got ${JSON.stringify(runs)}`);
  process.exit(2);
}
const args = process.argv.slice(2);
const files = ['test/hardening/fuzz.test.ts'];
console.error(
  `fuzz: ${runs} runs per property${process.env.FC_SEED ? `, seed ${process.env.FC_SEED}` : ''}`,
);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=0', ...args, ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, FC_NUM_RUNS: runs },
  },
);
process.exit(result.status ?? 1);
