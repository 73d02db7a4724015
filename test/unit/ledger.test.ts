import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import { ECTError } from '../../src/errors.js';
import { parseToken } from '../../src/format/parse.js';
import type { ECTClaims } from '../../src/format/types.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { RECEIPT_TYP, ReceiptError, verifyReceipt } from '../../src/ledger/receipt.js';
import type { EntryRow } from '../../src/ledger/rows.js';
import type { AppendTransaction, Receipt } from '../../src/ledger/types.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { DEFAULT_LEDGER_TIMEOUT_MS, normalizeOptions } from '../../src/verify/options.js';
import { createVerifier } from '../../src/verify/verify.js';
import {
  keyPair,
  l1Token,
  NOW,
  rejectsWith,
  token,
  uuid,
  verifyOptions,
  WID,
} from '../helpers/fixtures.js';

const sha256 = (...parts: (Uint8Array | string)[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const claimsOf = (jws: string): ECTClaims => parseToken(jws).payload as unknown as ECTClaims;
/** The protected header of a JWS (receipts). */
const headerOf = (jws: string): Record<string, unknown> => {
  const parsed = parseToken(jws);
  return parsed.level === 2 ? parsed.header : {};
};
const RECORDED_AT = 1_700_000_123_456;
const ORIGIN = 'example.org/ect-ledger';
/** The ledger's Ed25519 key (checkpoints and receipts, LED-8). */
const ledgerKey = (): ReturnType<typeof keyPair> => keyPair('EdDSA', 'ledger');

/** A memory ledger with `count` tokens of one workflow, each appended alone; its stored rows. */
async function ledgerWith(
  count: number,
): Promise<{ ledger: Ledger; rows: EntryRow[]; tokens: string[]; receipts: Receipt[] }> {
  const backend = new MemoryLedgerBackend();
  const ledger = await Ledger.open({
    backend,
    key: ledgerKey().privateJwk,
    origin: ORIGIN,
    receiptIssuer: 'spiffe://example.org/ledger',
    clock: () => RECORDED_AT,
  });
  const tokens: string[] = [];
  const receipts: Receipt[] = [];
  for (let i = 1; i <= count; i++) {
    const jws = token({ jti: uuid(i), wid: WID, pred: i === 1 ? [] : [uuid(i - 1)] });
    tokens.push(jws);
    receipts.push(await ledger.append({ token: jws, level: 3 }));
  }
  return { ledger, rows: backend.tables.entries, tokens, receipts };
}

/**
 * A backend whose append transactions fail (throw), never start (hang), or fail with an ECTError
 * (unavailable); reads are the memory backend's.
 */
class BrokenBackend extends MemoryLedgerBackend {
  constructor(readonly mode: 'throw' | 'hang' | 'unavailable') {
    super();
  }
  override beginAppend(): Promise<AppendTransaction> {
    if (this.mode === 'throw') return Promise.reject(new Error('disk I/O error'));
    if (this.mode === 'unavailable') {
      return Promise.reject(new ECTError('ECT_LEDGER_UNAVAILABLE', 'database is locked'));
    }
    return new Promise<AppendTransaction>(() => {});
  }
}

/** A memory backend whose append transactions start `delayMs` late: a slow, working ledger. */
class SlowBackend extends MemoryLedgerBackend {
  constructor(readonly delayMs: number) {
    super();
  }
  override async beginAppend(options: {
    readonly scopes: readonly string[];
  }): Promise<AppendTransaction> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.beginAppend(options);
  }
}

/** The five-line entry text of LED-2. */
function entryText(seq: number, level: number, recordedAt: number, jws: string): string {
  return `ect-ledger-entry/v1\n${seq}\n${level}\n${recordedAt}\n${jws}\n`;
}

describe('entries and the tree (LED-2)', () => {
  test(
    'LED-2: the leaf is SHA-256(0x00 || five-line entry text) and the root SHA-256(0x01 || ' +
      'left || right), computed by hand',
    async () => {
      const { ledger, tokens, receipts } = await ledgerWith(2);
      const [t1, t2] = tokens as [string, string];
      const text1 = entryText(1, 3, RECORDED_AT, t1);
      assert.equal(text1.split('\n').length, 6);
      const leaf1 = sha256(Buffer.from([0]), Buffer.from(text1, 'utf8'));
      const leaf2 = sha256(Buffer.from([0]), Buffer.from(entryText(2, 3, RECORDED_AT, t2), 'utf8'));
      assert.equal(receipts[0]!.leafHash, leaf1.toString('base64'));
      assert.equal(receipts[1]!.leafHash, leaf2.toString('base64'));
      const root = sha256(Buffer.from([1]), leaf1, leaf2);
      const report = await ledger.verifyIntegrity();
      assert.equal(report.root, root.toString('base64'));
      // The checkpoint of size 2 (LED-8) signs that root under the ledger's origin.
      const note = (await ledger.checkpoint())!.note;
      assert.ok(note.startsWith(`${ORIGIN}\n2\n${root.toString('base64')}\n\n`), note);
      assert.equal(parseTlogProof({ text: receipts[1]!.proof }).checkpoint, note);
      // The token hash of the receipt is SHA-256 of the token's bytes.
      assert.equal(receipts[0]!.tokenHash, sha256(t1).toString('base64url'));
    },
  );

  test(
    'LED-2: an entry stores the token exactly as received, its claims, its level and the time ' +
      'recorded',
    async () => {
      const { ledger, tokens } = await ledgerWith(1);
      const entry = await ledger.entry(uuid(1), WID);
      assert.equal(entry?.seq, 1);
      assert.equal(entry?.token, tokens[0]);
      assert.deepEqual(entry?.claims, claimsOf(tokens[0]!));
      assert.equal(entry?.level, 3);
      assert.equal(entry?.recordedAt, RECORDED_AT);
      assert.equal(entry?.wid, WID);
      assert.equal(entry?.jti, uuid(1));
    },
  );

  test('LED-2: verifyIntegrity accepts an untouched log', async () => {
    const { ledger } = await ledgerWith(5);
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, true);
    assert.equal(report.checked, 5);
    assert.equal(report.size, 5);
    assert.equal(report.checkpoints, 5);
    const empty = await new Ledger().verifyIntegrity();
    assert.equal(empty.ok, true);
    assert.equal(empty.checked, 0);
    assert.equal(empty.root, sha256('').toString('base64'));
  });

  test('LED-2: a changed token is detected (with or without its derived columns updated)', async () => {
    const { ledger, rows } = await ledgerWith(4);
    const forged = token({ jti: uuid(3), wid: WID, pred: [uuid(2)], exec_act: 'forged' });
    rows[2] = { ...rows[2]!, token: forged };
    let report = await ledger.verifyIntegrity();
    assert.equal(report.firstBad?.seq, 3);
    assert.equal(report.firstBad?.column, 'claims');
    // The row made consistent with the forged token: its leaf no longer gives the signed root.
    rows[2] = { ...rows[2], claims: JSON.stringify(claimsOf(forged)) };
    report = await ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.equal(report.firstBad?.seq, 3);
    assert.equal(report.firstBad?.table, 'entries');
    assert.match(report.firstBad?.reason ?? '', /leaf hash/);
  });

  test('LED-2: a removed entry is detected (middle and first)', async () => {
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
    [rows[1], rows[2]] = [
      { ...rows[1], seq: 2 },
      { ...rows[2], seq: 3 },
    ];
    const report = await ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.equal(report.firstBad?.seq, 2);
  });

  test('LED-2: changed recorded claims are detected (the DAG reads them: jti, iat, pred)', async () => {
    for (const change of [
      { jti: uuid(99) },
      { iat: NOW - 1 },
      { pred: [] },
      { exec_act: 'forged' },
      { iss: 'spiffe://evil/agent' },
    ]) {
      const { ledger, rows } = await ledgerWith(3);
      rows[1] = {
        ...rows[1]!,
        claims: JSON.stringify({ ...JSON.parse(rows[1]!.claims), ...change }),
      };
      const report = await ledger.verifyIntegrity();
      assert.equal(report.ok, false, JSON.stringify(change));
      assert.equal(report.firstBad?.seq, 2);
      assert.equal(report.firstBad?.column, 'claims');
    }
  });
});

