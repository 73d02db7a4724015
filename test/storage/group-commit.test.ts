/**
 * Group commit (`LedgerBackend.appendMany`, `LedgerOptions.groupCommit`) against the in-memory
 * reference, a SQLite file and a real PostgreSQL: concurrent appends share one transaction and
 * still keep every guarantee of section 9. One linear, gapless, verifiable chain (LED-2);
 * duplicates refused item by item while the rest of the batch commits (LED-3); receipts only for
 * committed, durable entries (LED-4, LED-5); a failing store fails the whole batch and stores
 * none of it (LED-7: ECT_LEDGER_UNAVAILABLE). Batches are observed through a spy backend, never
 * through timings.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ECTError } from '../../src/errors.js';
import { entryDigest, tokenDigest } from '../../src/ledger/chain.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import type { ChainTip, LedgerBackend, LedgerEntry, Receipt } from '../../src/ledger/types.js';
import { useTestServers } from '../helpers/servers.js';
import type { BackendFactory } from './ledger-contract.js';
import { ledgerKeys, makeToken, type TestToken } from './fixtures/tokens.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-group-' });
const dir = env.dir;



type Build = (tip: ChainTip) => LedgerEntry;

/** What a spy saw: the jtis of every `appendMany` batch, in order, and the count of single appends. */
interface Spy {
  readonly backend: LedgerBackend;
  readonly batches: string[][];
  /** Per batch, whether its result mixed refused items (ECTError) with stored entries. */
  readonly mixed: boolean[];
  singles: number;
}

/**
 * Wraps a backend to record its batches. `poison`: a jti whose build throws after the entry was
 * built (a store failure in the middle of a batch). `withoutAppendMany` hides the group-commit
 * method (a backend written before it existed).
 */
function spy(inner: LedgerBackend, options: { poison?: string; withoutAppendMany?: boolean } = {}): Spy {
  const wrap =
    (build: Build): Build =>
    (tip) => {
      const entry = build(tip);
      if (entry.jti === options.poison) throw new Error('injected store failure');
      return entry;
    };
  const s: Spy = {
    batches: [],
    mixed: [],
    singles: 0,
    backend: {
      append: async (build) => {
        s.singles++;
        return inner.append(wrap(build));
      },
      get: (jti, wid) => inner.get(jti, wid),
      findByJti: (jti) => inner.findByJti(jti),
      isReferenced: (jti) => inner.isReferenced(jti),
      listWorkflow: (wid) => inner.listWorkflow(wid),
      readFrom: (from, limit) => inner.readFrom(from, limit),
      tip: () => inner.tip(),
      close: () => inner.close(),
    },
  };
  if (inner.appendMany !== undefined && options.withoutAppendMany !== true) {
    const appendMany = inner.appendMany.bind(inner);
    (s.backend as { appendMany?: LedgerBackend['appendMany'] }).appendMany = async (builds) => {
      // The jtis of the batch, read by building each item on a throwaway tip (builds are pure).
      s.batches.push(builds.map((b) => b({ seq: 0, entryHash: new Uint8Array(32) }).jti));
      const results = await appendMany(builds.map(wrap));
      s.mixed.push(results.some((r) => r instanceof ECTError) && results.some((r) => !(r instanceof ECTError)));
      return results;
    };
  }
  return s;
}

interface Opened {
  readonly backend: LedgerBackend;
  readonly reopen?: () => Promise<LedgerBackend>;
}

const factories: BackendFactory[] = [
  { name: 'memory', durable: false, create: async (): Promise<Opened> => ({ backend: new MemoryLedgerBackend() }) },
  {
    name: 'SQLite',
    durable: true,
    async create(): Promise<Opened> {
      const path = join(dir, `${randomUUID()}.db`);
      return { backend: new SqliteLedgerBackend({ path }), reopen: async () => new SqliteLedgerBackend({ path }) };
    },
  },
  {
    name: 'PostgreSQL',
    durable: true,
    async create(): Promise<Opened> {
      const url = env.pg.url;
      // One table per test: a fresh, empty ledger without a new database.
      const table = `group_${randomUUID().replaceAll('-', '')}`;
      return { backend: await PostgresLedgerBackend.open({ url, table }), reopen: async () => PostgresLedgerBackend.open({ url, table }) };
    },
  },
];

function open(backend: LedgerBackend, groupCommit?: boolean): Ledger {
  return new Ledger({ backend, signingKey: { key: ledgerKeys.privateJwk }, ...(groupCommit === undefined ? {} : { groupCommit }) });
}

