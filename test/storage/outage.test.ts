/**
 * RPL-3, LED-7: stores that go away mid-run. While Redis is down, verification fails closed with
 * ECT_REPLAY_STORE_UNAVAILABLE; while PostgreSQL is down, a verifier with a ledger rejects with
 * ECT_LEDGER_UNAVAILABLE. Never is a token accepted that was not recorded, and service resumes by
 * itself once the server is back.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ECTError } from '../../src/errors.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { RedisReplayStore } from '../../src/replay/redis.js';
import { createVerifier, type VerifiedECT, type Verifier } from '../../src/verify/verify.js';
import { useTestServers, type TestServer } from '../helpers/servers.js';
import { AUD, issuerKeys, makeToken, type TestToken } from './fixtures/tokens.js';
import { SIGNING } from './ledger-contract.js';

const env = useTestServers({ postgres: true, redis: true });

/** A writable PostgreSQL ledger in a table of its own (LED-8: opened with its key and origin). */
async function openPgLedger(
  prefix: string,
  options: { connectionTimeoutMs?: number } = {},
): Promise<Ledger> {
  const table = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  const backend = await PostgresLedgerBackend.open({ url: env.pg.url, table, ...options });
  return Ledger.open({ backend, ...SIGNING });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `condition` holds; the deadline only keeps a broken test from hanging. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(10);
  }
}

interface Outcome {
  readonly token: TestToken;
  readonly phase: 'before' | 'down' | 'after';
  readonly result?: VerifiedECT;
  readonly code?: string;
}

/**
 * Verifies fresh tokens in a loop while the server is stopped and restarted: at least 5 accepted
 * before, 5 rejected while down, 5 accepted after the restart. Returns every outcome.
 */
async function verifyThroughOutage(verifier: Verifier, server: TestServer): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let phase: Outcome['phase'] = 'before';
  let running = true;
  const loop = (async (): Promise<void> => {
    while (running) {
      const token = makeToken(outcomes.length % 2 === 0 ? { wid: randomUUID() } : {});
      const at = phase;
      try {
        outcomes.push({ token, phase: at, result: await verifier.verify(token.token) });
      } catch (error) {
        if (!(error instanceof ECTError)) throw error;
        outcomes.push({ token, phase: at, code: error.code });
        await sleep(5);
      }
    }
  })();
  const count = (p: Outcome['phase'], accepted: boolean): number =>
    outcomes.filter((o) => o.phase === p && (o.result !== undefined) === accepted).length;
  try {
    await until(() => count('before', true) >= 5, 'accepted tokens before the outage');
    await server.stop();
    phase = 'down';
    await until(() => count('down', false) >= 5, 'rejected tokens during the outage');
    await server.restart();
    phase = 'after';
    await until(() => count('after', true) >= 5, 'accepted tokens after the restart');
  } finally {
    running = false;
    await loop;
  }
  return outcomes;
}

/** Every accepted token is in the ledger at its receipt's seq; the log verifies. */
async function assertAcceptedAreRecorded(
  ledger: Ledger,
  outcomes: readonly Outcome[],
  options: { rejectedMayBeRecorded: boolean },
): Promise<void> {
  const report = await ledger.verifyIntegrity();
  assert.equal(report.ok, true, JSON.stringify(report));
  const accepted = outcomes.filter((o) => o.result !== undefined);
  for (const o of accepted) {
    assert.ok(o.result!.receipt !== undefined, 'an accepted token has a receipt');
    assert.equal(
      (await ledger.entry(o.token.claims.jti, o.token.claims.wid))?.seq,
      o.result!.receipt.seq,
      'an accepted token is recorded',
    );
  }
  if (!options.rejectedMayBeRecorded)
    assert.equal(report.checked, accepted.length, 'nothing but the accepted tokens was recorded');
}

