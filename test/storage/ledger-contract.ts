/**
 * The `LedgerBackend` contract (profile section 9) as one test suite, run against every backend:
 * a backend passes when a `Ledger` over it behaves exactly like one over the in-memory reference.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ECTConfigError, ECTError } from '../../src/errors.js';
import { entryLeafHash } from '../../src/ledger/entry.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ReceiptError, verifyReceipt } from '../../src/ledger/receipt.js';
import type { IntegrityReport, LedgerBackend } from '../../src/ledger/types.js';
import { emptyRoot } from '../../src/tlog/hash.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { createVerifier } from '../../src/verify/verify.js';
import { rejectsWith } from '../helpers/fixtures.js';
import { AUD, issuerKeys, ledgerKeys, makeToken, ORIGIN } from './fixtures/tokens.js';

/**
 * Makes a fresh, empty backend; `reopen` (durable backends, LED-4) opens the same storage again.
 */
export interface BackendFactory {
  readonly name: string;
  /** Whether entries survive closing and reopening (LED-4): the contract then checks that. */
  readonly durable: boolean;
  create(): Promise<{ backend: LedgerBackend; reopen?: () => Promise<LedgerBackend> }>;
}

const CLOCK = 1_700_000_000_000;

/** Rejects with an `ECTError` of `code` (the shared assertion of the test fixtures). */
export const rejectsWithCode = rejectsWith;

/** The ledger's key and origin, as every test ledger is opened with them (LED-8). */
export const SIGNING = { key: ledgerKeys.privateJwk, origin: ORIGIN } as const;

/** An integrity report with no problem over exactly `entries` entries (LED-2). */
export function assertIntact(report: IntegrityReport, entries: number, message = ''): void {
  assert.equal(report.ok, true, `${message} ${JSON.stringify(report.firstBad)}`);
  assert.equal(report.firstBad, undefined, message);
  assert.equal(report.checked, entries, message);
  assert.equal(report.size, entries, message);
}

/** Verifies the whole ledger and asserts it intact over `entries` entries. */
export async function assertVerifies(
  ledger: Ledger,
  entries: number,
  message = '',
): Promise<IntegrityReport> {
  const report = await ledger.verifyIntegrity();
  assertIntact(report, entries, message);
  return report;
}

async function withLedger(
  factory: BackendFactory,
  run: (ledger: Ledger) => Promise<void>,
): Promise<void> {
  const { backend } = await factory.create();
  const ledger = await Ledger.open({ backend, clock: () => CLOCK, ...SIGNING });
  try {
    await run(ledger);
  } finally {
    await ledger.close();
  }
}