function seqs(receipts: readonly Receipt[]): number[] {
  return receipts.map((r) => r.seq).sort((a, b) => a - b);
}

function range(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof ECTError ? result.reason.code : `not an ECTError: ${String(result.reason)}`;
}

for (const factory of factories) {
  describe(`group commit: ${factory.name}`, () => {
    it('LED-2, LED-4, LED-5: 200 concurrent appends share transactions, get distinct gapless seqs and signed receipts, and the chain verifies', async () => {
      const { backend, reopen } = (await factory.create()) as Opened;
      const s = spy(backend);
      const ledger = open(s.backend);
      const tokens = Array.from({ length: 200 }, (_, i) => makeToken(i % 2 === 0 ? { wid: randomUUID() } : {}));
      try {
        const receipts = await Promise.all(tokens.map((t) => ledger.append(t.token, t.claims, 3)));
        assert.deepEqual(seqs(receipts), range(200));
        receipts.forEach((r, i) => {
          assert.equal(r.jti, tokens[i]!.claims.jti);
          const checked = verifyReceipt(r.jws!, { key: ledgerKeys.publicJwk, expectedTokenHash: r.tokenHash });
          assert.equal(checked.seq, r.seq);
        });
        // A batch of one goes through the plain append; the others were grouped.
        assert.equal(s.batches.flat().length + s.singles, 200);
        assert.ok(s.batches.length + s.singles < 200 && Math.max(...s.batches.map((b) => b.length)) > 1, `appends were grouped: ${s.batches.map((b) => b.length).join(', ')}`);
        assert.ok(s.batches.every((b) => b.length <= 256), 'no batch over the limit');
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 200 });
        // Each receipt names its own entry: seq, token hash and chain hash as stored.
        const bySeq = new Map((await ledger.backend.readFrom(1, 300)).map((e) => [e.seq, e]));
        for (const r of receipts) {
          assert.equal(bySeq.get(r.seq)?.jti, r.jti);
          assert.equal(bySeq.get(r.seq)?.entryHash, r.entryHash);
        }
      } finally {
        await ledger.close();
      }
      if (reopen !== undefined) {
        // LED-4: what was receipted is there after closing and opening the store again.
        const again = open(await reopen());
        try {
          assert.deepEqual(await again.verifyIntegrity(), { ok: true, checked: 200 });
        } finally {
          await again.close();
        }
      }
    });

    it('LED-3: duplicates in a batch (the same token twice, a token already stored) are refused one by one while the others commit', async () => {
      const { backend } = (await factory.create()) as Opened;
      const s = spy(backend);
      const ledger = open(s.backend);
      try {
        const wid = randomUUID();
        const stored = makeToken({ wid });
        await ledger.append(stored.token, stored.claims, 3);
        const twice = makeToken({ wid });
        const sameTaskOtherToken = makeToken({ jti: twice.claims.jti, wid, exec_act: 'other' });
        const bare = makeToken();
        const fresh = Array.from({ length: 6 }, () => makeToken({ wid }));
        const calls: { token: TestToken; expect: 'ok' | 'ECT_DAG_DUPLICATE' }[] = [
          { token: fresh[0]!, expect: 'ok' },
          { token: fresh[1]!, expect: 'ok' },
          { token: twice, expect: 'ok' },
          { token: stored, expect: 'ECT_DAG_DUPLICATE' },
          { token: fresh[2]!, expect: 'ok' },
          { token: twice, expect: 'ECT_DAG_DUPLICATE' },
          { token: bare, expect: 'ok' },
          { token: sameTaskOtherToken, expect: 'ECT_DAG_DUPLICATE' },
          { token: bare, expect: 'ECT_DAG_DUPLICATE' },
          { token: fresh[3]!, expect: 'ok' },
          { token: fresh[4]!, expect: 'ok' },
          { token: fresh[5]!, expect: 'ok' },
        ];
        const results = await Promise.allSettled(calls.map((c) => ledger.append(c.token.token, c.token.claims, 3)));
        assert.deepEqual(results.map(codeOf), calls.map((c) => c.expect));
        const receipts = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        // LED-2: refused items took no seq; the stored ones follow the first append without a gap.
        assert.deepEqual(seqs(receipts), range(8, 2));
        assert.ok(s.mixed.some((m) => m), 'a batch stored some items and refused others');
        assert.equal((await ledger.entry(twice.claims.jti, wid))?.token, twice.token, 'the first of the two copies is the one stored');
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 9 });
        const next = makeToken();
        assert.equal((await ledger.append(next.token, next.claims, 3)).seq, 10);
      } finally {
        await ledger.close();
      }
    });

    it('LED-3: concurrent appends of one task in one batch: exactly one succeeds', async () => {
      const { backend } = (await factory.create()) as Opened;
      const ledger = open(backend);
      try {
        const wid = randomUUID();
        const jti = randomUUID();
        const tokens = Array.from({ length: 16 }, (_, i) => makeToken({ wid, jti, exec_act: `attempt_${i}` }));
        const results = await Promise.allSettled(tokens.map((t) => ledger.append(t.token, t.claims, 2)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.equal(results.filter((r) => codeOf(r) === 'ECT_DAG_DUPLICATE').length, 15);
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 1 });
      } finally {
        await ledger.close();
      }
    });

    it('LED-7: a store failure in the middle of a batch rejects every append of that batch with ECT_LEDGER_UNAVAILABLE and stores none of them', async () => {
      const { backend } = (await factory.create()) as Opened;
      const poison = makeToken();
      const s = spy(backend, { poison: poison.claims.jti });
      const ledger = open(s.backend);
      try {
        const before = makeToken();
        await ledger.append(before.token, before.claims, 3);
        const tokens = [...Array.from({ length: 5 }, () => makeToken({ wid: randomUUID() })), poison, ...Array.from({ length: 5 }, () => makeToken())];
        const results = await Promise.allSettled(tokens.map((t) => ledger.append(t.token, t.claims, 3)));
        const failedBatch = s.batches.find((b) => b.includes(poison.claims.jti));
        assert.ok(failedBatch !== undefined && failedBatch.indexOf(poison.claims.jti) > 0, 'the failure came after other items of its batch');
        tokens.forEach((t, i) => {
          const inFailed = failedBatch.includes(t.claims.jti);
          assert.equal(codeOf(results[i]!), inFailed ? 'ECT_LEDGER_UNAVAILABLE' : 'ok', `token ${i}`);
        });
        for (const t of tokens) if (failedBatch.includes(t.claims.jti)) assert.equal(await ledger.entry(t.claims.jti, t.claims.wid), undefined, 'nothing of the failed batch was stored');
        const stored = 1 + results.filter((r) => r.status === 'fulfilled').length;
        assert.equal((await ledger.backend.tip()).seq, stored);
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: stored });
        // The ledger goes on: the same tokens (minus the poisoned one) are accepted afterwards.
        const retried = await Promise.all(tokens.filter((t) => t !== poison && failedBatch.includes(t.claims.jti)).map((t) => ledger.append(t.token, t.claims, 3)));
        assert.deepEqual(seqs(retried), range(retried.length, stored + 1));
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: stored + retried.length });
      } finally {
        await ledger.close();
      }
    });

    it('LED-2, LED-3: groupCommit false appends one by one, with the same results', async () => {
      const { backend } = (await factory.create()) as Opened;
      const s = spy(backend);
      const ledger = open(s.backend, false);
      try {
        const tokens = Array.from({ length: 20 }, () => makeToken({ wid: randomUUID() }));
        const results = await Promise.allSettled([...tokens, tokens[3]!].map((t) => ledger.append(t.token, t.claims, 3)));
        assert.deepEqual(results.map(codeOf), [...tokens.map(() => 'ok'), 'ECT_DAG_DUPLICATE']);
        assert.equal(s.batches.length, 0, 'appendMany is not used');
        assert.equal(s.singles, 21);
        assert.deepEqual(seqs(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))), range(20));
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 20 });
      } finally {
        await ledger.close();
      }
    });
  });
}

