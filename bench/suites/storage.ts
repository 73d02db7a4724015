/**
 * Issue 6 items 5 and 6: ledger appends (memory, SQLite with durable commits, PostgreSQL with
 * fsync on) with one writer and with 8 concurrent writers, and replay checks (memory, Redis),
 * one at a time and pipelined. Servers are throwaway ones on loopback, as in the tests.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createECT,
  generateKeyPair,
  Ledger,
  MemoryReplayStore,
  type ReplayStore,
} from '../../src/index.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { openRedisReplayStore, type RedisReplayStore } from '../../src/replay/redis.js';
import { startPostgres, startRedis } from '../../test/helpers/servers.js';
import { time, type Row } from '../measure.js';

const WRITERS = 8;
/** The ledger's Ed25519 key and checkpoint origin (LED-8): every append signs a checkpoint. */
const SIGNING = {
  key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
  origin: 'example.org/ect-bench',
};

interface Recordable {
  readonly token: string;
}

function tokens(count: number): Recordable[] {
  const key = generateKeyPair();
  const wid = '0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10';
  return Array.from({ length: count }, () => {
    const claims = {
      iss: 'spiffe://example.org/agent',
      aud: 'spiffe://example.org/ledger',
      exec_act: 'step',
      wid,
    };
    const token = createECT(claims, { key: key.privateJwk });
    return { token };
  });
}

/** Appends per second: one writer in sequence, then `WRITERS` concurrent writers. */
async function appendRates(
  ledger: Ledger,
  items: readonly Recordable[],
): Promise<{ single: number; concurrent: number }> {
  const half = items.length >> 1;
  const single = await time(async () => {
    for (let i = 0; i < half; i++) await ledger.append({ token: items[i]!.token, level: 3 });
  });
  let next = half;
  const concurrent = await time(async () => {
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < items.length) {
          const item = items[next++]!;
          await ledger.append({ token: item.token, level: 3 });
        }
      }),
    );
  });
  const report = await ledger.verifyIntegrity();
  if (!report.ok || report.checked !== items.length) {
    throw new Error(`ledger broken after the benchmark: ${JSON.stringify(report)}`);
  }
  return { single: half / single, concurrent: (items.length - half) / concurrent };
}

export async function ledgerSuite(options: { appends: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ect-bench-'));
  const pg = await startPostgres({ durable: true });
  try {
    const backends: [string, () => Promise<Ledger>][] = [
      ['memory', async () => Ledger.open(SIGNING)],
      [
        'SQLite (WAL, synchronous=FULL)',
        async () => openSqliteLedger(join(dir, 'bench.db'), SIGNING),
      ],
      ['PostgreSQL (fsync on)', async () => openPostgresLedger(pg.url, SIGNING)],
    ];
    let memory: number | undefined;
    for (const [name, open] of backends) {
      const ledger = await open();
      try {
        const rates = await appendRates(ledger, tokens(options.appends));
        memory ??= rates.single;
        rows.push({
          suite: 'ledger',
          case: `${name}, 1 writer`,
          value: rates.single,
          unit: 'appends/s',
          ratio: rates.single / memory,
          baseline: 'memory, 1 writer',
        });
        rows.push({
          suite: 'ledger',
          case: `${name}, ${WRITERS} concurrent writers`,
          value: rates.concurrent,
          unit: 'appends/s',
          ratio: rates.concurrent / rates.single,
          baseline: `${name}, 1 writer`,
        });
      } finally {
        await ledger.close();
      }
    }
  } finally {
    await pg.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function replaySuite(options: { checks: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const redis = await startRedis();
  try {
    const now = Math.floor(Date.now() / 1000);
    const keys = (prefix: string): string[] =>
      Array.from({ length: options.checks }, (_, i) => `${prefix}:${i}`);
    const sequential = async (store: ReplayStore, prefix: string): Promise<number> => {
      const list = keys(prefix);
      const seconds = await time(async () => {
        for (const key of list)
          if (!(await store.checkAndRecord(key, now + 600, now)))
            throw new Error('unexpected replay');
      });
      return list.length / seconds;
    };
    const memory = new MemoryReplayStore({ maxEntries: options.checks * 4 });
    const memoryRate = await sequential(memory, 'm');
    rows.push({
      suite: 'replay',
      case: 'memory, one at a time',
      value: memoryRate,
      unit: 'checks/s',
    });
    const store: RedisReplayStore = await openRedisReplayStore(redis.url);
    try {
      const redisRate = await sequential(store, 'r');
      rows.push({
        suite: 'replay',
        case: 'Redis, one at a time (SET NX PXAT)',
        value: redisRate,
        unit: 'checks/s',
        ratio: redisRate / memoryRate,
        baseline: 'memory',
      });
      const list = keys('p');
      const seconds = await time(async () => {
        for (let i = 0; i < list.length; i += 100) {
          const results = await store.checkAndRecordMany(
            list.slice(i, i + 100).map((key) => ({ key, expiresAt: now + 600 })),
            now,
          );
          if (results.includes(false)) throw new Error('unexpected replay');
        }
      });
      const pipelined = list.length / seconds;
      rows.push({
        suite: 'replay',
        case: 'Redis, pipelined batches of 100',
        value: pipelined,
        unit: 'checks/s',
        ratio: pipelined / redisRate,
        baseline: 'Redis, one at a time',
      });
    } finally {
      await store.close();
    }
  } finally {
    await redis.dispose();
  }
  return rows;
}