/** Registers the contract tests for one backend. */
export function ledgerContract(factory: BackendFactory): void {
  describe(`ledger contract: ${factory.name}`, () => {
    it('LED-2: an empty ledger has size 0, no checkpoint, the empty root, and verifies', async () => {
      await withLedger(factory, async (ledger) => {
        assert.equal(await ledger.size(), 0);
        assert.equal(await ledger.checkpoint(), undefined);
        const report = await assertVerifies(ledger, 0);
        assert.equal(report.root, Buffer.from(emptyRoot()).toString('base64'));
        assert.equal(report.checkpoints, 0);
      });
    });

    it('LED-1, LED-2: append stores the token exactly as received, its claims, level and time', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const t = makeToken({ wid, ect_ext: { note: 'ünïcode ✓', n: 1.5 } });
        const receipt = await ledger.append({ token: t.token, level: 3 });
        assert.equal(receipt.seq, 1);
        assert.equal(receipt.jti, t.claims.jti);
        assert.equal(receipt.wid, wid);
        assert.equal(receipt.level, 3);
        assert.equal(receipt.recordedAt, CLOCK);
        assert.equal(receipt.tokenHash, createHash('sha256').update(t.token).digest('base64url'));
        const entry = await ledger.entry(t.claims.jti, wid);
        assert.ok(entry !== undefined);
        assert.equal(entry.seq, 1);
        assert.equal(entry.token, t.token);
        assert.deepEqual(entry.claims, t.claims);
        assert.equal(entry.jti, t.claims.jti);
        assert.equal(entry.wid, wid);
        assert.equal(entry.level, 3);
        assert.equal(entry.recordedAt, CLOCK);
        // The receipt's leaf is this entry's RFC 9162 leaf (LED-2).
        const leaf = entryLeafHash({ seq: 1, level: 3, recordedAt: CLOCK, token: t.token });
        assert.equal(receipt.leafHash, Buffer.from(leaf).toString('base64'));
        assert.equal(
          await ledger.entry(t.claims.jti, undefined),
          undefined,
          'the same jti without wid is another task',
        );
        assert.equal(await ledger.entry(randomUUID(), wid), undefined);
      });
    });

    it('LED-2, LED-8: the signed checkpoint follows the last append and the tree verifies', async () => {
      await withLedger(factory, async (ledger) => {
        let last: Awaited<ReturnType<Ledger['append']>> | undefined;
        for (let i = 0; i < 5; i++) {
          const t = makeToken();
          last = await ledger.append({ token: t.token, level: 2 });
        }
        assert.equal(await ledger.size(), 5);
        const checkpoint = await ledger.checkpoint();
        assert.equal(checkpoint?.size, 5);
        // The last receipt's proof is against the latest checkpoint, exactly as stored.
        assert.equal(parseTlogProof({ text: last!.proof }).checkpoint, checkpoint.note);
        const report = await assertVerifies(ledger, 5);
        assert.equal(report.checkpoints, 5, 'one checkpoint per sequential append');
        assert.match(
          checkpoint.note,
          new RegExp(`^${ORIGIN}\\n5\\n${report.root!.replace(/[+/]/g, '\\$&')}\\n`),
        );
      });
    });

    it('LED-5: receipts are signed and check offline with the ledger public key', async () => {
      await withLedger(factory, async (ledger) => {
        const t = makeToken({ wid: randomUUID() });
        const receipt = await ledger.append({ token: t.token, level: 3 });
        const checked = verifyReceipt({
          jws: receipt.jws,
          key: ledgerKeys.publicJwk,
          token: t.token,
        });
        assert.equal(checked.seq, receipt.seq);
        assert.equal(checked.jti, t.claims.jti);
        assert.equal(checked.wid, t.claims.wid);
        assert.equal(checked.leafHash, receipt.leafHash);
        assert.equal(checked.tokenHash, receipt.tokenHash);
        assert.equal(checked.checkpoint.size, 1);
        assert.throws(
          () => verifyReceipt({ jws: receipt.jws, key: issuerKeys.publicJwk }),
          ReceiptError,
        );
        const other = makeToken();
        assert.throws(
          () => verifyReceipt({ jws: receipt.jws, key: ledgerKeys.publicJwk, token: other.token }),
          /another token/,
        );
      });
    });

    it('LED-1: findByJti finds a jti in every workflow; listWorkflow lists one workflow by seq', async () => {
      await withLedger(factory, async (ledger) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const jti = randomUUID();
        const a = makeToken({ jti, wid: w1 });
        const b = makeToken({ jti, wid: w2 });
        const c = makeToken({ wid: w1, pred: [jti] });
        const d = makeToken();
        for (const t of [a, b, c, d]) await ledger.append({ token: t.token, level: 2 });
        const found = await ledger.findByJti(jti);
        assert.deepEqual(
          found.map((e) => [e.jti, e.wid]),
          [
            [jti, w1],
            [jti, w2],
          ],
        );
        assert.deepEqual(
          (await ledger.backend.entriesByJti(jti)).map((r) => Number(r['seq'])),
          [1, 2],
          'by seq',
        );
        assert.deepEqual((await ledger.findByJti(randomUUID())).length, 0);
        assert.deepEqual(
          (await ledger.workflowEntries(w1)).map((e) => e.seq),
          [1, 3],
        );
        assert.deepEqual(
          (await ledger.listWorkflow(w2)).map((n) => n.jti),
          [jti],
        );
        assert.deepEqual(await ledger.listWorkflow(randomUUID()), []);
      });
    });

    it('DAG-7: isReferenced answers whether some entry lists a jti in its pred', async () => {
      await withLedger(factory, async (ledger) => {
        const parent = makeToken();
        const child = makeToken({ pred: [parent.claims.jti, randomUUID()] });
        await ledger.append({ token: parent.token, level: 2 });
        assert.equal(await ledger.isReferenced(parent.claims.jti), false);
        await ledger.append({ token: child.token, level: 2 });
        assert.equal(await ledger.isReferenced(parent.claims.jti), true);
        assert.equal(await ledger.isReferenced(child.claims.jti), false);
      });
    });

    it('LED-1: entriesFrom pages by seq', async () => {
      await withLedger(factory, async (ledger) => {
        for (let i = 0; i < 7; i++) {
          const t = makeToken();
          await ledger.append({ token: t.token, level: 2 });
        }
        const page = async (from: number, limit: number): Promise<number[]> =>
          (await ledger.backend.entriesFrom(from, limit)).map((r) => Number(r['seq']));
        assert.deepEqual(await page(1, 3), [1, 2, 3]);
        assert.deepEqual(await page(4, 3), [4, 5, 6]);
        assert.deepEqual(await page(7, 3), [7]);
        assert.deepEqual(await page(8, 3), []);
        const all: number[] = [];
        for await (const entry of ledger.entries(2)) all.push(entry.seq);
        assert.deepEqual(all, [2, 3, 4, 5, 6, 7]);
        assert.equal((await ledger.entryAt(4))?.seq, 4);
        assert.equal(await ledger.entryAt(8), undefined);
      });
    });

    it('LED-3: a duplicate (wid, jti) is ECT_DAG_DUPLICATE and leaves the log unchanged', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const t = makeToken({ wid });
        await ledger.append({ token: t.token, level: 2 });
        const again = makeToken({ wid, jti: t.claims.jti, exec_act: 'other' });
        await rejectsWithCode(ledger.append({ token: again.token, level: 2 }), 'ECT_DAG_DUPLICATE');
        assert.equal(await ledger.size(), 1);
        assert.equal((await ledger.checkpoint())?.size, 1, 'no checkpoint for a refused append');
        const next = makeToken({ wid });
        assert.equal(
          (await ledger.append({ token: next.token, level: 2 })).seq,
          2,
          'no gap after a refused append',
        );
        await assertVerifies(ledger, 2);
      });
    });

    it('LED-3, CLM-5: the same task with its UUIDs in upper case is ECT_DAG_DUPLICATE', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const t = makeToken({ wid });
        await ledger.append({ token: t.token, level: 2 });
        const upper = { wid: wid.toUpperCase(), jti: t.claims.jti.toUpperCase() };
        for (const ids of [upper, { wid, jti: upper.jti }, { wid: upper.wid, jti: t.claims.jti }]) {
          const again = makeToken({ ...ids, exec_act: 'other' });
          await rejectsWithCode(
            ledger.append({ token: again.token, level: 2 }),
            'ECT_DAG_DUPLICATE',
          );
        }
        assert.equal(await ledger.size(), 1);
        assert.equal((await ledger.entry(upper.jti, upper.wid))?.seq, 1, 'found in upper case');
        await assertVerifies(ledger, 1);
      });
    });

    it('LED-3: the same jti in two workflows is fine; two without wid collide', async () => {
      await withLedger(factory, async (ledger) => {
        const jti = randomUUID();
        for (const wid of [randomUUID(), randomUUID(), undefined]) {
          const t = makeToken(wid === undefined ? { jti } : { jti, wid });
          await ledger.append({ token: t.token, level: 2 });
        }
        const bare = makeToken({ jti });
        await rejectsWithCode(ledger.append({ token: bare.token, level: 2 }), 'ECT_DAG_DUPLICATE');
        assert.equal((await ledger.findByJti(jti)).length, 3);
      });
    });

    it('LED-3: concurrent appends of one task: exactly one succeeds', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const jti = randomUUID();
        const tokens = Array.from({ length: 8 }, (_, i) =>
          makeToken({ wid, jti, exec_act: `attempt_${i}` }),
        );
        const results = await Promise.allSettled(
          tokens.map((t) => ledger.append({ token: t.token, level: 2 })),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        assert.equal(ok.length, 1);
        for (const r of results)
          if (r.status === 'rejected')
            assert.equal((r.reason as ECTError).code, 'ECT_DAG_DUPLICATE');
        await assertVerifies(ledger, 1);
      });
    });

    it('LED-2: concurrent appends of distinct tasks keep one linear log', async () => {
      await withLedger(factory, async (ledger) => {
        const tokens = Array.from({ length: 20 }, () => makeToken());
        const receipts = await Promise.all(
          tokens.map((t) => ledger.append({ token: t.token, level: 2 })),
        );
        assert.deepEqual(
          receipts.map((r) => r.seq).sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        await assertVerifies(ledger, 20);
        for (const r of receipts) verifyReceipt({ jws: r.jws, key: ledgerKeys.publicJwk });
      });
    });

    it(
      'VER-11, VER-13, CLM-5: a verifier uses the ledger as its DAG store (UUIDs in any case) ' +
        'and records accepted tokens as L3',
      async () => {
        await withLedger(factory, async (ledger) => {
          const verifier = createVerifier({
            audience: AUD,
            keys: { keys: [issuerKeys.publicJwk] },
            record: { ledger },
            dag: {},
          });
          const wid = randomUUID();
          const parent = makeToken({ wid });
          const child = makeToken({ wid, pred: [parent.claims.jti] });
          const orphan = makeToken({ wid, pred: [randomUUID()] });
          const first = await verifier.verify(parent.token);
          assert.equal(first.level, 3);
          assert.equal(first.receipt?.seq, 1);
          assert.equal((await verifier.verify(child.token)).receipt?.seq, 2);
          await rejectsWithCode(verifier.verify(orphan.token), 'ECT_DAG_PREDECESSOR_UNKNOWN');
          // CLM-5: a predecessor named in upper case is the same task, found through the ledger.
          const shouting = makeToken({
            wid: wid.toUpperCase(),
            pred: [parent.claims.jti.toUpperCase()],
          });
          assert.equal((await verifier.verify(shouting.token)).level, 3);
          // VER-11 runs before VER-12: the ledger, as DAG store, already knows the task (DAG-1).
          await rejectsWithCode(verifier.verify(parent.token), 'ECT_DAG_DUPLICATE');
          assert.equal((await ledger.entry(child.claims.jti, wid))?.level, 3);
          await assertVerifies(ledger, 3);
        });
      },
    );

    if (factory.durable) {
      it('LED-4: entries are still there after the ledger is closed and opened again', async () => {
        const { backend, reopen } = await factory.create();
        const ledger = await Ledger.open({ backend, ...SIGNING });
        const tokens = [makeToken({ wid: randomUUID() }), makeToken()];
        for (const tok of tokens) await ledger.append({ token: tok.token, level: 3 });
        await ledger.close();
        assert.ok(reopen !== undefined, 'a durable backend can be opened again');
        // Without its key the ledger is read-only but verifies against its stored identity.
        const reader = await Ledger.open({ backend: await reopen() });
        try {
          assert.equal(reader.writable, false);
          await assertVerifies(reader, 2);
          const more = makeToken();
          await assert.rejects(reader.append({ token: more.token, level: 3 }), ECTConfigError);
        } finally {
          await reader.close();
        }
        const again = await Ledger.open({ backend: await reopen(), ...SIGNING });
        try {
          await assertVerifies(again, 2);
          assert.equal(
            (await again.entry(tokens[0]!.claims.jti, tokens[0]!.claims.wid))?.token,
            tokens[0]!.token,
          );
          const more = makeToken();
          assert.equal((await again.append({ token: more.token, level: 3 })).seq, 3);
          await assertVerifies(again, 3);
        } finally {
          await again.close();
        }
      });
    }
  });
}