/** A build like the Ledger's: the token's entry on `tip` (LED-2 chain hash). */
function buildOf(t: TestToken): Build {
  const tokenHash = tokenDigest(t.token);
  return (tip) => {
    const seq = tip.seq + 1;
    return {
      seq,
      jti: t.claims.jti,
      wid: t.claims.wid,
      token: t.token,
      claims: t.claims,
      level: 3,
      recordedAt: 1_700_000_000_000,
      tokenHash: Buffer.from(tokenHash).toString('base64url'),
      prevHash: Buffer.from(tip.entryHash).toString('base64url'),
      entryHash: Buffer.from(entryDigest(tip.entryHash, tokenHash, seq)).toString('base64url'),
    };
  };
}

for (const factory of factories) {
  describe(`appendMany contract: ${factory.name}`, () => {
    it('LED-2, LED-3: one result per build, in order; duplicates are item results and take no seq; an empty batch stores nothing', async () => {
      const { backend } = (await factory.create()) as Opened;
      try {
        assert.ok(backend.appendMany !== undefined);
        assert.deepEqual(await backend.appendMany([]), []);
        const stored = makeToken({ wid: randomUUID() });
        await backend.append(buildOf(stored));
        const [a, b, c] = [makeToken(), makeToken({ wid: randomUUID() }), makeToken()];
        const results = await backend.appendMany([a, stored, b, a, c].map(buildOf));
        assert.equal(results.length, 5);
        assert.deepEqual(
          results.map((r) => (r instanceof ECTError ? r.code : r.seq)),
          [2, 'ECT_DAG_DUPLICATE', 3, 'ECT_DAG_DUPLICATE', 4],
        );
        assert.deepEqual(
          results.map((r) => (r instanceof ECTError ? undefined : r.jti)),
          [a.claims.jti, undefined, b.claims.jti, undefined, c.claims.jti],
        );
        assert.equal((await backend.tip()).seq, 4);
        assert.deepEqual(await new Ledger({ backend }).verifyIntegrity(), { ok: true, checked: 4 });
      } finally {
        await backend.close();
      }
    });
  });
}

