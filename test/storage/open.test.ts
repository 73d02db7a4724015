/**
 * LED-6, RPL-3: stores by URL (`ect/stores`): every accepted form, clear errors for the others,
 * passwords never shown, and drivers loaded only when their URL is used.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ECTConfigError } from '../../src/errors.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { MemoryReplayStore } from '../../src/replay/memory.js';
import { RedisReplayStore } from '../../src/replay/redis.js';
import { openLedger, openReplayStore, parseLedgerUrl } from '../../src/stores/open.js';
import { useTestServers } from '../helpers/servers.js';
import { ledgerKeys, makeToken, ORIGIN } from './fixtures/tokens.js';

const env = useTestServers({ postgres: true, redis: true, tempDir: 'ect-open-' });
const dir = env.dir;
/** The key and origin a writable stored ledger is opened with (LED-8). */
const signing = { key: ledgerKeys.privateJwk, origin: ORIGIN };

function configError(run: () => unknown, pattern: RegExp): ECTConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ECTConfigError, `expected ECTConfigError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

async function configErrorAsync(
  run: () => Promise<unknown>,
  pattern: RegExp,
): Promise<ECTConfigError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ECTConfigError, `expected ECTConfigError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('openLedger', () => {
  it('LED-6: memory: opens an in-memory ledger', async () => {
    const ledger = await openLedger('memory:');
    assert.ok(ledger.backend instanceof MemoryLedgerBackend);
    await ledger.close();
  });

  it('LED-6: sqlite:PATH opens a SQLite file, relative to the working folder or absolute', async () => {
    const absolute = join(dir, `${randomUUID()}.db`);
    for (const url of [
      `sqlite:${relative(process.cwd(), absolute)}`,
      `sqlite://${absolute}`,
      `sqlite:${absolute}`,
    ]) {
      const ledger = await openLedger(url, signing);
      assert.ok(ledger.backend instanceof SqliteLedgerBackend);
      assert.equal(ledger.backend.path, absolute);
      const t = makeToken();
      await ledger.append({ token: t.token, level: 3 });
      await ledger.close();
    }
    assert.ok(existsSync(absolute));
    // Opened without its key: read-only, and every entry verifies (LED-2).
    const ledger = await openLedger(`sqlite:${absolute}`);
    assert.equal(ledger.writable, false);
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
    assert.equal(report.checked, 3);
    await ledger.close();
  });

  it('LED-6: postgres:// and postgresql:// open a PostgreSQL ledger', async () => {
    for (const url of [env.pg.url, env.pg.url.replace('postgres://', 'postgresql://')]) {
      const ledger = await openLedger(url);
      assert.ok(ledger.backend instanceof PostgresLedgerBackend);
      await ledger.close();
    }
  });

  it('LED-6: ?ect_table=NAME keeps separate ledgers in one PostgreSQL database; a bad name is an ECTConfigError', async () => {
    const a = await openLedger(`${env.pg.url}?ect_table=tenant_a`, signing);
    const b = await openLedger(`${env.pg.url}?ect_table=tenant_b`, signing);
    try {
      assert.equal((a.backend as PostgresLedgerBackend).table, 'tenant_a');
      const token = makeToken();
      await a.append({ token: token.token, level: 3 });
      assert.equal((await a.verifyIntegrity()).checked, 1);
      assert.equal((await b.verifyIntegrity()).checked, 0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    assert.equal(parseLedgerUrl(`${env.pg.url}?ect_table=tenant_a`).kind, 'postgres');
    assert.doesNotMatch(
      JSON.stringify(parseLedgerUrl(`${env.pg.url}?ect_table=tenant_a`)),
      /ect_table/,
    );
    await assert.rejects(openLedger(`${env.pg.url}?ect_table=Robert%27);DROP`), ECTConfigError);
  });

  it('LED-6: a bad ledger URL is an ECTConfigError naming it and listing the accepted forms', async () => {
    for (const url of [
      'mysql://db/x',
      '',
      './ledger.db',
      'sqlite:',
      'memory:extra',
      'postgres://',
    ]) {
      configError(
        () => parseLedgerUrl(url),
        /accepted forms: memory:, sqlite:PATH .*postgres:\/\//,
      );
      await configErrorAsync(() => openLedger(url), /ledger URL/);
    }
    configError(
      () => parseLedgerUrl('mysql://db/x'),
      /"mysql:\/\/db\/x" has an unknown scheme "mysql:"/,
    );
  });

  it('LED-6: a password in a ledger URL never appears in an error', async () => {
    const error = configError(
      () => parseLedgerUrl('mysql://admin:hunter2@db/x'),
      /admin:\*\*\*@db/,
    );
    assert.doesNotMatch(error.message, /hunter2/);
    const dead = `postgres://postgres:hunter2@127.0.0.1:${env.pg.port + 1}/postgres`;
    let caught: unknown;
    try {
      await openLedger(dead);
    } catch (e) {
      caught = e;
    }
    assert.equal((caught as { code?: unknown }).code, 'ECT_LEDGER_UNAVAILABLE');
    assert.doesNotMatch(String((caught as Error).message), /hunter2/);
  });

  it('LED-6: a file that is not a SQLite database is a clear ECTConfigError', async () => {
    const path = join(dir, 'not-a-db.txt');
    writeFileSync(
      path,
      'this is not a database, just some text that is long enough to be looked at'.repeat(20),
    );
    await configErrorAsync(
      () => openLedger(`sqlite:${path}`),
      /not-a-db\.txt cannot be opened as a SQLite ledger/,
    );
  });
});

describe('openReplayStore', () => {
  it('RPL-3: memory: and redis:// open their stores', async () => {
    const memory = await openReplayStore('memory:');
    assert.ok(memory instanceof MemoryReplayStore);
    const shared = await openReplayStore(env.redis.url);
    assert.ok(shared instanceof RedisReplayStore);
    const now = Date.now() / 1000;
    assert.equal(await shared.checkAndRecord(randomUUID(), now + 10, now), true);
    await shared.close?.();
  });

  it('RPL-3: a bad replay URL is an ECTConfigError listing the accepted forms, without the password', async () => {
    for (const url of ['memcached://x', '', 'redis://', 'memory:x']) {
      await configErrorAsync(
        () => openReplayStore(url),
        /replay URL: .*accepted forms: memory:, redis:\/\//,
      );
    }
    const error = await configErrorAsync(
      () => openReplayStore('rediss2://:hunter2@cache'),
      /unknown scheme/,
    );
    assert.doesNotMatch(error.message, /hunter2/);
  });
});

describe('driver loading', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'loaded-drivers.ts');
  function loadedDrivers(...urls: string[]): string[] {
    return JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', fixture, ...urls], { encoding: 'utf8' }),
    ) as string[];
  }

  it('LED-6: a driver is loaded only when its URL is used', () => {
    assert.deepEqual(loadedDrivers('memory:', 'replay:memory:'), []);
    assert.deepEqual(loadedDrivers('sqlite::memory:'), ['better-sqlite3']);
    assert.deepEqual(loadedDrivers(env.pg.url), ['pg']);
    assert.deepEqual(loadedDrivers(env.redis.url), ['redis']);
  });
});
