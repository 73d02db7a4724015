/**
 * The `LedgerBackend` contract (profile section 9) as one test suite, run against every backend:
 * a backend passes when a `Ledger` over it behaves exactly like one over the in-memory reference.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ECTError } from '../../src/errors.js';
import { tokenDigest } from '../../src/ledger/chain.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import type { LedgerBackend } from '../../src/ledger/types.js';
import { createVerifier } from '../../src/verify/verify.js';
import { rejectsWith } from '../helpers/fixtures.js';
import { AUD, issuerKeys, ledgerKeys, makeToken } from './fixtures/tokens.js';

/** Makes a fresh, empty backend; `reopen` (durable backends, LED-4) opens the same storage again. */
export interface BackendFactory {
  readonly name: string;
  /** Whether entries survive closing and reopening (LED-4): the contract then checks that. */
  readonly durable: boolean;
  create(): Promise<{ backend: LedgerBackend; reopen?: () => Promise<LedgerBackend> }>;
}

const CLOCK = 1_700_000_000_000;

/** Rejects with an `ECTError` of `code` (the shared assertion of the test fixtures). */
export const rejectsWithCode = rejectsWith;

async function withLedger(factory: BackendFactory, run: (ledger: Ledger) => Promise<void>): Promise<void> {
  const { backend } = await factory.create();
  const ledger = new Ledger({ backend, clock: () => CLOCK, signingKey: { key: ledgerKeys.privateJwk } });
  try {
    await run(ledger);
  } finally {
    await ledger.close();
  }
}

