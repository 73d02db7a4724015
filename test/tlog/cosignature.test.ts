/**
 * Ed25519 cosignatures, cosignature/v1 (c2sp.org/tlog-cosignature): the spec's example line,
 * signatures checked against a message built by hand from the spec, vkeys of type 0x04, and
 * rejection of changed, untimed or out-of-range cosignatures.
 */
import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { formatCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  cosignatureSigner,
  cosignatureTime,
  cosignatureVerifierKey,
} from '../../src/tlog/cosignature.js';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import {
  ed25519NoteSigner,
  ed25519PublicKeyBytes,
  ed25519VerifierKey,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from '../../src/tlog/note.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TlogError, `expected a TlogError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

// c2sp.org/tlog-cosignature: the example checkpoint with a cosignature (time 1679315147).
const BODY =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_NOTE =
  `${BODY}\n` +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/' +
  'Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2o' +
  'yin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';
const T = 1679315147;
const body = new TextEncoder().encode(BODY);

const witness = generateKeyPairSync('ed25519');
const NAME = 'witness.example/w1';

/** The spec's signed message, built by hand: two header lines, then the checkpoint body. */
function specMessage(time: bigint | number, text: string): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
}

describe('cosignature/v1: the spec example', () => {
  test('the witness line of the example carries key ID 8d66cf3f and time 1679315147', () => {
    const { signatures } = parseNote({ note: SPEC_NOTE });
    const line = signatures[1]!;
    assert.equal(line.name, 'witness.example.com/w1');
    assert.equal(Buffer.from(line.keyId).toString('hex'), '8d66cf3f');
    assert.equal(line.signature.length, 72);
    assert.equal(cosignatureTime({ signature: line.signature }), T);
  });
});

describe('cosignature/v1: signer and verifier', () => {
  const clock = (): number => T * 1000 + 999;
  const signer = cosignatureSigner({ name: NAME, privateKey: witness.privateKey, clock });
  const vkey = cosignatureVerifierKey({ name: NAME, publicKey: witness.publicKey });
  const pub = ed25519PublicKeyBytes({ key: witness.publicKey });

  test('key ID is SHA-256(name ‖ "\\n" ‖ 0x04 ‖ key)[:4]; the vkey has type 0x04', () => {
    const expected = createHash('sha256')
      .update(`${NAME}\n`)
      .update(Buffer.from([4]))
      .update(pub)
      .digest();
    assert.deepEqual(Buffer.from(signer.keyId), expected.subarray(0, 4));
    const name = vkey.slice(0, NAME.length);
    const id = vkey.slice(NAME.length + 1, NAME.length + 9);
    const material = vkey.slice(NAME.length + 10);
    assert.equal(name, NAME);
    assert.equal(id, expected.subarray(0, 4).toString('hex'));
    assert.deepEqual(Buffer.from(material, 'base64'), Buffer.concat([Buffer.from([4]), pub]));
    // The same key as a plain Ed25519 note key gets another ID (signed-note §Verifier keys).
    const plain = ed25519VerifierKey({ name: NAME, publicKey: witness.publicKey });
    assert.notEqual(plain.split('+')[1], id);
  });

  test('sign returns the big-endian seconds and an Ed25519 signature over the framed body', () => {
    const signature = signer.sign(body);
    assert.equal(signature.length, 72);
    assert.equal(Buffer.from(signature.subarray(0, 8)).readBigUInt64BE(0), BigInt(T));
    assert.equal(cosignatureTime({ signature }), T);
    const ok = verify(null, specMessage(T, BODY), witness.publicKey, signature.subarray(8));
    assert.equal(ok, true);
    // Ed25519 is deterministic: the same time and body give the same bytes.
    assert.deepEqual(signer.sign(body), signature);
  });

  test('the 0x04 verifier accepts it; refuses a changed time or body, a bare signature', () => {
    const verifier = parseVerifierKey({ vkey });
    const signature = signer.sign(body);
    assert.equal(verifier.verify(body, signature), true);
    const later = Uint8Array.from(signature);
    later[7] = later[7]! + 1;
    assert.equal(verifier.verify(body, later), false);
    const otherBody = new TextEncoder().encode(BODY.replace('63', '64'));
    assert.equal(verifier.verify(otherBody, signature), false);
    const bare = sign(null, body, witness.privateKey);
    assert.equal(verifier.verify(body, bare), false);
    assert.equal(verifier.verify(body, Buffer.concat([Buffer.alloc(8), bare])), false);
    assert.equal(verifier.verify(body, signature.subarray(0, 71)), false);
  });

  test('a hand-made cosignature verifies; one timed at 2^63 or beyond does not', () => {
    const verifier = parseVerifierKey({ vkey });
    const times = [
      [1n, true],
      [2n ** 63n - 1n, true],
      [2n ** 63n, false],
      [2n ** 64n - 1n, false],
    ];
    for (const [time, valid] of times as [bigint, boolean][]) {
      const stamp = Buffer.alloc(8);
      stamp.writeBigUInt64BE(time);
      const ed = sign(null, specMessage(time, BODY), witness.privateKey);
      const signature = Buffer.concat([stamp, ed]);
      assert.equal(verifier.verify(body, signature), valid, `time ${time}`);
    }
  });

  test('a checkpoint signed by the log and cosigned opens with both keys; each alone too', () => {
    const log = generateKeyPairSync('ed25519');
    const root = new Uint8Array(32).fill(1);
    const text = formatCheckpoint({ origin: 'example.com/log', size: 3, root, extensions: [] });
    const logSigner = ed25519NoteSigner({ name: 'example.com/log', privateKey: log.privateKey });
    const note = signNote({ text, signers: [logSigner, signer] });
    const logVkey = ed25519VerifierKey({ name: 'example.com/log', publicKey: log.publicKey });
    const logVerifier = parseVerifierKey({ vkey: logVkey });
    const witnessVerifier = parseVerifierKey({ vkey });
    assert.equal(openNote({ note, verifiers: [logVerifier, witnessVerifier] }).verified.length, 2);
    assert.equal(openNote({ note, verifiers: [witnessVerifier] }).unknown.length, 1);
    // The witness key as a plain Ed25519 key (type 0x01) does not match the cosignature line.
    const plainVkey = ed25519VerifierKey({ name: NAME, publicKey: witness.publicKey });
    const plain = parseVerifierKey({ vkey: plainVkey });
    throwsCode(
      () => openNote({ note, verifiers: [plain] }),
      'TLOG_SIGNATURE_INVALID',
      /no signature/,
    );
  });

  test('a cosignature line of a known cosigner that fails rejects the note', () => {
    const note = signNote({ text: BODY, signers: [signer] });
    const changed = note.replace(BODY, BODY.replace('20852163', '20852164'));
    const verifiers = [parseVerifierKey({ vkey })];
    throwsCode(() => openNote({ note: changed, verifiers }), 'TLOG_SIGNATURE_INVALID', /w1/);
  });
});