describe('Redis outage', () => {
  it(
    'RPL-3: while Redis is down verification fails closed with ECT_REPLAY_STORE_UNAVAILABLE, nothing is recorded, and it resumes after the restart',
    { timeout: 90_000 },
    async () => {
      const replay = await RedisReplayStore.open({
        url: env.redis.url,
        keyPrefix: `outage:${randomUUID()}:`,
      });
      const ledger = await openPgLedger('redis_outage');
      try {
        const verifier = createVerifier({
          audience: AUD,
          keys: { keys: [issuerKeys.publicJwk] },
          replay,
          record: { ledger },
        });
        const outcomes = await verifyThroughOutage(verifier, env.redis);
        assert.ok(outcomes.filter((o) => o.phase === 'down' && o.code !== undefined).length >= 5);
        for (const o of outcomes)
          if (o.code !== undefined) assert.equal(o.code, 'ECT_REPLAY_STORE_UNAVAILABLE');
        // A replay check that failed never reached the ledger (VER-12 runs before VER-13).
        await assertAcceptedAreRecorded(ledger, outcomes, { rejectedMayBeRecorded: false });
        const last = outcomes.filter((o) => o.result !== undefined).at(-1)!;
        await assert.rejects(
          verifier.verify(last.token.token),
          (e: unknown) => e instanceof ECTError && e.code === 'ECT_REPLAY',
          'replay protection works again after the restart',
        );
      } finally {
        await replay.close();
        await ledger.close();
      }
    },
  );
});

describe('PostgreSQL outage', () => {
  it(
    'LED-7: while PostgreSQL is down a verifier with a ledger rejects with ECT_LEDGER_UNAVAILABLE, never accepts an unrecorded token, and resumes after the restart',
    { timeout: 90_000 },
    async () => {
      const ledger = await openPgLedger('pg_outage', { connectionTimeoutMs: 1000 });
      try {
        const verifier = createVerifier({
          audience: AUD,
          keys: { keys: [issuerKeys.publicJwk] },
          record: { ledger },
        });
        const outcomes = await verifyThroughOutage(verifier, env.pg);
        const rejected = outcomes.filter((o) => o.code !== undefined);
        assert.ok(rejected.filter((o) => o.phase === 'down').length >= 5);
        for (const o of rejected) assert.equal(o.code, 'ECT_LEDGER_UNAVAILABLE');
        for (const o of outcomes) if (o.result !== undefined) assert.equal(o.result.level, 3);
        // A commit cut off by the shutdown may be on disk although its token was rejected: allowed.
        await assertAcceptedAreRecorded(ledger, outcomes, { rejectedMayBeRecorded: true });
      } finally {
        await ledger.close();
      }
    },
  );

  it(
    'LED-7: with the degrade policy a token is accepted as L2 while PostgreSQL is down, and says so',
    { timeout: 60_000 },
    async () => {
      const ledger = await openPgLedger('degrade', { connectionTimeoutMs: 1000 });
      try {
        const verifier = createVerifier({
          audience: AUD,
          keys: { keys: [issuerKeys.publicJwk] },
          record: { ledger, failure: 'degrade' },
        });
        assert.equal((await verifier.verify(makeToken().token)).level, 3);
        await env.pg.stop();
        const degraded = await verifier.verify(makeToken().token);
        assert.equal(degraded.level, 2);
        assert.equal(degraded.receipt, undefined);
        assert.match(degraded.ledgerDegraded ?? '', /PostgreSQL ledger could not/);
        await env.pg.restart();
        const deadline = Date.now() + 30_000;
        let resumed = await verifier.verify(makeToken().token);
        while (resumed.level !== 3 && Date.now() < deadline) {
          await sleep(20);
          resumed = await verifier.verify(makeToken().token);
        }
        assert.equal(resumed.level, 3, 'recording resumes after the restart');
        assert.ok(resumed.receipt !== undefined);
      } finally {
        await ledger.close();
      }
    },
  );
});
