/**
 * Several processes, one shared view: verifier instances in separate processes share a Redis replay
 * cache and a PostgreSQL (or SQLite) ledger, receive the same tokens at the same moment, and exactly
 * one of them accepts each token (RPL-1, RPL-2, LED-3); the log stays one linear sequence (LED-2).
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Ledger } from '../../src/ledger/ledger.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import type { LedgerBackend } from '../../src/ledger/types.js';
import { useTestServers } from '../helpers/servers.js';
import { resultOf, startChild, type Child } from './fixtures/children.js';
import { AUD, issuerKeys, makeToken } from './fixtures/tokens.js';
import { assertVerifies, SIGNING } from './ledger-contract.js';

const PROCESSES = 3;
const TOKENS = 50;
const children: Child[] = [];

after(async () => {
  await Promise.all(children.map((c) => c.kill()));
});

const env = useTestServers({ postgres: true, redis: true, tempDir: 'ect-conc-' });
const dir = env.dir;

type LedgerConfig =
  { kind: 'postgres'; url: string; table: string } | { kind: 'sqlite'; path: string };

function pgLedger(): LedgerConfig {
  return { kind: 'postgres', url: env.pg.url, table: `conc_${randomUUID().replaceAll('-', '')}` };
}

function sqliteLedger(): LedgerConfig {
  return { kind: 'sqlite', path: join(dir, `${randomUUID()}.db`) };
}

async function openBackend(config: LedgerConfig): Promise<LedgerBackend> {
  return config.kind === 'postgres'
    ? PostgresLedgerBackend.open({ url: config.url, table: config.table })
    : SqliteLedgerBackend.open({ path: config.path });
}

/** Opens the shared ledger with the key and origin its child processes use (LED-8). */
async function openShared(config: LedgerConfig): Promise<Ledger> {
  return Ledger.open({ backend: await openBackend(config), ...SIGNING });
}

/** Starts the processes, waits until all are ready, releases them together. */
async function startTogether(script: string, configs: readonly unknown[]): Promise<Child[]> {
  const started = configs.map((config) => startChild(script, config));
  children.push(...started);
  await Promise.all(started.map((c) => c.waitFor((line) => line === 'ready')));
  for (const c of started) c.send('go');
  return started;
}

/** Every process verifies the same tokens at once; returns, per process, a seq or a code per token. */
async function verifyEverywhere(
  ledger: LedgerConfig,
  withRedis: boolean,
): Promise<{ tokens: string[]; results: (number | string)[][] }> {
  const tokens = Array.from(
    { length: TOKENS },
    (_, i) => makeToken(i % 2 === 0 ? { wid: randomUUID() } : {}).token,
  );
  const tokensFile = join(dir, `${randomUUID()}.json`);
  writeFileSync(tokensFile, JSON.stringify(tokens));
  const redis = { url: env.redis.url, keyPrefix: `conc:${randomUUID()}:` };
  const config = {
    audience: AUD,
    keys: { keys: [issuerKeys.publicJwk] },
    tokensFile,
    ledger,
    ...SIGNING,
    ...(withRedis ? { redis } : {}),
  };
  const started = await startTogether(
    'verifier-child.ts',
    Array.from({ length: PROCESSES }, () => config),
  );
  const results = await Promise.all(started.map((c) => resultOf<(number | string)[]>(c)));
  return { tokens, results };
}

/** Exactly one process accepted each token, the others failed with `loserCode`; the ledger agrees. */
async function assertOneWinner(
  ledgerConfig: LedgerConfig,
  run: { tokens: string[]; results: (number | string)[][] },
  loserCode: string,
): Promise<void> {
  const seqs: number[] = [];
  run.tokens.forEach((_, i) => {
    const outcomes = run.results.map((r) => r[i]);
    const wins = outcomes.filter((o): o is number => typeof o === 'number');
    assert.equal(wins.length, 1, `token ${i}: ${JSON.stringify(outcomes)}`);
    assert.deepEqual(
      outcomes.filter((o) => typeof o !== 'number'),
      new Array(PROCESSES - 1).fill(loserCode),
      `token ${i}`,
    );
    seqs.push(wins[0]!);
  });
  assert.deepEqual(
    [...seqs].sort((a, b) => a - b),
    Array.from({ length: TOKENS }, (_, i) => i + 1),
    'one entry per token, seq 1..n without gaps',
  );
  const ledger = await openShared(ledgerConfig);
  try {
    await assertVerifies(ledger, TOKENS);
    const recorded = new Map<number, string>();
    for await (const entry of ledger.entries()) recorded.set(entry.seq, entry.token);
    run.tokens.forEach((token, i) =>
      assert.equal(recorded.get(seqs[i]!), token, `the receipt of token ${i} points at its entry`),
    );
  } finally {
    await ledger.close();
  }
}

/** Several processes append distinct tokens at once; the log is linear and holds every receipt. */
async function appendEverywhere(ledgerConfig: LedgerConfig): Promise<void> {
  const perProcess = 30;
  const config = { ledger: ledgerConfig, ...SIGNING, count: perProcess, waitForGo: true };
  const started = await startTogether(
    'append-child.ts',
    Array.from({ length: PROCESSES }, () => config),
  );
  await Promise.all(started.map((c) => c.waitFor((line) => line === 'done')));
  const receipts = started.flatMap((c) =>
    c.lines.filter((l) => /^\d+ /.test(l)).map((l) => l.split(' ') as [string, string]),
  );
  assert.equal(receipts.length, PROCESSES * perProcess);
  assert.deepEqual(
    receipts.map(([seq]) => Number(seq)).sort((a, b) => a - b),
    Array.from({ length: PROCESSES * perProcess }, (_, i) => i + 1),
  );
  const ledger = await openShared(ledgerConfig);
  try {
    await assertVerifies(ledger, PROCESSES * perProcess);
    for (const [seq, jti] of receipts)
      assert.equal((await ledger.entry(jti, undefined))?.seq, Number(seq));
  } finally {
    await ledger.close();
  }
}

describe('several verifier processes', () => {
  it(`RPL-1, RPL-2, LED-3: ${PROCESSES} verifier processes sharing Redis and PostgreSQL get the same ${TOKENS} tokens at once: exactly one accepts each`, async () => {
    const ledger = pgLedger();
    await assertOneWinner(ledger, await verifyEverywhere(ledger, true), 'ECT_REPLAY');
  });

  it(`LED-3: ${PROCESSES} verifier processes without a replay cache, one PostgreSQL ledger: exactly one records each token, the others get ECT_DAG_DUPLICATE`, async () => {
    const ledger = pgLedger();
    await assertOneWinner(ledger, await verifyEverywhere(ledger, false), 'ECT_DAG_DUPLICATE');
  });

  it(`LED-3: ${PROCESSES} verifier processes without a replay cache, one SQLite file: exactly one records each token, the others get ECT_DAG_DUPLICATE`, async () => {
    const ledger = sqliteLedger();
    await assertOneWinner(ledger, await verifyEverywhere(ledger, false), 'ECT_DAG_DUPLICATE');
  });
});

describe('several appending processes', () => {
  it(
    `LED-2: concurrent appends of distinct tokens from ${PROCESSES} processes to one PostgreSQL ` +
      'ledger keep one linear, verifiable log',
    async () => {
      await appendEverywhere(pgLedger());
    },
  );

  it(
    `LED-2: concurrent appends of distinct tokens from ${PROCESSES} processes to one SQLite file ` +
      'keep one linear, verifiable log',
    async () => {
      await appendEverywhere(sqliteLedger());
    },
  );
});