describe('cosignature/v1: refusals', () => {
  test('cosignatureTime refuses other lengths and times beyond 2^53 - 1', () => {
    for (const length of [0, 64, 71, 73, 76]) {
      const signature = new Uint8Array(length);
      throwsCode(() => cosignatureTime({ signature }), 'TLOG_MALFORMED', /72 bytes/);
    }
    const far = new Uint8Array(72);
    far[1] = 0x20;
    throwsCode(() => cosignatureTime({ signature: far }), 'TLOG_MALFORMED', /out of range/);
  });

  test('the signer refuses a clock at or before the epoch (the protocol forbids time 0)', () => {
    for (const now of [0, 999, -5000, Number.NaN]) {
      const clock = (): number => now;
      const signer = cosignatureSigner({ name: NAME, privateKey: witness.privateKey, clock });
      throwsCode(() => signer.sign(body), 'TLOG_MALFORMED', /clock/);
    }
  });

  test('the default clock is the current time', () => {
    const signer = cosignatureSigner({ name: NAME, privateKey: witness.privateKey });
    const time = cosignatureTime({ signature: signer.sign(body) });
    assert.ok(Math.abs(time - Date.now() / 1000) < 5);
  });

  test('the signer refuses invalid names and keys other than Ed25519 private keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bad = [
      { name: 'a b', privateKey: witness.privateKey },
      { name: NAME, privateKey: witness.publicKey },
      { name: NAME, privateKey: ec.privateKey },
    ];
    for (const options of bad) throwsCode(() => cosignatureSigner(options), 'TLOG_MALFORMED');
    const ecKey = { name: NAME, publicKey: ec.publicKey };
    throwsCode(() => cosignatureVerifierKey(ecKey), 'TLOG_MALFORMED');
  });
});