describe('ledger operations (LED-1) and receipts (LED-5)', () => {
  test('LED-1: append, get by jti and wid, list a workflow, read from a sequence number', async () => {
    const { ledger } = await ledgerWith(3);
    const extra = token({ jti: uuid(50) });
    const receipt = await ledger.append({ token: extra, level: 3 });
    assert.equal(receipt.seq, 4);
    assert.equal(receipt.wid, undefined);
    assert.equal((await ledger.entry(uuid(2), WID))?.seq, 2);
    assert.equal(await ledger.entry(uuid(2), undefined), undefined);
    assert.deepEqual(
      (await ledger.workflowEntries(WID)).map((e) => e.seq),
      [1, 2, 3],
    );
    const fromTwo: number[] = [];
    for await (const entry of ledger.entries(2)) fromTwo.push(entry.seq);
    assert.deepEqual(fromTwo, [2, 3, 4]);
    assert.equal((await ledger.entryAt(4))?.jti, uuid(50));
    assert.deepEqual((await ledger.get(uuid(3), WID))?.pred, [uuid(2)]);
    assert.deepEqual(
      (await ledger.findByJti(uuid(3))).map((n) => n.wid),
      [WID],
    );
    assert.equal(await ledger.isReferenced(uuid(2)), true);
    assert.equal(await ledger.isReferenced(uuid(3)), false);
    assert.deepEqual(
      (await ledger.listWorkflow(WID)).map((n) => n.jti),
      [uuid(1), uuid(2), uuid(3)],
    );
  });

  test('LED-1: append-only: the same task (wid, jti) is recorded once (ECT_DAG_DUPLICATE)', async () => {
    const { ledger, tokens } = await ledgerWith(2);
    await rejectsWith(ledger.append({ token: tokens[0]!, level: 3 }), 'ECT_DAG_DUPLICATE');
    assert.equal((await ledger.verifyIntegrity()).checked, 2);
  });

  test(
    'LED-5: receipts are JWS (typ ect-receipt+jwt) signed by the ledger and verified offline ' +
      'with its public key',
    async () => {
      const { ledger } = await ledgerWith(1);
      const jws = token({ jti: uuid(2), wid: WID, pred: [uuid(1)] });
      const receipt = await ledger.append({ token: jws, level: 3 });
      const parsed = parseToken(receipt.jws);
      assert.equal(parsed.level === 2 && parsed.header['typ'], RECEIPT_TYP);
      assert.equal(RECEIPT_TYP, 'ect-receipt+jwt');
      const publicJwk = ledgerKey().publicJwk;
      assert.equal('d' in publicJwk, false);
      const { checkpoint, ...checked } = verifyReceipt({
        jws: receipt.jws,
        key: publicJwk,
        token: jws,
      });
      assert.deepEqual(checked, receipt);
      assert.equal(checked.seq, 2);
      assert.equal(checked.jti, uuid(2));
      assert.equal(checked.wid, WID);
      assert.equal(checked.level, 3);
      assert.equal(checked.tokenHash, sha256(jws).toString('base64url'));
      // LED-9: the inclusion proof is against the signed checkpoint of the batch.
      assert.equal(checkpoint.size, 2);
      assert.equal(checkpoint.origin, ORIGIN);
      assert.equal(parsed.payload['iss'], 'spiffe://example.org/ledger');
    },
  );

  test(
    'LED-5: a changed receipt, another key, another token or a wrong typ is refused ' +
      '(ReceiptError)',
    async () => {
      const { ledger } = await ledgerWith(1);
      const jws = token({ jti: uuid(2), wid: WID });
      const receipt = await ledger.append({ token: jws, level: 3 });
      const key = ledgerKey().publicJwk;
      const [h, p, s] = receipt.jws.split('.');
      const changed = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), seq: 1 }),
      ).toString('base64url');
      const refused = (action: () => unknown) =>
        assert.throws(
          action,
          (e: unknown) => e instanceof ReceiptError && e.code === 'ECT_RECEIPT_INVALID',
        );
      refused(() => verifyReceipt({ jws: `${h}.${changed}.${s}`, key }));
      refused(() =>
        verifyReceipt({ jws: receipt.jws, key: keyPair('EdDSA', 'not-the-ledger').publicJwk }),
      );
      refused(() => verifyReceipt({ jws: receipt.jws, key: keyPair('ES384').publicJwk }));
      refused(() => verifyReceipt({ jws: receipt.jws, key, token: token({ jti: uuid(3) }) }));
      refused(() => verifyReceipt({ jws: token(), key: keyPair().publicJwk }));
      refused(() => verifyReceipt({ jws: 'not a receipt', key }));
    },
  );

  test(
    'LED-5: a memory ledger without a key signs with one of its own; a separate ES256 receipt ' +
      'key works with the ledger verifier key',
    async () => {
      const jws = token();
      const ephemeral = new Ledger();
      const own = await ephemeral.append({ token: jws, level: 3 });
      assert.equal(headerOf(own.jws)['typ'], RECEIPT_TYP);
      assert.match((await ephemeral.vkey()) ?? '', /^ect-ledger\.invalid\/memory\+/);
      const receiptKey = keyPair('ES256', 'receipts');
      const ledger = await Ledger.open({
        key: ledgerKey().privateJwk,
        origin: ORIGIN,
        receiptKey: { key: receiptKey.privateJwk, kid: 'receipts-1' },
      });
      const receipt = await ledger.append({ token: jws, level: 2 });
      assert.equal(headerOf(receipt.jws)['alg'], 'ES256');
      assert.equal(headerOf(receipt.jws)['kid'], 'receipts-1');
      const ledgerVkey = (await ledger.vkey())!;
      assert.equal(
        verifyReceipt({ jws: receipt.jws, key: receiptKey.publicJwk, ledgerVkey, token: jws })
          .level,
        2,
      );
      // An ES256 key is not the checkpoint key: the ledger's verifier key must be given.
      assert.throws(
        () => verifyReceipt({ jws: receipt.jws, key: receiptKey.publicJwk }),
        ReceiptError,
      );
    },
  );
});