/** Registers the contract tests for one backend. */
export function ledgerContract(factory: BackendFactory): void {
  describe(`ledger contract: ${factory.name}`, () => {
    it('LED-2: an empty ledger has the genesis tip and verifies', async () => {
      await withLedger(factory, async (ledger) => {
        const tip = await ledger.backend.tip();
        assert.equal(tip.seq, 0);
        assert.deepEqual([...tip.entryHash], new Array(32).fill(0));
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 0 });
      });
    });

    it('LED-1, LED-2: append stores the token exactly as received, its claims, level and time', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const t = makeToken({ wid, ect_ext: { note: 'ünïcode ✓', n: 1.5 } });
        const receipt = await ledger.append(t.token, t.claims, 3);
        assert.equal(receipt.seq, 1);
        assert.equal(receipt.jti, t.claims.jti);
        assert.equal(receipt.wid, wid);
        assert.equal(receipt.level, 3);
        assert.equal(receipt.recordedAt, CLOCK);
        assert.equal(receipt.tokenHash, Buffer.from(tokenDigest(t.token)).toString('base64url'));
        const entry = await ledger.entry(t.claims.jti, wid);
        assert.ok(entry !== undefined);
        assert.equal(entry.token, t.token);
        assert.deepEqual(entry.claims, t.claims);
        assert.equal(entry.level, 3);
        assert.equal(entry.recordedAt, CLOCK);
        assert.equal(entry.entryHash, receipt.entryHash);
        assert.equal(entry.prevHash, Buffer.alloc(32).toString('base64url'));
        assert.equal(await ledger.entry(t.claims.jti, undefined), undefined, 'the same jti without wid is another task');
        assert.equal(await ledger.entry(randomUUID(), wid), undefined);
      });
    });

    it('LED-2: the tip follows the last append and the chain verifies', async () => {
      await withLedger(factory, async (ledger) => {
        let last = '';
        for (let i = 0; i < 5; i++) {
          const t = makeToken();
          last = (await ledger.append(t.token, t.claims, 2)).entryHash;
        }
        const tip = await ledger.backend.tip();
        assert.equal(tip.seq, 5);
        assert.equal(Buffer.from(tip.entryHash).toString('base64url'), last);
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 5 });
      });
    });

    it('LED-5: receipts are signed and check offline with the ledger public key', async () => {
      await withLedger(factory, async (ledger) => {
        const t = makeToken({ wid: randomUUID() });
        const receipt = await ledger.append(t.token, t.claims, 3);
        assert.ok(receipt.jws !== undefined);
        const checked = verifyReceipt(receipt.jws, { key: ledgerKeys.publicJwk, expectedTokenHash: receipt.tokenHash });
        assert.equal(checked.seq, receipt.seq);
        assert.equal(checked.jti, t.claims.jti);
        assert.equal(checked.wid, t.claims.wid);
        assert.equal(checked.entryHash, receipt.entryHash);
        assert.throws(() => verifyReceipt(receipt.jws!, { key: issuerKeys.publicJwk }), /signature|key/);
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
        for (const t of [a, b, c, d]) await ledger.append(t.token, t.claims, 2);
        const found = await ledger.backend.findByJti(jti);
        assert.deepEqual(found.map((e) => [e.seq, e.wid]), [[1, w1], [2, w2]]);
        assert.deepEqual((await ledger.backend.findByJti(randomUUID())).length, 0);
        assert.deepEqual((await ledger.workflowEntries(w1)).map((e) => e.seq), [1, 3]);
        assert.deepEqual((await ledger.listWorkflow(w2)).map((n) => n.jti), [jti]);
        assert.deepEqual(await ledger.listWorkflow(randomUUID()), []);
      });
    });

    it('DAG-7: isReferenced answers whether some entry lists a jti in its pred', async () => {
      await withLedger(factory, async (ledger) => {
        const parent = makeToken();
        const child = makeToken({ pred: [parent.claims.jti, randomUUID()] });
        await ledger.append(parent.token, parent.claims, 2);
        assert.equal(await ledger.isReferenced(parent.claims.jti), false);
        await ledger.append(child.token, child.claims, 2);
        assert.equal(await ledger.isReferenced(parent.claims.jti), true);
        assert.equal(await ledger.isReferenced(child.claims.jti), false);
      });
    });

    it('LED-1: readFrom pages by seq', async () => {
      await withLedger(factory, async (ledger) => {
        for (let i = 0; i < 7; i++) {
          const t = makeToken();
          await ledger.append(t.token, t.claims, 2);
        }
        assert.deepEqual((await ledger.backend.readFrom(1, 3)).map((e) => e.seq), [1, 2, 3]);
        assert.deepEqual((await ledger.backend.readFrom(4, 3)).map((e) => e.seq), [4, 5, 6]);
        assert.deepEqual((await ledger.backend.readFrom(7, 3)).map((e) => e.seq), [7]);
        assert.deepEqual(await ledger.backend.readFrom(8, 3), []);
        const all: number[] = [];
        for await (const entry of ledger.entries(2)) all.push(entry.seq);
        assert.deepEqual(all, [2, 3, 4, 5, 6, 7]);
      });
    });

    it('LED-3: a duplicate (wid, jti) is ECT_DAG_DUPLICATE and leaves the chain unchanged', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const t = makeToken({ wid });
        await ledger.append(t.token, t.claims, 2);
        const again = makeToken({ wid, jti: t.claims.jti, exec_act: 'other' });
        await rejectsWithCode(ledger.append(again.token, again.claims, 2), 'ECT_DAG_DUPLICATE');
        assert.equal((await ledger.backend.tip()).seq, 1);
        const next = makeToken({ wid });
        assert.equal((await ledger.append(next.token, next.claims, 2)).seq, 2, 'no gap after a refused append');
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 2 });
      });
    });

    it('LED-3: the same jti in two workflows is fine; two without wid collide', async () => {
      await withLedger(factory, async (ledger) => {
        const jti = randomUUID();
        for (const wid of [randomUUID(), randomUUID(), undefined]) {
          const t = makeToken(wid === undefined ? { jti } : { jti, wid });
          await ledger.append(t.token, t.claims, 2);
        }
        const bare = makeToken({ jti });
        await rejectsWithCode(ledger.append(bare.token, bare.claims, 2), 'ECT_DAG_DUPLICATE');
        assert.equal((await ledger.backend.findByJti(jti)).length, 3);
      });
    });

    it('LED-3: concurrent appends of one task: exactly one succeeds', async () => {
      await withLedger(factory, async (ledger) => {
        const wid = randomUUID();
        const jti = randomUUID();
        const tokens = Array.from({ length: 8 }, (_, i) => makeToken({ wid, jti, exec_act: `attempt_${i}` }));
        const results = await Promise.allSettled(tokens.map((t) => ledger.append(t.token, t.claims, 2)));
        const ok = results.filter((r) => r.status === 'fulfilled');
        assert.equal(ok.length, 1);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as ECTError).code, 'ECT_DAG_DUPLICATE');
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 1 });
      });
    });

    it('LED-2: concurrent appends of distinct tasks keep one linear chain', async () => {
      await withLedger(factory, async (ledger) => {
        const tokens = Array.from({ length: 20 }, () => makeToken());
        const receipts = await Promise.all(tokens.map((t) => ledger.append(t.token, t.claims, 2)));
        assert.deepEqual(receipts.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 20 });
      });
    });

    it('VER-11, VER-13: a verifier uses the ledger as its DAG store and records accepted tokens as L3', async () => {
      await withLedger(factory, async (ledger) => {
        const verifier = createVerifier({ audience: AUD, keys: { keys: [issuerKeys.publicJwk] }, ledger, dag: {} });
        const wid = randomUUID();
        const parent = makeToken({ wid });
        const child = makeToken({ wid, pred: [parent.claims.jti] });
        const orphan = makeToken({ wid, pred: [randomUUID()] });
        const first = await verifier.verify(parent.token);
        assert.equal(first.level, 3);
        assert.equal(first.receipt?.seq, 1);
        assert.equal((await verifier.verify(child.token)).receipt?.seq, 2);
        await rejectsWithCode(verifier.verify(orphan.token), 'ECT_DAG_PREDECESSOR_UNKNOWN');
        // VER-11 runs before VER-12: the ledger, as DAG store, already knows the task (DAG-1).
        await rejectsWithCode(verifier.verify(parent.token), 'ECT_DAG_DUPLICATE');
        assert.equal((await ledger.entry(child.claims.jti, wid))?.level, 3);
        assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 2 });
      });
    });

    if (factory.durable) {
      it('LED-4: entries are still there after the ledger is closed and opened again', async () => {
        const { backend, reopen } = await factory.create();
        const ledger = new Ledger({ backend });
        const tokens = [makeToken({ wid: randomUUID() }), makeToken()];
        for (const tok of tokens) await ledger.append(tok.token, tok.claims, 3);
        await ledger.close();
        assert.ok(reopen !== undefined, 'a durable backend can be opened again');
        const again = new Ledger({ backend: await reopen() });
        try {
          assert.deepEqual(await again.verifyIntegrity(), { ok: true, checked: 2 });
          assert.equal((await again.entry(tokens[0]!.claims.jti, tokens[0]!.claims.wid))?.token, tokens[0]!.token);
          const more = makeToken();
          assert.equal((await again.append(more.token, more.claims, 3)).seq, 3);
        } finally {
          await again.close();
        }
      });
    }
  });
}