describe('group commit: backends without appendMany', () => {
  it('LED-2, LED-3: a backend without appendMany is used one append at a time, as before', async () => {
    const s = spy(new MemoryLedgerBackend(), { withoutAppendMany: true });
    const ledger = open(s.backend);
    const tokens = Array.from({ length: 10 }, () => makeToken());
    const results = await Promise.allSettled([...tokens, tokens[0]!].map((t) => ledger.append(t.token, t.claims, 3)));
    assert.deepEqual(results.map(codeOf), [...tokens.map(() => 'ok'), 'ECT_DAG_DUPLICATE']);
    assert.equal(s.singles, 11);
    assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 10 });
  });
});

describe('group commit: PostgreSQL outage', () => {
  it('LED-4, LED-7: with the server stopped, every append of the batch is ECT_LEDGER_UNAVAILABLE and none is stored; after the restart appends work again', async () => {
    const table = `group_${randomUUID().replaceAll('-', '')}`;
    const backend = await PostgresLedgerBackend.open({ url: env.pg.url, table, connectionTimeoutMs: 2000, statementTimeoutMs: 2000 });
    const ledger = open(backend);
    try {
      const first = await Promise.all(Array.from({ length: 5 }, () => makeToken()).map((t) => ledger.append(t.token, t.claims, 3)));
      assert.deepEqual(seqs(first), range(5));
      await env.pg.stop();
      const down = Array.from({ length: 20 }, () => makeToken({ wid: randomUUID() }));
      let results: PromiseSettledResult<Receipt>[];
      try {
        results = await Promise.allSettled(down.map((t) => ledger.append(t.token, t.claims, 3)));
      } finally {
        await env.pg.restart();
      }
      assert.deepEqual(results.map(codeOf), down.map(() => 'ECT_LEDGER_UNAVAILABLE'));
      // None of them reached the store: the tip is where it was and the chain verifies.
      assert.equal((await ledger.backend.tip()).seq, 5);
      for (const t of down) assert.equal(await ledger.entry(t.claims.jti, t.claims.wid), undefined);
      const again = await Promise.all(down.map((t) => ledger.append(t.token, t.claims, 3)));
      assert.deepEqual(seqs(again), range(20, 6));
      assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 25 });
    } finally {
      await ledger.close();
    }
  });

  it('LED-3: a token whose claims PostgreSQL refuses (\\u0000 in jsonb) fails alone; the rest of its batch commits', async () => {
    const table = `group_${randomUUID().replaceAll('-', '')}`;
    const ledger = open(await PostgresLedgerBackend.open({ url: env.pg.url, table }));
    try {
      const opener = makeToken();
      const bad = makeToken({ ect_ext: { note: 'nul \u0000 byte' } });
      const good = Array.from({ length: 4 }, () => makeToken());
      const results = await Promise.allSettled([opener, good[0]!, bad, ...good.slice(1)].map((t) => ledger.append(t.token, t.claims, 3)));
      assert.deepEqual(results.map(codeOf), ['ok', 'ok', 'ECT_LEDGER_UNAVAILABLE', 'ok', 'ok', 'ok']);
      assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 5 });
    } finally {
      await ledger.close();
    }
  });
});
