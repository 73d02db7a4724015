/**
 * LED-5, LED-8, LED-9, LED-10: receipts, checkpoints, inclusion and consistency proofs of the
 * ledger, checked offline with the verifiers of src/tlog (themselves tested against the
 * transparency-dev vectors), and the cost of a proof at 10^6 entries counted in reads.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { ECTConfigError } from '../../src/errors.js';
import { openCheckpoint, ledgerVerifier } from '../../src/ledger/checkpoints.js';
import { entryLeafHash, formatEntry, parseEntry } from '../../src/ledger/entry.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ReceiptError, verifyReceipt } from '../../src/ledger/receipt.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { formatCheckpoint } from '../../src/tlog/checkpoint.js';
import { leafHash, nodeHash } from '../../src/tlog/hash.js';
import { ed25519NoteSigner, signNote } from '../../src/tlog/note.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { splitStoredHashIndex, storedHashCount } from '../../src/tlog/stored-hash.js';
import { verifyConsistency, verifyInclusion } from '../../src/tlog/verify-proof.js';
import { useTestServers } from '../helpers/servers.js';
import { appendBatches, chainOfTokens, ledgerKey, makeToken, ORIGIN } from './support.js';

const env = useTestServers({ tempDir: 'ect-proofs-' });

describe('LED-2 entries', () => {
  test('LED-2: the entry is five lines, each ending in \\n, and its leaf hash is SHA-256(0x00 ‖ entry)', () => {
    const token = makeToken();
    const entry = { seq: 7, level: 3 as const, recordedAt: 1764300000123, token };
    const text = formatEntry(entry);
    assert.equal(text, `ect-ledger-entry/v1\n7\n3\n1764300000123\n${token}\n`);
    assert.deepEqual(parseEntry(text), entry);
    const expected = createHash('sha256')
      .update(Buffer.from([0]))
      .update(text, 'utf8')
      .digest();
    assert.deepEqual(Buffer.from(entryLeafHash(entry)), expected);
    for (const bad of [
      text.replace('v1', 'v2'),
      text.replace('\n7\n', '\n07\n'),
      text.replace('\n3\n', '\n4\n'),
      text.slice(0, -1),
      `${text}x`,
    ]) {
      assert.equal(parseEntry(bad), undefined, JSON.stringify(bad));
    }
    assert.throws(() => formatEntry({ ...entry, token: 'a\nb' }), RangeError);
  });
});

describe('LED-5, LED-9 receipts and inclusion proofs', () => {
  test('LED-5, LED-9: every receipt of a group commit verifies offline against its batch checkpoint', async () => {
    const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
    const tokens = chainOfTokens(12);
    const receipts = await Promise.all(tokens.map((token) => ledger.append({ token, level: 3 })));
    const vkey = (await ledger.vkey())!;
    for (const [i, receipt] of receipts.entries()) {
      const checked = verifyReceipt({
        jws: receipt.jws,
        key: ledgerKey.publicJwk,
        token: tokens[i]!,
      });
      assert.equal(checked.seq, i + 1);
      assert.equal(checked.checkpoint.size, 12, 'one batch, one checkpoint');
      assert.equal(
        verifyReceipt({ jws: receipt.jws, key: ledgerKey.publicJwk, ledgerVkey: vkey }).seq,
        i + 1,
      );
    }
    await ledger.close();
  });

  test('LED-5: a receipt for another token, a changed receipt, or another ledger key is rejected', async () => {
    const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
    const [a, b] = [makeToken(), makeToken()];
    const receipt = await ledger.append({ token: a, level: 3 });
    await ledger.append({ token: b, level: 3 });
    assert.throws(
      () => verifyReceipt({ jws: receipt.jws, key: ledgerKey.publicJwk, token: b }),
      /another token/,
    );
    const [h, p, s] = receipt.jws.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, seq: 2 })).toString('base64url')}.${s}`;
    assert.throws(
      () => verifyReceipt({ jws: forged, key: ledgerKey.publicJwk }),
      /signature is invalid/,
    );
    const other = generateKeyPair({ alg: 'EdDSA' });
    assert.throws(() => verifyReceipt({ jws: receipt.jws, key: other.publicJwk }), ReceiptError);
    const otherLedger = await Ledger.open({ key: other.privateJwk, origin: ORIGIN });
    const otherVkey = (await otherLedger.vkey())!;
    assert.throws(
      () => verifyReceipt({ jws: receipt.jws, key: ledgerKey.publicJwk, ledgerVkey: otherVkey }),
      /TLOG_SIGNATURE_INVALID/,
    );
    await otherLedger.close();
    await ledger.close();
  });

  test('LED-5: a separate ES256 receipt key signs receipts; the checkpoint is still checked with the ledger vkey', async () => {
    const receiptKey = generateKeyPair({ alg: 'ES256' });
    const ledger = await Ledger.open({
      key: ledgerKey.privateJwk,
      origin: ORIGIN,
      receiptKey: { key: receiptKey.privateJwk },
    });
    const token = makeToken();
    const receipt = await ledger.append({ token, level: 3 });
    assert.throws(
      () => verifyReceipt({ jws: receipt.jws, key: receiptKey.publicJwk }),
      /give the ledger verifier key/,
    );
    assert.equal(
      verifyReceipt({
        jws: receipt.jws,
        key: receiptKey.publicJwk,
        ledgerVkey: (await ledger.vkey())!,
        token,
      }).seq,
      1,
    );
    await ledger.close();
  });

  test('LED-9: ledger.prove gives a C2SP tlog-proof of any entry against the latest checkpoint', async () => {
    const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
    const tokens = chainOfTokens(21);
    await appendBatches(ledger, tokens, [1, 2, 5, 13]);
    const verifier = ledgerVerifier((await ledger.vkey())!);
    for (let seq = 1; seq <= 21; seq++) {
      const proof = parseTlogProof({ text: await ledger.prove({ seq }) });
      const checkpoint = openCheckpoint({ note: proof.checkpoint, ledger: verifier });
      assert.equal(checkpoint.size, 21);
      const entry = (await ledger.entryAt(seq))!;
      verifyInclusion({
        index: seq - 1,
        size: 21,
        leafHash: entryLeafHash(entry),
        proof: proof.proof,
        root: checkpoint.root,
      });
    }
    await assert.rejects(ledger.prove({ seq: 22 }), ECTConfigError);
    await ledger.close();
  });
});

describe('LED-8, LED-10 checkpoints and consistency', () => {
  test('LED-8: one signed checkpoint per committed batch, over the exact C2SP body', async () => {
    const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
    await appendBatches(ledger, chainOfTokens(10), [4, 1, 5]);
    const verifier = ledgerVerifier((await ledger.vkey())!);
    for (const size of [4, 5, 10]) {
      const checkpoint = openCheckpoint({
        note: (await ledger.checkpointAt(size))!.note,
        ledger: verifier,
      });
      assert.equal(
        checkpoint.text,
        `${ORIGIN}\n${size}\n${Buffer.from(checkpoint.root).toString('base64')}\n`,
      );
    }
    assert.equal(await ledger.checkpointAt(6), undefined);
    await ledger.close();
  });

  test('LED-10: a consistency proof between any two checkpoints verifies against their signed roots', async () => {
    const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
    const sizes = [1, 2, 3, 1, 7, 2, 9];
    await appendBatches(ledger, chainOfTokens(25), sizes);
    const verifier = ledgerVerifier((await ledger.vkey())!);
    const points = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
    for (const from of points) {
      for (const to of points.filter((p) => p >= from)) {
        const old = openCheckpoint({
          note: (await ledger.checkpointAt(from))!.note,
          ledger: verifier,
        });
        const now = openCheckpoint({
          note: (await ledger.checkpointAt(to))!.note,
          ledger: verifier,
        });
        const proof = await ledger.proveConsistency({ from, to });
        verifyConsistency({
          oldSize: from,
          newSize: to,
          oldRoot: old.root,
          newRoot: now.root,
          proof,
        });
      }
    }
    await assert.rejects(ledger.proveConsistency({ from: 5, to: 3 }), ECTConfigError);
    await assert.rejects(ledger.proveConsistency({ from: 0, to: 26 }), ECTConfigError);
    await ledger.close();
  });
});

describe('LED-9 proof cost', () => {
  test('LED-9: an inclusion proof at 10^6 entries is one read of O(log n) stored hashes (SQLite)', async () => {
    const N = 1_000_000;
    const path = join(env.dir, 'million.db');
    const backend = await SqliteLedgerBackend.open({ path });
    await backend.close();
    // Every leaf equal, so each level has one hash: the stored tree of 10^6 leaves is written
    // straight into the node table (about 2·10^6 rows) without 10^6 tokens.
    const levels: Uint8Array[] = [leafHash(Buffer.from('leaf'))];
    for (let l = 1; l < 21; l++) levels.push(nodeHash(levels[l - 1]!, levels[l - 1]!));
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO ect_ledger_nodes (id, hash) VALUES (?, ?)');
    db.transaction(() => {
      const count = storedHashCount({ size: N });
      for (let id = 0; id < count; id++) insert.run(id, levels[splitStoredHashIndex(id).level]!);
    })();
    const root = rootOfEqualLeaves(levels, N);
    const privateKey = createPrivateKey({ key: ledgerKey.privateJwk as never, format: 'jwk' });
    const signer = ed25519NoteSigner({ name: ORIGIN, privateKey });
    db.prepare('INSERT INTO ect_ledger_checkpoints (size, note) VALUES (?, ?)').run(
      N,
      signNote({
        text: formatCheckpoint({ origin: ORIGIN, size: N, root, extensions: [] }),
        signers: [signer],
      }),
    );
    db.close();
    const counted = await SqliteLedgerBackend.open({ path });
    const calls: number[] = [];
    const read = counted.readHashes.bind(counted);
    counted.readHashes = async (ids) => {
      calls.push(ids.length);
      return read(ids);
    };
    const ledger = await Ledger.open({
      backend: counted,
      key: ledgerKey.privateJwk,
      origin: ORIGIN,
    });
    for (const seq of [1, 2, 500_000, 999_999, N]) {
      calls.length = 0;
      const proof = parseTlogProof({ text: await ledger.prove({ seq }) });
      assert.deepEqual(calls.length, 1, 'one read');
      assert.ok(calls[0]! <= 2 * Math.ceil(Math.log2(N)) + 2, `${calls[0]} ids`);
      verifyInclusion({ index: seq - 1, size: N, leafHash: levels[0]!, proof: proof.proof, root });
    }
    await ledger.close();
  });
});

/** The RFC 9162 root of `n` equal leaves, from the per-level hashes. */
function rootOfEqualLeaves(levels: readonly Uint8Array[], n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let l = levels.length - 1; l >= 0; l--) if (n & (2 ** l)) parts.push(levels[l]!);
  let acc = parts.at(-1)!;
  for (let i = parts.length - 2; i >= 0; i--) acc = nodeHash(parts[i]!, acc);
  return acc;
}
