/**
 * Group commit (`LedgerOptions.groupCommit`) against the in-memory reference, a SQLite file and a
 * real PostgreSQL: concurrent appends share one append transaction and one signed checkpoint and
 * still keep every guarantee of section 9. One linear, gapless, verifiable log (LED-2);
 * duplicates refused item by item while the rest of the batch commits (LED-3); receipts only for
 * committed, durable entries (LED-4, LED-5); a failing store fails the whole batch and stores
 * none of it (LED-7: ECT_LEDGER_UNAVAILABLE). Batches are observed through a spy backend, never
 * through timings.
 *
 * The second half is the backend's side of it, the append transaction (`beginAppend`): reads
 * under the lock, one batch of rows stored at once, the store's own constraints, rollback, and
 * the append lock that serializes writers (LED-2).
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ECTError } from '../../src/errors.js';
import { entryLeafHash } from '../../src/ledger/entry.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import type {
  AppendTransaction,
  BatchRows,
  LedgerBackend,
  LedgerMeta,
  Receipt,
} from '../../src/ledger/types.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { frontierIds, storedHashCount } from '../../src/tlog/stored-hash.js';
import { useTestServers } from '../helpers/servers.js';
import { ledgerKeys, makeToken, type TestToken } from './fixtures/tokens.js';
import { assertIntact, assertVerifies, rejectsWithCode, SIGNING } from './ledger-contract.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-group-' });
const dir = env.dir;

/** What a spy saw of one append transaction. */
interface Transaction {
  /** How many appends the ledger checked for duplicates in it (its batch). */
  asked: number;
  /** The jtis of the entries it inserted, in order (none when every append was refused). */
  stored: string[];
  outcome: 'open' | 'committed' | 'rolled back';
}

/** What a spy saw: every append transaction, in order. */
interface Spy {
  readonly backend: LedgerBackend;
  readonly transactions: Transaction[];
}

/** The inserted jtis of every committed transaction. */
function committedBatches(s: Spy): string[][] {
  return s.transactions.filter((t) => t.outcome === 'committed').map((t) => t.stored);
}

/**
 * Wraps a backend to record its append transactions. `poison`: a jti whose batch the store itself
 * refuses in the middle of storing it (its rows carry the first entry twice, so the seq key fails
 * after some rows were written): a store failure in the middle of a batch.
 */
function spy(inner: LedgerBackend, options: { poison?: string } = {}): Spy {
  const transactions: Transaction[] = [];
  const beginAppend = async (begin: {
    readonly scopes: readonly string[];
  }): Promise<AppendTransaction> => {
    const tx = await inner.beginAppend(begin);
    const seen: Transaction = { asked: begin.scopes.length, stored: [], outcome: 'open' };
    transactions.push(seen);
    return {
      tip: tx.tip,
      commit: async (rows) => {
        seen.stored = rows.entries.map((e) => e.jti);
        const poisoned = options.poison !== undefined && seen.stored.includes(options.poison);
        try {
          await tx.commit(
            poisoned ? { ...rows, entries: [...rows.entries, rows.entries[0]!] } : rows,
          );
        } catch (error) {
          seen.outcome = 'rolled back';
          throw error;
        }
        seen.outcome = 'committed';
      },
      rollback: async () => {
        await tx.rollback();
        if (seen.outcome === 'open') seen.outcome = 'rolled back';
      },
    };
  };
  // Everything else goes to the backend itself (a Proxy keeps `instanceof` and private fields).
  const backend = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'beginAppend') return beginAppend;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { backend, transactions };
}

/** A store under test, and other handles on the same storage. */
interface Store {
  readonly backend: LedgerBackend;
  /** Opens the same storage again (durable backends, LED-4). */
  readonly reopen?: () => Promise<LedgerBackend>;
  /** Another writer on the same storage, as a second process would have (the lock tests). */
  readonly other: () => Promise<LedgerBackend>;
}

interface StoreFactory {
  readonly name: string;
  /**
   * Whether a second writer's `beginAppend` waits for the append lock in this process; SQLite's
   * waits by blocking the thread (better-sqlite3), so its second writer gives up at once instead.
   */
  readonly waitsForLock: boolean;
  create(): Promise<Store>;
}

