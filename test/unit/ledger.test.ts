import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import { ECTError } from '../../src/errors.js';
import { parseToken } from '../../src/format/parse.js';
import type { ECTClaims } from '../../src/format/types.js';
import { entryDigest, GENESIS_HASH, tokenDigest } from '../../src/ledger/chain.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { RECEIPT_TYP, ReceiptError, verifyReceipt } from '../../src/ledger/receipt.js';
import type { ChainTip, LedgerBackend, LedgerEntry } from '../../src/ledger/types.js';
import { DEFAULT_LEDGER_TIMEOUT_MS } from '../../src/verify/options.js';
import { createVerifier } from '../../src/verify/verify.js';
import { keyPair, l1Token, NOW, rejectsWith, token, uuid, verifyOptions, WID } from '../helpers/fixtures.js';

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const claimsOf = (jws: string): ECTClaims => parseToken(jws).payload as unknown as ECTClaims;
const RECORDED_AT = 1_700_000_123_456;

async function ledgerWith(count: number, options: { signed?: boolean } = {}): Promise<{ ledger: Ledger; rows: LedgerEntry[]; tokens: string[] }> {
  const backend = new MemoryLedgerBackend();
  const ledger = new Ledger({ backend, clock: () => RECORDED_AT, ...(options.signed ? { signingKey: { key: keyPair('ES256', 'ledger').privateJwk, issuer: 'spiffe://example.org/ledger' } } : {}) });
  const tokens: string[] = [];
  for (let i = 1; i <= count; i++) {
    const jws = token({ jti: uuid(i), wid: WID, pred: i === 1 ? [] : [uuid(i - 1)] });
    tokens.push(jws);
    await ledger.append(jws, claimsOf(jws), 3);
  }
  return { ledger, rows: backend.rows, tokens };
}

