/**
 * `npm run bench`: the benchmarks of issue 6, printed as one table (or `--json`) with the machine,
 * Node version and date. Quick by default; `--full` for the large sizes; `--only NAME[,NAME]` to
 * run some suites (verify, create, concurrent, dag, ledger, tlog, replay, http, mcp, explorer).
 * @module
 */
import { cpus, totalmem } from 'node:os';
import { concurrentSuite } from './suites/concurrent.js';
import { createSuite, verifySuite } from './suites/crypto.js';
import { dagSuite } from './suites/dag.js';
import { explorerSuite } from './suites/explorer.js';
import { httpSuite } from './suites/http.js';
import { mcpSuite } from './suites/mcp.js';
import { ledgerSuite, replaySuite } from './suites/storage.js';
import { tlogSuite } from './suites/tlog.js';
import type { Row } from './measure.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const asJson = args.includes('--json');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined;

type Suite = { name: string; run: () => Promise<Row[]> };
const crypto = full ? { ops: 2000, rounds: 9 } : { ops: 1000, rounds: 7 };
const suites: Suite[] = [
  { name: 'verify', run: () => verifySuite(crypto) },
  { name: 'create', run: () => createSuite(crypto) },
  {
    name: 'concurrent',
    run: () => concurrentSuite(full ? { ops: 20_000, rounds: 5 } : { ops: 10_000, rounds: 3 }),
  },
  { name: 'dag', run: () => dagSuite({ sizes: full ? [1e3, 1e4, 1e5, 1e6] : [1e3, 1e4, 1e5] }) },
  { name: 'ledger', run: () => ledgerSuite({ appends: full ? 4000 : 1000 }) },
  {
    name: 'tlog',
    run: () =>
      tlogSuite(
        full
          ? { batchTokens: 20_000, rounds: 5, proofSize: 1_000_000 }
          : { batchTokens: 5000, rounds: 3, proofSize: 1_000_000 },
      ),
  },
  { name: 'replay', run: () => replaySuite({ checks: full ? 50_000 : 10_000 }) },
  {
    name: 'http',
    run: () => httpSuite(full ? { requests: 100_000, rounds: 3 } : { requests: 30_000, rounds: 3 }),
  },
  {
    name: 'mcp',
    run: () => mcpSuite(full ? { calls: 4000, rounds: 5 } : { calls: 1000, rounds: 3 }),
  },
  {
    name: 'explorer',
    run: () =>
      explorerSuite({
        entries: 1_000_000,
        tasks: full ? [500, 1000] : [1000],
        rounds: full ? 5 : 3,
      }),
  },
];

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  mode: full ? 'full' : 'quick',
};

const rows: Row[] = [];
for (const suite of suites) {
  if (only && !only.has(suite.name)) continue;
  if (!asJson) process.stderr.write(`running ${suite.name}…\n`);
  rows.push(...(await suite.run()));
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

if (asJson) {
  process.stdout.write(`${JSON.stringify({ machine, rows }, null, 2)}\n`);
} else {
  const lines = [
    `ect benchmarks — ${machine.date} — ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB — Node ${machine.node} — ${machine.mode} mode`,
    '',
    '| suite | case | value | ratio | baseline (same run) | target |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.suite} | ${r.case} | ${fmt(r.value)} ${r.unit} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} | ${r.baseline ?? ''} | ${r.target === undefined ? '' : `${r.target} ${r.pass ? '✓' : '✗'}`} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