describe('recording through the verifier (FMT-6, VER-13, LED-7)', () => {
  test(
    'FMT-6, VER-13: a verifier with a ledger appends each accepted L2 token, which then counts ' +
      'as L3 with a receipt',
    async () => {
      const ledger = new Ledger({ key: ledgerKey().privateJwk });
      const verifier = createVerifier(verifyOptions({ record: { ledger } }));
      const jws = token({ wid: WID });
      const result = await verifier.verify(jws);
      assert.equal(result.level, 3);
      assert.equal(result.receipt?.seq, 1);
      assert.equal(result.receipt?.level, 3);
      assert.equal(
        verifyReceipt({ jws: result.receipt.jws, key: ledgerKey().publicJwk, token: jws }).jti,
        uuid(1),
      );
      const entry = await ledger.entry(uuid(1), WID);
      assert.equal(entry?.token, jws);
      assert.equal(entry?.level, 3);
    },
  );

  test(
    'FMT-6, FMT-4: minimum level 3 accepts L2 tokens through the ledger and refuses L1 ' +
      '(ECT_LEVEL_TOO_LOW)',
    async () => {
      const ledger = new Ledger();
      const verifier = createVerifier(verifyOptions({ record: { ledger }, minLevel: 3 }));
      assert.equal((await verifier.verify(token())).level, 3);
      await rejectsWith(verifier.verify(l1Token({ jti: uuid(2) })), 'ECT_LEVEL_TOO_LOW');
      assert.throws(() => createVerifier(verifyOptions({ minLevel: 3 })), {
        name: 'ECTConfigError',
      });
    },
  );

  test('FMT-6: an accepted L1 token is recorded at level 1 and stays level 1', async () => {
    const ledger = new Ledger();
    const verifier = createVerifier(verifyOptions({ record: { ledger }, minLevel: 1 }));
    const result = await verifier.verify(l1Token());
    assert.equal(result.level, 1);
    assert.equal(result.receipt?.level, 1);
    assert.equal((await ledger.entry(uuid(1), undefined))?.level, 1);
  });

  test('VER-11, VER-13: the ledger serves as the DAG store when none is given', async () => {
    const ledger = new Ledger();
    const verifier = createVerifier(verifyOptions({ record: { ledger }, dag: {} }));
    await verifier.verify(token({ wid: WID }));
    assert.equal(
      (await verifier.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] }))).level,
      3,
    );
    await rejectsWith(
      verifier.verify(token({ jti: uuid(3), wid: WID, pred: [uuid(9)] })),
      'ECT_DAG_PREDECESSOR_UNKNOWN',
    );
    await rejectsWith(
      verifier.verify(token({ jti: uuid(2), wid: WID, pred: [uuid(1)] })),
      'ECT_DAG_DUPLICATE',
    );
    assert.equal((await ledger.verifyIntegrity()).checked, 2);
  });

  test('LED-7: the synchronous append timeout defaults to 2 s', () => {
    assert.equal(DEFAULT_LEDGER_TIMEOUT_MS, 2000);
    const options = verifyOptions({ record: { ledger: new Ledger() } });
    const record = normalizeOptions(options, () => undefined).record;
    assert.equal(record?.timeoutMs, 2000);
    assert.equal(record?.failure, 'reject');
    assert.equal(record?.mode, 'sync');
    const ledger = new Ledger();
    assert.throws(() => createVerifier(verifyOptions({ record: { ledger, timeoutMs: 0 } })), {
      name: 'ECTConfigError',
    });
    const failure = 'ignore' as never;
    assert.throws(() => createVerifier(verifyOptions({ record: { ledger, failure } })), {
      name: 'ECTConfigError',
    });
  });

  test(
    'LED-7, VER-13: a ledger that fails is ' +
      'ECT_LEDGER_UNAVAILABLE (reject policy, the default)',
    async () => {
      const ledger = new Ledger({ backend: new BrokenBackend('throw') });
      const error = await rejectsWith(
        createVerifier(verifyOptions({ record: { ledger } })).verify(token()),
        'ECT_LEDGER_UNAVAILABLE',
      );
      assert.equal(error.claims?.['jti'], uuid(1));
      await rejectsWith(ledger.append({ token: token(), level: 3 }), 'ECT_LEDGER_UNAVAILABLE');
    },
  );

  test(
    'LED-7, VER-13: a ledger that does not answer within record.timeoutMs is ' +
      'ECT_LEDGER_UNAVAILABLE',
    async () => {
      const ledger = new Ledger({ backend: new BrokenBackend('hang') });
      await rejectsWith(
        createVerifier(verifyOptions({ record: { ledger, timeoutMs: 20 } })).verify(token()),
        'ECT_LEDGER_UNAVAILABLE',
      );
    },
  );

  test(
    'LED-7, VER-13: appends that wait their turn behind slow group commits are not timed out ' +
      'while the ledger keeps committing; a ledger that commits nothing still is',
    async () => {
      // Each batch takes 50 ms and holds one append (no group commit): the twelfth append waits
      // about 600 ms, longer than the 400 ms timeout, while the ledger answers all along.
      const backend = new SlowBackend(50);
      const ledger = new Ledger({ backend, groupCommit: false });
      const verifier = createVerifier(verifyOptions({ record: { ledger, timeoutMs: 400 } }));
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => verifier.verify(token({ jti: uuid(100 + i) }))),
      );
      assert.deepEqual(
        results.map((r) => r.level),
        Array.from({ length: 12 }, () => 3),
      );
      assert.equal(backend.tables.entries.length, 12);
      const hung = new Ledger({ backend: new BrokenBackend('hang') });
      const waiting = createVerifier(verifyOptions({ record: { ledger: hung, timeoutMs: 50 } }));
      await rejectsWith(waiting.verify(token()), 'ECT_LEDGER_UNAVAILABLE');
    },
  );

  test('LED-7: the degrade policy accepts the token as L2 and says why', async () => {
    for (const mode of ['throw', 'hang'] as const) {
      const ledger = new Ledger({ backend: new BrokenBackend(mode) });
      const result = await createVerifier(
        verifyOptions({ record: { ledger, timeoutMs: 20, failure: 'degrade' } }),
      ).verify(token());
      assert.equal(result.level, 2);
      assert.equal(result.receipt, undefined);
      assert.match(result.ledgerDegraded ?? '', /ledger/);
    }
  });

  test(
    'LED-7, FMT-6: a degraded token is recorded in a separate DAG store at the level it got ' +
      '(2), not 3',
    async () => {
      const store = new MemoryECTStore();
      const ledger = new Ledger({ backend: new BrokenBackend('throw') });
      const verifier = createVerifier(
        verifyOptions({ record: { ledger, failure: 'degrade' }, dag: { store } }),
      );
      assert.equal((await verifier.verify(token({ wid: WID }))).level, 2);
      assert.equal(store.get(uuid(1), WID)?.level, 2);
      const record = { ledger: new Ledger() };
      const healthy = createVerifier(verifyOptions({ record, dag: { store } }));
      assert.equal((await healthy.verify(token({ jti: uuid(2), wid: WID }))).level, 3);
      assert.equal(store.get(uuid(2), WID)?.level, 3);
    },
  );

  test('LED-7: degrade never applies at minimum level 3, nor to a duplicate task (not an outage)', async () => {
    const broken = new Ledger({ backend: new BrokenBackend('throw') });
    await rejectsWith(
      createVerifier(
        verifyOptions({ record: { ledger: broken, failure: 'degrade' }, minLevel: 3 }),
      ).verify(token()),
      'ECT_LEDGER_UNAVAILABLE',
    );
    const ledger = new Ledger();
    await ledger.append({ token: token(), level: 3 });
    await rejectsWith(
      createVerifier(verifyOptions({ record: { ledger, failure: 'degrade' } })).verify(token()),
      'ECT_DAG_DUPLICATE',
    );
  });

  test('LED-7: a backend error that is an ECTError keeps its code', async () => {
    const ledger = new Ledger({ backend: new BrokenBackend('unavailable') });
    const error = await rejectsWith(
      createVerifier(verifyOptions({ record: { ledger } })).verify(token()),
      'ECT_LEDGER_UNAVAILABLE',
    );
    assert.match(error.message, /database is locked/);
  });
});