const factories: StoreFactory[] = [
  {
    name: 'memory',
    waitsForLock: true,
    async create(): Promise<Store> {
      const backend = new MemoryLedgerBackend();
      return { backend, other: async () => backend };
    },
  },
  {
    name: 'SQLite',
    waitsForLock: false,
    async create(): Promise<Store> {
      const path = join(dir, `${randomUUID()}.db`);
      return {
        backend: await SqliteLedgerBackend.open({ path }),
        reopen: async () => SqliteLedgerBackend.open({ path }),
        other: async () => SqliteLedgerBackend.open({ path, busyTimeoutMs: 0 }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    waitsForLock: true,
    async create(): Promise<Store> {
      const url = env.pg.url;
      // One table per test: a fresh, empty ledger without a new database.
      const table = `group_${randomUUID().replaceAll('-', '')}`;
      const open = async (): Promise<LedgerBackend> => PostgresLedgerBackend.open({ url, table });
      return { backend: await open(), reopen: open, other: open };
    },
  },
];

function open(backend: LedgerBackend, groupCommit?: boolean): Promise<Ledger> {
  return Ledger.open({
    backend,
    ...SIGNING,
    ...(groupCommit === undefined ? {} : { groupCommit }),
  });
}

function append(ledger: Ledger, t: TestToken): Promise<Receipt> {
  return ledger.append({ token: t.token, level: 3 });
}

function seqs(receipts: readonly Receipt[]): number[] {
  return receipts.map((r) => r.seq).sort((a, b) => a - b);
}

function range(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof ECTError
    ? result.reason.code
    : `not an ECTError: ${String(result.reason)}`;
}

/** `token` with its payload replaced (the signature no longer fits; the ledger does not verify). */
function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

for (const factory of factories) {
  describe(`group commit: ${factory.name}`, () => {
    it(
      'LED-2, LED-4, LED-5, LED-8: 200 concurrent appends share transactions and checkpoints, ' +
        'get distinct gapless seqs and signed receipts, and the log verifies',
      async () => {
        const { backend, reopen } = await factory.create();
        const s = spy(backend);
        const ledger = await open(s.backend);
        const tokens = Array.from({ length: 200 }, (_, i) =>
          makeToken(i % 2 === 0 ? { wid: randomUUID() } : {}),
        );
        try {
          const receipts = await Promise.all(tokens.map((t) => append(ledger, t)));
          assert.deepEqual(seqs(receipts), range(200));
          receipts.forEach((r, i) => {
            assert.equal(r.jti, tokens[i]!.claims.jti);
            const checked = verifyReceipt({
              jws: r.jws,
              key: ledgerKeys.publicJwk,
              token: tokens[i]!.token,
            });
            assert.equal(checked.seq, r.seq);
          });
          const batches = committedBatches(s);
          assert.equal(batches.flat().length, 200);
          assert.ok(
            batches.length < 200 && Math.max(...batches.map((b) => b.length)) > 1,
            `appends were grouped: ${batches.map((b) => b.length).join(', ')}`,
          );
          assert.ok(
            batches.every((b) => b.length <= 256),
            'no batch over the limit',
          );
          // LED-8: one signed checkpoint per batch, and each receipt is proven against its batch's.
          const report = await assertVerifies(ledger, 200);
          assert.equal(report.checkpoints, batches.length);
          const notes = new Set(receipts.map((r) => parseTlogProof({ text: r.proof }).checkpoint));
          assert.equal(
            notes.size,
            batches.length,
            'the receipts of one batch share its checkpoint',
          );
          // Each receipt names its own entry: seq, jti, token hash and leaf hash as stored.
          const bySeq = new Map<number, { jti: string; leaf: string }>();
          for await (const e of ledger.entries()) {
            bySeq.set(e.seq, {
              jti: e.jti,
              leaf: Buffer.from(entryLeafHash(e)).toString('base64'),
            });
          }
          for (const r of receipts) {
            assert.equal(bySeq.get(r.seq)?.jti, r.jti);
            assert.equal(bySeq.get(r.seq)?.leaf, r.leafHash);
          }
        } finally {
          await ledger.close();
        }
        if (reopen !== undefined) {
          // LED-4: what was receipted is there after closing and opening the store again.
          const again = await open(await reopen());
          try {
            await assertVerifies(again, 200);
          } finally {
            await again.close();
          }
        }
      },
    );

    it(
      'LED-3: duplicates in a batch (the same token twice, a token already stored) are refused ' +
        'one by one while the others commit',
      async () => {
        const { backend } = await factory.create();
        const s = spy(backend);
        const ledger = await open(s.backend);
        try {
          const wid = randomUUID();
          const stored = makeToken({ wid });
          await append(ledger, stored);
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
          const results = await Promise.allSettled(calls.map((c) => append(ledger, c.token)));
          assert.deepEqual(
            results.map(codeOf),
            calls.map((c) => c.expect),
          );
          const receipts = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          // LED-2: refused items took no seq; the stored ones follow the first append, gapless.
          assert.deepEqual(seqs(receipts), range(8, 2));
          assert.ok(
            s.transactions.some(
              (t) => t.outcome === 'committed' && t.stored.length > 0 && t.stored.length < t.asked,
            ),
            'a batch stored some items and refused others',
          );
          assert.equal(
            (await ledger.entry(twice.claims.jti, wid))?.token,
            twice.token,
            'the first of the two copies is the one stored',
          );
          await assertVerifies(ledger, 9);
          const next = makeToken();
          assert.equal((await append(ledger, next)).seq, 10);
        } finally {
          await ledger.close();
        }
      },
    );

    it('LED-3: concurrent appends of one task in one batch: exactly one succeeds', async () => {
      const { backend } = await factory.create();
      const ledger = await open(backend);
      try {
        const wid = randomUUID();
        const jti = randomUUID();
        const tokens = Array.from({ length: 16 }, (_, i) =>
          makeToken({ wid, jti, exec_act: `attempt_${i}` }),
        );
        const results = await Promise.allSettled(
          tokens.map((t) => ledger.append({ token: t.token, level: 2 })),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.equal(results.filter((r) => codeOf(r) === 'ECT_DAG_DUPLICATE').length, 15);
        await assertVerifies(ledger, 1);
      } finally {
        await ledger.close();
      }
    });

    it(
      'LED-7: a store failure in the middle of a batch rejects every append of that batch ' +
        'with ECT_LEDGER_UNAVAILABLE and stores none of them',
      async () => {
        const { backend } = await factory.create();
        const poison = makeToken();
        const s = spy(backend, { poison: poison.claims.jti });
        const ledger = await open(s.backend);
        try {
          const before = makeToken();
          await append(ledger, before);
          const tokens = [
            ...Array.from({ length: 5 }, () => makeToken({ wid: randomUUID() })),
            poison,
            ...Array.from({ length: 5 }, () => makeToken()),
          ];
          const results = await Promise.allSettled(tokens.map((t) => append(ledger, t)));
          const failed = s.transactions.find((t) => t.stored.includes(poison.claims.jti));
          assert.ok(
            failed !== undefined && failed.stored.indexOf(poison.claims.jti) > 0,
            'the failure came after other items of its batch',
          );
          assert.equal(failed.outcome, 'rolled back');
          const failedBatch = failed.stored;
          tokens.forEach((t, i) => {
            const inFailed = failedBatch.includes(t.claims.jti);
            assert.equal(
              codeOf(results[i]!),
              inFailed ? 'ECT_LEDGER_UNAVAILABLE' : 'ok',
              `token ${i}`,
            );
          });
          for (const t of tokens)
            if (failedBatch.includes(t.claims.jti))
              assert.equal(
                await ledger.entry(t.claims.jti, t.claims.wid),
                undefined,
                'nothing of the failed batch was stored',
              );
          const stored = 1 + results.filter((r) => r.status === 'fulfilled').length;
          assert.equal(await ledger.size(), stored);
          assert.equal(
            (await ledger.checkpoint())?.size,
            stored,
            'no checkpoint of the failed batch',
          );
          await assertVerifies(ledger, stored);
          // The ledger goes on: the same tokens (minus the poisoned one) are accepted afterwards.
          const retried = await Promise.all(
            tokens
              .filter((t) => t !== poison && failedBatch.includes(t.claims.jti))
              .map((t) => append(ledger, t)),
          );
          assert.deepEqual(seqs(retried), range(retried.length, stored + 1));
          await assertVerifies(ledger, stored + retried.length);
        } finally {
          await ledger.close();
        }
      },
    );

    it('LED-2, LED-3: groupCommit false appends one by one, with the same results', async () => {
      const { backend } = await factory.create();
      const s = spy(backend);
      const ledger = await open(s.backend, false);
      try {
        const tokens = Array.from({ length: 20 }, () => makeToken({ wid: randomUUID() }));
        const results = await Promise.allSettled(
          [...tokens, tokens[3]!].map((t) => append(ledger, t)),
        );
        assert.deepEqual(results.map(codeOf), [...tokens.map(() => 'ok'), 'ECT_DAG_DUPLICATE']);
        assert.equal(s.transactions.length, 21, 'one transaction per append');
        assert.ok(
          s.transactions.every((t) => t.asked === 1),
          'batches of one',
        );
        assert.equal(committedBatches(s).length, 20);
        assert.deepEqual(
          seqs(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))),
          range(20),
        );
        const report = await assertVerifies(ledger, 20);
        assert.equal(report.checkpoints, 20, 'one checkpoint per append');
      } finally {
        await ledger.close();
      }
    });

    it(
      'LED-3, LED-7: a token the store cannot hold (U+0000 in its jti) fails alone with ' +
        'ECT_LEDGER_UNAVAILABLE; the rest of its batch commits',
      async () => {
        const { backend } = await factory.create();
        const ledger = await open(backend);
        try {
          const opener = makeToken();
          const base = makeToken();
          const bad = {
            ...base,
            token: withPayload(base.token, { ...base.claims, jti: `${base.claims.jti}\u0000` }),
          };
          // U+0000 elsewhere in the claims is stored exactly: claims are kept as JSON text.
          const nul = makeToken({ ect_ext: { note: 'nul \u0000 byte' } });
          const good = Array.from({ length: 3 }, () => makeToken());
          const results = await Promise.allSettled(
            [opener, good[0]!, bad, nul, ...good.slice(1)].map((t) => append(ledger, t)),
          );
          assert.deepEqual(results.map(codeOf), [
            'ok',
            'ok',
            'ECT_LEDGER_UNAVAILABLE',
            'ok',
            'ok',
            'ok',
          ]);
          assert.deepEqual((await ledger.entry(nul.claims.jti, undefined))?.claims.ect_ext, {
            note: 'nul \u0000 byte',
          });
          await assertVerifies(ledger, 5);
        } finally {
          await ledger.close();
        }
      },
    );
  });
}

/** The rows of one batch as the ledger writes them, taken from a reference ledger in memory. */
interface ReferenceBatch {
  readonly rows: BatchRows;
  readonly scopes: readonly string[];
}

/**
 * Appends each group of tokens as one batch to a memory ledger with the test key and returns the
 * ledger's identity and the rows of every batch (entries, preds, tree nodes, checkpoint).
 */
async function referenceBatches(
  groups: readonly (readonly TestToken[])[],
): Promise<{ meta: LedgerMeta; batches: ReferenceBatch[] }> {
  const memory = new MemoryLedgerBackend();
  const ledger = await Ledger.open({ backend: memory, ...SIGNING });
  for (const group of groups) await Promise.all(group.map((t) => append(ledger, t)));
  const { tables } = memory;
  assert.equal(tables.checkpoints.length, groups.length, 'one batch per group');
  const batches: ReferenceBatch[] = [];
  let from = 0;
  for (const group of groups) {
    const to = from + group.length;
    const entries = tables.entries.filter((e) => e.seq > from && e.seq <= to);
    batches.push({
      rows: {
        entries,
        preds: tables.preds.filter((p) => p.seq > from && p.seq <= to),
        nodes: tables.nodes.slice(storedHashCount({ size: from }), storedHashCount({ size: to })),
        checkpoint: tables.checkpoints.find((c) => c.size === to)!,
      },
      scopes: entries.map((e) => e.scope),
    });
    from = to;
  }
  return { meta: tables.meta!, batches };
}

/** Settles after `ms` (only to show that something did NOT happen meanwhile). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

for (const factory of factories) {
  describe(`append transaction contract: ${factory.name}`, () => {
    it(
      'LED-2, LED-3: a transaction reads the size, the frontier and the stored scopes under ' +
        'the lock, stores a batch at once, and the store refuses a stored seq or scope',
      async () => {
        const wid = randomUUID();
        const groups = [
          [makeToken({ wid })],
          [makeToken(), makeToken({ wid, pred: [randomUUID()] })],
          [makeToken()],
        ];
        const { meta, batches } = await referenceBatches(groups);
        const [b1, b2, b3] = batches as [ReferenceBatch, ReferenceBatch, ReferenceBatch];
        const { backend } = await factory.create();
        try {
          assert.deepEqual(await backend.initMeta(meta), meta);
          let tx = await backend.beginAppend({ scopes: b1.scopes });
          assert.deepEqual([tx.tip.size, tx.tip.frontier.length, [...tx.tip.existing]], [0, 0, []]);
          await tx.commit(b1.rows);

          const asked = [b1.scopes[0]!, ...b2.scopes];
          tx = await backend.beginAppend({ scopes: asked });
          assert.equal(tx.tip.size, 1);
          const ids = frontierIds({ size: 1 });
          assert.deepEqual(
            tx.tip.frontier.map((h) => Buffer.from(h).toString('hex')),
            ids.map((id) =>
              Buffer.from(b1.rows.nodes.find((n) => n.id === id)!.hash).toString('hex'),
            ),
          );
          assert.deepEqual([...tx.tip.existing], [b1.scopes[0]]);
          await tx.commit(b2.rows);
          assert.equal(await backend.size(), 3);

          // The store's own constraints (LED-2 seq, LED-3 scope) refuse a batch stored again;
          // a refused commit ends the transaction and releases the lock.
          tx = await backend.beginAppend({ scopes: [] });
          await rejectsWithCode(tx.commit(b2.rows), 'ECT_LEDGER_UNAVAILABLE');
          tx = await backend.beginAppend({ scopes: [] });
          const sameScope = { ...b3.rows.entries[0]!, scope: b1.scopes[0]! };
          await rejectsWithCode(
            tx.commit({ ...b3.rows, entries: [sameScope] }),
            'ECT_LEDGER_UNAVAILABLE',
          );
          assert.equal(await backend.size(), 3);

          tx = await backend.beginAppend({ scopes: b3.scopes });
          assert.equal(tx.tip.size, 3);
          await tx.commit(b3.rows);
          const ledger = await Ledger.open({ backend, ...SIGNING });
          const report = await ledger.verifyIntegrity();
          assertIntact(report, 4);
          assert.equal(report.checkpoints, 3);
        } finally {
          await backend.close();
        }
      },
    );

    it(
      'LED-2, LED-4: a batch the store refuses half-way leaves none of its rows, and a rollback ' +
        'releases the lock',
      async () => {
        const groups = [[makeToken()], [makeToken({ wid: randomUUID() }), makeToken()]];
        const { meta, batches } = await referenceBatches(groups);
        const [b1, b2] = batches as [ReferenceBatch, ReferenceBatch];
        const { backend } = await factory.create();
        try {
          await backend.initMeta(meta);
          let tx = await backend.beginAppend({ scopes: b1.scopes });
          await tx.commit(b1.rows);
          // Entries, predecessor rows and nodes are written before the checkpoint, whose size
          // is already stored: the whole batch must go.
          tx = await backend.beginAppend({ scopes: b2.scopes });
          await rejectsWithCode(
            tx.commit({ ...b2.rows, checkpoint: { ...b2.rows.checkpoint, size: 1 } }),
            'ECT_LEDGER_UNAVAILABLE',
          );
          assert.equal(await backend.size(), 1);
          assert.equal(await backend.entryByScope(b2.scopes[0]!), undefined);
          assert.deepEqual(await backend.nodesFrom(storedHashCount({ size: 1 }), 10), []);
          assert.deepEqual(await backend.predsBetween(2, 10), []);
          assert.equal(Number((await backend.latestCheckpoint())?.['size']), 1);
          tx = await backend.beginAppend({ scopes: b2.scopes });
          await tx.rollback();
          await tx.rollback(); // twice: never throws
          // The lock was released: the same batch now commits.
          tx = await backend.beginAppend({ scopes: b2.scopes });
          assert.equal(tx.tip.size, 1);
          await tx.commit(b2.rows);
          assertIntact(await (await Ledger.open({ backend, ...SIGNING })).verifyIntegrity(), 3);
        } finally {
          await backend.close();
        }
      },
    );

    it(
      'LED-2: the append lock: a second writer cannot begin a transaction until the first has ' +
        'committed, and then reads its rows',
      async () => {
        const { meta, batches } = await referenceBatches([[makeToken()], [makeToken()]]);
        const store = await factory.create();
        const { backend } = store;
        const other = await store.other();
        try {
          await backend.initMeta(meta);
          const first = await backend.beginAppend({ scopes: batches[0]!.scopes });
          assert.equal(first.tip.size, 0);
          let second: Promise<AppendTransaction>;
          const next = { scopes: batches[1]!.scopes };
          if (factory.waitsForLock) {
            second = other.beginAppend(next);
            let began = false;
            void second.then(
              () => (began = true),
              () => undefined,
            );
            await pause(200);
            assert.equal(began, false, 'the second writer waits for the lock');
          } else {
            // SQLite with busyTimeoutMs 0: the file is locked, the second writer is refused.
            await rejectsWithCode(other.beginAppend(next), 'ECT_LEDGER_UNAVAILABLE');
          }
          await first.commit(batches[0]!.rows);
          const tx = factory.waitsForLock ? await second! : await other.beginAppend(next);
          assert.equal(tx.tip.size, 1, "the second writer builds on the first one's rows");
          await tx.commit(batches[1]!.rows);
          assert.equal(await backend.size(), 2);
        } finally {
          if (other !== backend) await other.close();
          await backend.close();
        }
      },
    );
  });
}

describe('group commit: PostgreSQL outage', () => {
  it(
    'LED-4, LED-7: with the server stopped, every append of the batch is ' +
      'ECT_LEDGER_UNAVAILABLE and none is stored; after the restart appends work again',
    async () => {
      const table = `group_${randomUUID().replaceAll('-', '')}`;
      const backend = await PostgresLedgerBackend.open({
        url: env.pg.url,
        table,
        connectionTimeoutMs: 2000,
        statementTimeoutMs: 2000,
      });
      const ledger = await open(backend);
      try {
        const first = await Promise.all(
          Array.from({ length: 5 }, () => makeToken()).map((t) => append(ledger, t)),
        );
        assert.deepEqual(seqs(first), range(5));
        await env.pg.stop();
        const down = Array.from({ length: 20 }, () => makeToken({ wid: randomUUID() }));
        let results: PromiseSettledResult<Receipt>[];
        try {
          results = await Promise.allSettled(down.map((t) => append(ledger, t)));
        } finally {
          await env.pg.restart();
        }
        assert.deepEqual(
          results.map(codeOf),
          down.map(() => 'ECT_LEDGER_UNAVAILABLE'),
        );
        // None of them reached the store: the size is where it was and the log verifies.
        assert.equal(await ledger.size(), 5);
        for (const t of down)
          assert.equal(await ledger.entry(t.claims.jti, t.claims.wid), undefined);
        const again = await Promise.all(down.map((t) => append(ledger, t)));
        assert.deepEqual(seqs(again), range(20, 6));
        await assertVerifies(ledger, 25);
      } finally {
        await ledger.close();
      }
    },
  );
});