/** A backend whose appends fail (throw) or never answer (hang); reads go to an in-memory backend. */
class BrokenBackend implements LedgerBackend {
  readonly #reads = new MemoryLedgerBackend();
  constructor(readonly mode: 'throw' | 'hang' | 'unavailable') {}
  append(_build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry> {
    if (this.mode === 'throw') return Promise.reject(new Error('disk I/O error'));
    if (this.mode === 'unavailable') return Promise.reject(new ECTError('ECT_LEDGER_UNAVAILABLE', 'database is locked'));
    return new Promise<LedgerEntry>(() => {});
  }
  get(jti: string, wid: string | undefined) { return this.#reads.get(jti, wid); }
  findByJti(jti: string) { return this.#reads.findByJti(jti); }
  isReferenced(jti: string) { return this.#reads.isReferenced(jti); }
  listWorkflow(wid: string) { return this.#reads.listWorkflow(wid); }
  readFrom(from: number, limit: number) { return this.#reads.readFrom(from, limit); }
  tip() { return this.#reads.tip(); }
  close() { return this.#reads.close(); }
}

describe('hash chain (LED-2)', () => {
  test('LED-2: entry_hash = SHA-256(prev_hash || SHA-256(token) || seq as 8-byte big-endian), computed by hand', async () => {
    const { rows, tokens } = await ledgerWith(2);
    const [t1, t2] = tokens as [string, string];
    const seq1 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
    const layout1 = Buffer.concat([Buffer.alloc(32), sha256(Buffer.from(t1, 'utf8')), seq1]);
    assert.equal(layout1.length, 72);
    const hash1 = sha256(layout1);
    assert.equal(rows[0]!.seq, 1);
    assert.equal(rows[0]!.prevHash, Buffer.alloc(32).toString('base64url'));
    assert.equal(rows[0]!.tokenHash, sha256(t1).toString('base64url'));
    assert.equal(rows[0]!.entryHash, hash1.toString('base64url'));
    const hash2 = sha256(Buffer.concat([hash1, sha256(t2), Buffer.from([0, 0, 0, 0, 0, 0, 0, 2])]));
    assert.equal(rows[1]!.prevHash, hash1.toString('base64url'));
    assert.equal(rows[1]!.entryHash, hash2.toString('base64url'));
    // The exported helpers follow the same layout.
    assert.deepEqual(Buffer.from(GENESIS_HASH), Buffer.alloc(32));
    assert.deepEqual(Buffer.from(entryDigest(hash1, tokenDigest(t2), 2)), hash2);
    const big = Buffer.concat([hash1, sha256(t2), Buffer.from([0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05])]);
    assert.deepEqual(Buffer.from(entryDigest(hash1, tokenDigest(t2), 0x0102030405)), sha256(big));
    assert.throws(() => entryDigest(hash1, tokenDigest(t2), 0), RangeError);
  });

  test('LED-2: an entry stores the token exactly as received, its claims, its level and the time recorded', async () => {
    const { ledger, tokens } = await ledgerWith(1);
    const entry = await ledger.entry(uuid(1), WID);
    assert.equal(entry?.token, tokens[0]);
    assert.deepEqual(entry?.claims, claimsOf(tokens[0]!));
    assert.equal(entry?.level, 3);
    assert.equal(entry?.recordedAt, RECORDED_AT);
    assert.equal(entry?.wid, WID);
  });

  test('LED-2: verifyIntegrity accepts an untouched chain', async () => {
    const { ledger } = await ledgerWith(5);
    assert.deepEqual(await ledger.verifyIntegrity(), { ok: true, checked: 5 });
    assert.deepEqual(await new Ledger().verifyIntegrity(), { ok: true, checked: 0 });
  });

  test('LED-2: a changed token is detected (with or without its recorded hash updated)', async () => {
    const { ledger, rows } = await ledgerWith(4);
    const forged = token({ jti: uuid(3), wid: WID, pred: [uuid(2)], exec_act: 'forged' });
    rows[2] = { ...rows[2]!, token: forged };
    assert.deepEqual((await ledger.verifyIntegrity()).firstBad?.seq, 3);
    rows[2] = { ...rows[2]!, tokenHash: sha256(forged).toString('base64url') };
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.equal(report.checked, 2);
    assert.equal(report.firstBad?.seq, 3);
  });

  test('LED-2: a removed entry is detected (middle and last-but-one)', async () => {
    const { ledger, rows } = await ledgerWith(4);
    rows.splice(1, 1);
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.equal(report.firstBad?.seq, 2);
    const first = await ledgerWith(3);
    first.rows.shift();
    assert.equal((await first.ledger.verifyIntegrity()).firstBad?.seq, 1);
  });

  test('LED-2: swapped entries are detected, also with their seq numbers swapped back', async () => {
    const { ledger, rows } = await ledgerWith(4);
    [rows[1], rows[2]] = [rows[2]!, rows[1]!];
    assert.equal((await ledger.verifyIntegrity()).firstBad?.seq, 2);
    [rows[1], rows[2]] = [{ ...rows[1]!, seq: 2 }, { ...rows[2]!, seq: 3 }];
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.equal(report.firstBad?.seq, 2);
  });

  test('LED-2: changed recorded claims are detected (the DAG reads them: jti, iat, pred)', async () => {
    for (const change of [{ jti: uuid(99) }, { iat: NOW - 1 }, { pred: [] }, { exec_act: 'forged' }, { iss: 'spiffe://evil/agent' }]) {
      const { ledger, rows } = await ledgerWith(3);
      rows[1] = { ...rows[1]!, claims: { ...rows[1]!.claims, ...change } };
      const report = await ledger.verifyIntegrity();
      assert.equal(report.ok, false, JSON.stringify(change));
      assert.equal(report.firstBad?.seq, 2);
    }
  });
});

describe('ledger operations (LED-1) and receipts (LED-5)', () => {
  test('LED-1: append, get by jti and wid, list a workflow, read from a sequence number', async () => {
    const { ledger } = await ledgerWith(3);
    const extra = token({ jti: uuid(50) });
    const receipt = await ledger.append(extra, claimsOf(extra), 3);
    assert.equal(receipt.seq, 4);
    assert.equal(receipt.wid, undefined);
    assert.equal((await ledger.entry(uuid(2), WID))?.seq, 2);
    assert.equal(await ledger.entry(uuid(2), undefined), undefined);
    assert.deepEqual((await ledger.workflowEntries(WID)).map((e) => e.seq), [1, 2, 3]);
    const fromTwo: number[] = [];
    for await (const entry of ledger.entries(2)) fromTwo.push(entry.seq);
    assert.deepEqual(fromTwo, [2, 3, 4]);
    assert.deepEqual((await ledger.get(uuid(3), WID))?.pred, [uuid(2)]);
    assert.deepEqual((await ledger.findByJti(uuid(3))).map((n) => n.wid), [WID]);
    assert.equal(await ledger.isReferenced(uuid(2)), true);
    assert.equal(await ledger.isReferenced(uuid(3)), false);
    assert.deepEqual((await ledger.listWorkflow(WID)).map((n) => n.jti), [uuid(1), uuid(2), uuid(3)]);
  });

  test('LED-1: append-only: the same task (wid, jti) is recorded once (ECT_DAG_DUPLICATE)', async () => {
    const { ledger, tokens } = await ledgerWith(2);
    await rejectsWith(ledger.append(tokens[0]!, claimsOf(tokens[0]!), 3), 'ECT_DAG_DUPLICATE');
    assert.equal((await ledger.verifyIntegrity()).checked, 2);
  });

  test('LED-5: receipts are JWS (typ ect-receipt+jwt) signed by the ledger and verified offline with its public key', async () => {
    const { ledger, tokens } = await ledgerWith(1, { signed: true });
    const jws = token({ jti: uuid(2), wid: WID, pred: [uuid(1)] });
    const receipt = await ledger.append(jws, claimsOf(jws), 3);
    assert.ok(receipt.jws);
    const parsed = parseToken(receipt.jws);
    assert.equal(parsed.level === 2 && parsed.header['typ'], RECEIPT_TYP);
    assert.equal(RECEIPT_TYP, 'ect-receipt+jwt');
    const publicJwk = ledger.receiptPublicJwk()!;
    assert.equal('d' in publicJwk, false);
    const checked = verifyReceipt(receipt.jws, { key: publicJwk as never, expectedTokenHash: sha256(jws).toString('base64url') });
    assert.deepEqual(checked, receipt);
    assert.equal(checked.seq, 2);
    assert.equal(checked.jti, uuid(2));
    assert.equal(checked.wid, WID);
    assert.equal(checked.level, 3);
    assert.equal(checked.tokenHash, sha256(jws).toString('base64url'));
    assert.equal(checked.entryHash, (await ledger.entry(uuid(2), WID))?.entryHash);
    assert.equal(parsed.payload['iss'], 'spiffe://example.org/ledger');
    assert.ok(tokens[0]);
  });

  test('LED-5: a changed receipt, another key, another token or a wrong typ is refused (ReceiptError)', async () => {
    const { ledger } = await ledgerWith(1, { signed: true });
    const jws = token({ jti: uuid(2), wid: WID });
    const receipt = await ledger.append(jws, claimsOf(jws), 3);
    const publicJwk = ledger.receiptPublicJwk() as never;
    const [h, p, s] = receipt.jws!.split('.');
    const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), seq: 1 })).toString('base64url');
    const refused = (action: () => unknown) => assert.throws(action, (e: unknown) => e instanceof ReceiptError && e.code === 'ECT_RECEIPT_INVALID');
    refused(() => verifyReceipt(`${h}.${changed}.${s}`, { key: publicJwk }));
    refused(() => verifyReceipt(receipt.jws!, { key: keyPair('ES256', 'not-the-ledger').publicJwk }));
    refused(() => verifyReceipt(receipt.jws!, { key: keyPair('ES384').publicJwk }));
    refused(() => verifyReceipt(receipt.jws!, { key: publicJwk, expectedTokenHash: sha256('other').toString('base64url') }));
    refused(() => verifyReceipt(token(), { key: keyPair().publicJwk }));
    refused(() => verifyReceipt('not a receipt', { key: publicJwk }));
  });

  test('LED-5: without a signing key receipts carry no jws; an EdDSA ledger key works too', async () => {
    const { ledger } = await ledgerWith(0);
    const jws = token();
    assert.equal((await ledger.append(jws, claimsOf(jws), 3)).jws, undefined);
    assert.equal(ledger.receiptPublicJwk(), undefined);
    const ed = new Ledger({ signingKey: { key: keyPair('EdDSA').privateJwk } });
    const receipt = await ed.append(jws, claimsOf(jws), 2);
    assert.equal(verifyReceipt(receipt.jws!, { key: keyPair('EdDSA').publicJwk }).level, 2);
  });
});

describe('recording through the verifier (FMT-6, VER-13, LED-7)', () => {
  test('FMT-6, VER-13: a verifier with a ledger appends each accepted L2 token, which then counts as L3 with a receipt', async () => {
    const ledger = new Ledger({ signingKey: { key: keyPair('ES256', 'ledger').privateJwk } });
    const verifier = createVerifier(verifyOptions({ ledger }));
    const jws = token({ wid: WID });
    const result = await verifier.verify(jws);
    assert.equal(result.level, 3);
    assert.equal(result.receipt?.seq, 1);
    assert.equal(result.receipt?.level, 3);
    assert.equal(verifyReceipt(result.receipt!.jws!, { key: ledger.receiptPublicJwk() as never }).jti, uuid(1));
    const entry = await ledger.entry(uuid(1), WID);
    assert.equal(entry?.token, jws);
    assert.equal(entry?.level, 3);
  });

  test('FMT-6, FMT-4: minimum level 3 accepts L2 tokens through the ledger and refuses L1 (ECT_LEVEL_TOO_LOW)', async () => {
    const ledger = new Ledger();
    const verifier = createVerifier(verifyOptions({ ledger, minLevel: 3 }));
    assert.equal((await verifier.verify(token())).level, 3);
    await rejectsWith(verifier.verify(l1Token({ jti: uuid(2) })), 'ECT_LEVEL_TOO_LOW');
    assert.throws(() => createVerifier(verifyOptions({ minLevel: 3 })), { name: 'ECTConfigError' });
  });

  test('FMT-6: an accepted L1 token is recorded at level 1 and stays level 1', async () => {
    const ledger = new Ledger();
    const result = await createVerifier(verifyOptions({ ledger, minLevel: 1 })).verify(l1Token());
    assert.equal(result.level, 1);
    assert.equal(result.receipt?.level, 1);
    assert.equal((await ledger.entry(uuid(1), undefined))?.level, 1);
  });

  test('VER-11, VER-13: the ledger serves as the DAG store when none is given', async () => {
    const ledger = new Ledger();
    const verifier = createVerifier(verifyOptions({ ledger, dag: {} }));
    await verifier.verify(token({ wid: WID }));
    assert.equal((await verifier.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] }))).level, 3);
    await rejectsWith(verifier.verify(token({ jti: uuid(3), wid: WID, pred: [uuid(9)] })), 'ECT_DAG_PREDECESSOR_UNKNOWN');
    await rejectsWith(verifier.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] })), 'ECT_DAG_DUPLICATE');
    assert.equal((await ledger.verifyIntegrity()).checked, 2);
  });

  test('LED-7: the synchronous append timeout defaults to 2 s', () => {
    assert.equal(DEFAULT_LEDGER_TIMEOUT_MS, 2000);
    assert.equal(createVerifier(verifyOptions({ ledger: new Ledger() })).options.ledgerTimeoutMs, 2000);
    assert.equal(createVerifier(verifyOptions({ ledger: new Ledger() })).options.ledgerFailure, 'reject');
    assert.throws(() => createVerifier(verifyOptions({ ledgerTimeoutMs: 0 })), { name: 'ECTConfigError' });
    assert.throws(() => createVerifier(verifyOptions({ ledgerFailure: 'ignore' as never })), { name: 'ECTConfigError' });
  });

  test('LED-7, VER-13: a ledger that fails is ECT_LEDGER_UNAVAILABLE (reject policy, the default)', async () => {
    const ledger = new Ledger({ backend: new BrokenBackend('throw') });
    const error = await rejectsWith(createVerifier(verifyOptions({ ledger })).verify(token()), 'ECT_LEDGER_UNAVAILABLE');
    assert.equal(error.claims?.['jti'], uuid(1));
    await rejectsWith(ledger.append(token(), claimsOf(token()), 3), 'ECT_LEDGER_UNAVAILABLE');
  });

  test('LED-7, VER-13: a ledger that does not answer within ledgerTimeoutMs is ECT_LEDGER_UNAVAILABLE', async () => {
    const ledger = new Ledger({ backend: new BrokenBackend('hang') });
    await rejectsWith(createVerifier(verifyOptions({ ledger, ledgerTimeoutMs: 20 })).verify(token()), 'ECT_LEDGER_UNAVAILABLE');
  });

  test('LED-7: the degrade policy accepts the token as L2 and says why', async () => {
    for (const mode of ['throw', 'hang'] as const) {
      const ledger = new Ledger({ backend: new BrokenBackend(mode) });
      const result = await createVerifier(verifyOptions({ ledger, ledgerTimeoutMs: 20, ledgerFailure: 'degrade' })).verify(token());
      assert.equal(result.level, 2);
      assert.equal(result.receipt, undefined);
      assert.match(result.ledgerDegraded ?? '', /ledger/);
    }
  });

  test('LED-7, FMT-6: a degraded token is recorded in a separate DAG store at the level it got (2), not 3', async () => {
    const store = new MemoryECTStore();
    const ledger = new Ledger({ backend: new BrokenBackend('throw') });
    const verifier = createVerifier(verifyOptions({ ledger, ledgerFailure: 'degrade', dag: { store } }));
    assert.equal((await verifier.verify(token({ wid: WID }))).level, 2);
    assert.equal(store.get(uuid(1), WID)?.level, 2);
    const healthy = createVerifier(verifyOptions({ ledger: new Ledger(), dag: { store } }));
    assert.equal((await healthy.verify(token({ jti: uuid(2), wid: WID }))).level, 3);
    assert.equal(store.get(uuid(2), WID)?.level, 3);
  });

  test('LED-7: degrade never applies at minimum level 3, nor to a duplicate task (not an outage)', async () => {
    const broken = new Ledger({ backend: new BrokenBackend('throw') });
    await rejectsWith(createVerifier(verifyOptions({ ledger: broken, minLevel: 3, ledgerFailure: 'degrade' })).verify(token()), 'ECT_LEDGER_UNAVAILABLE');
    const ledger = new Ledger();
    await ledger.append(token(), claimsOf(token()), 3);
    await rejectsWith(createVerifier(verifyOptions({ ledger, ledgerFailure: 'degrade' })).verify(token()), 'ECT_DAG_DUPLICATE');
  });

  test('LED-7: a backend error that is an ECTError keeps its code', async () => {
    const ledger = new Ledger({ backend: new BrokenBackend('unavailable') });
    const error = await rejectsWith(createVerifier(verifyOptions({ ledger })).verify(token()), 'ECT_LEDGER_UNAVAILABLE');
    assert.match(error.message, /database is locked/);
  });
});
