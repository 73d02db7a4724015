/**
 * Signed notes (c2sp.org/signed-note): the known vectors of golang.org/x/mod/sumdb/note's tests
 * and of the spec, round trips, and every malformed form rejected with TLOG_MALFORMED.
 */
import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import {
  decodeBase64Std,
  ed25519NoteSigner,
  ed25519VerifierKey,
  NOTE_MAX_SIGNATURES,
  noteKeyId,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
  type NoteSigner,
} from '../../src/tlog/note.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TlogError, `expected a TlogError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/** An Ed25519 private key from its 32-byte seed (PKCS #8 prefix of RFC 8410). */
function ed25519FromSeed(seed: Uint8Array): KeyObject {
  const prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
}

// golang.org/x/mod/sumdb/note note_test.go: PeterNeumann's key pair and EnochRoot's public key.
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_B64 =
  'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
const PETER_SIG = `— PeterNeumann ${PETER_B64}\n`;
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W' +
  'Wd1RvMc+QQ=\n';
// The base64 part holds a +, so it is everything after the fourth +.
const peterKey = ed25519FromSeed(
  decodeBase64Std(PETER_SKEY.split('+').slice(4).join('+'))!.subarray(1),
);

// c2sp.org/signed-note §Verifier keys, Example.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3m' +
  'FXmRKuwHjG1Yu72IneyaQM=\n';

describe('signed note: known vectors', () => {
  test('the Go signer key gives the Go verifier key, key ID and signature', () => {
    const signer = ed25519NoteSigner({ name: 'PeterNeumann', privateKey: peterKey });
    assert.equal(Buffer.from(signer.keyId).toString('hex'), 'c74f20a3');
    assert.equal(ed25519VerifierKey({ name: 'PeterNeumann', publicKey: peterKey }), PETER_VKEY);
    assert.equal(signNote({ text: TEXT, signers: [signer] }), `${TEXT}\n${PETER_SIG}`);
  });

  test('open: one known key verified, the other returned as unknown (Go TestOpen)', () => {
    const peter = parseVerifierKey({ vkey: PETER_VKEY });
    const enoch = parseVerifierKey({ vkey: ENOCH_VKEY });
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote({ note, verifiers: [peter] });
    assert.equal(one.text, TEXT);
    assert.deepEqual(
      one.verified.map((s) => s.name),
      ['PeterNeumann'],
    );
    assert.deepEqual(
      one.unknown.map((s) => s.name),
      ['EnochRoot'],
    );
    assert.equal(Buffer.from(one.unknown[0]!.keyId).toString('hex'), 'af0cfe78');
    assert.equal(one.verified[0]!.line, PETER_SIG.slice(0, -1));
    const both = openNote({ note, verifiers: [peter, enoch] });
    assert.deepEqual(
      both.verified.map((s) => s.name),
      ['PeterNeumann', 'EnochRoot'],
    );
    assert.equal(both.unknown.length, 0);
    throwsCode(() => openNote({ note, verifiers: [] }), 'TLOG_SIGNATURE_INVALID', /no signature/);
  });

  test('open: repeated lines count once; a corrupted known signature rejects the note', () => {
    const peter = parseVerifierKey({ vkey: PETER_VKEY });
    const twice = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}`;
    const repeated = openNote({ note: twice, verifiers: [peter] });
    assert.equal(repeated.verified.length, 1);
    assert.equal(repeated.unknown.length, 1);
    const corrupted = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    const open = (): unknown => openNote({ note: corrupted, verifiers: [peter] });
    throwsCode(open, 'TLOG_SIGNATURE_INVALID', /PeterNeumann\+c74f20a3/);
    // A corrupted signature of an unknown key is only unknown.
    const other = `${TEXT}\n${PETER_SIG}${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    assert.equal(openNote({ note: other, verifiers: [peter] }).unknown.length, 1);
  });

  test('open: same name with another ID, or same ID with another name, is an unknown key', () => {
    const peter = parseVerifierKey({ vkey: PETER_VKEY });
    const renamed = PETER_SIG.replace('PeterNeumann', 'CarmenSandiego');
    const reId = PETER_SIG.replace('x08g', 'xxxx');
    for (const line of [renamed, reId]) {
      const open = (): unknown => openNote({ note: `${TEXT}\n${line}`, verifiers: [peter] });
      throwsCode(open, 'TLOG_SIGNATURE_INVALID');
      assert.equal(parseNote({ note: `${TEXT}\n${line}` }).signatures.length, 1);
    }
  });

  test('the signed-note spec example verifies with its vkey', () => {
    const verifiers = [parseVerifierKey({ vkey: SPEC_VKEY })];
    const result = openNote({ note: SPEC_NOTE, verifiers });
    assert.equal(result.text, 'This is an example message.\n');
    assert.equal(result.verified.length, 1);
  });

  test('a note text may hold empty lines: the last blank line separates the signatures', () => {
    const signer = ed25519NoteSigner({ name: 'PeterNeumann', privateKey: peterKey });
    const text = 'Ognuno sta solo sul cuor della terra\n\ned è subito sera.\n\n';
    const note = signNote({ text, signers: [signer] });
    const opened = openNote({ note, verifiers: [parseVerifierKey({ vkey: PETER_VKEY })] });
    assert.equal(opened.text, text);
  });
});

describe('verifier keys', () => {
  test('every substring and one-byte change of the Go vkey is refused (Go TestNewVerifier)', () => {
    assert.equal(parseVerifierKey({ vkey: PETER_VKEY }).name, 'PeterNeumann');
    const bytes = Buffer.from(PETER_VKEY);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        const vkey = bytes.subarray(i, j).toString();
        throwsCode(() => parseVerifierKey({ vkey }), 'TLOG_MALFORMED');
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = changed[i]! + 1;
      throwsCode(() => parseVerifierKey({ vkey: changed.toString() }), 'TLOG_MALFORMED');
    }
  });

  test('each problem is named', () => {
    const cases: [string, RegExp][] = [
      ['PeterNeumann+c74f20a3', /three parts/],
      ['Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /name/],
      ['PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /8 lowercase hex/],
      ['PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW', /base64/],
      ['PeterNeumann+c74f20a3+', /base64/],
      // Go's vectors: wrong key length (here also non-canonical base64) and unknown algorithm,
      // each with an adjusted key hash.
      ['PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', /base64/],
      ['PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /type 0x65 is not/],
      ['PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /does not match/],
    ];
    for (const [vkey, message] of cases) {
      throwsCode(() => parseVerifierKey({ vkey }), 'TLOG_MALFORMED', message);
    }
    const long = new Uint8Array(33).fill(9);
    const id = Buffer.from(noteKeyId({ name: 'k', type: 1, publicKey: long })).toString('hex');
    const vkey = `k+${id}+${Buffer.from([1, ...long]).toString('base64')}`;
    throwsCode(() => parseVerifierKey({ vkey }), 'TLOG_MALFORMED', /32 bytes, not 33/);
  });

  test('types 0x02, 0x05, 0x06 and 0xff are refused by name', () => {
    const key = new Uint8Array(32).fill(7);
    for (const type of [0x02, 0x05, 0x06, 0xff]) {
      const id = Buffer.from(noteKeyId({ name: 'k', type, publicKey: key })).toString('hex');
      const vkey = `k+${id}+${Buffer.from([type, ...key]).toString('base64')}`;
      throwsCode(() => parseVerifierKey({ vkey }), 'TLOG_MALFORMED', /not supported/);
    }
  });

  test('a generated key round-trips through its vkey', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = ed25519NoteSigner({ name: 'example.com/log', privateKey });
    const vkey = ed25519VerifierKey({ name: 'example.com/log', publicKey });
    const verifier = parseVerifierKey({ vkey });
    assert.deepEqual(verifier.keyId, signer.keyId);
    const message = new TextEncoder().encode('hi\n');
    const signature = signer.sign(message);
    assert.equal(verifier.verify(message, signature), true);
    assert.equal(verifier.verify(new TextEncoder().encode('ho\n'), signature), false);
    assert.equal(verifier.verify(message, signature.subarray(1)), false);
  });

  test('signers refuse non-Ed25519 keys, public keys and invalid names', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    throwsCode(() => ed25519NoteSigner({ name: 'a', privateKey: ec.privateKey }), 'TLOG_MALFORMED');
    const ed = generateKeyPairSync('ed25519');
    throwsCode(() => ed25519NoteSigner({ name: 'a', privateKey: ed.publicKey }), 'TLOG_MALFORMED');
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u2028b', 'a\tb']) {
      throwsCode(() => ed25519NoteSigner({ name, privateKey: ed.privateKey }), 'TLOG_MALFORMED');
    }
    throwsCode(() => ed25519VerifierKey({ name: 'a', publicKey: ec.publicKey }), 'TLOG_MALFORMED');
  });
});

describe('signed note: malformed forms (TLOG_MALFORMED)', () => {
  const peter = parseVerifierKey({ vkey: PETER_VKEY });
  const cases: [string, string][] = [
    ['no blank line', TEXT],
    ['no signature lines', `${TEXT}\n`],
    ['last line without newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['control character', `\u0001${TEXT}\n${PETER_SIG}`],
    ['carriage return', `${TEXT.replace('\n', '\r\n')}\n${PETER_SIG}`],
    ['lone surrogate', `\ud800${TEXT}\n${PETER_SIG}`],
    ['name with space', `${TEXT}\n— Bad Name ${PETER_B64}\n`],
    ['unexpected line', `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['hyphen instead of em dash', `${TEXT}\n${PETER_SIG.replace('—', '-')}`],
    ['no space after name', `${TEXT}\n— PeterNeumann\n`],
    ['empty name', `${TEXT}\n—  ${PETER_B64}\n`],
    ['name with plus', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Peter+Neumann')}`],
    ['empty signature', `${TEXT}\n— PeterNeumann \n`],
    ['signature shorter than 5 bytes', `${TEXT}\n— PeterNeumann AAAAAA==\n`],
    ['not base64', `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG!\n`],
    ['unpadded base64', `${TEXT}\n${PETER_SIG.replace('AM=', 'AM')}`],
    ['non-zero trailing bits', `${TEXT}\n${PETER_SIG.replace('AM=', 'AN=')}`],
    ['two spaces', `${TEXT}\n${PETER_SIG.replace(' x08', '  x08')}`],
    ['trailing space', `${TEXT}\n${PETER_SIG.replace('=\n', '= \n')}`],
    ['too many signatures', `${TEXT}\n${PETER_SIG.repeat(NOTE_MAX_SIGNATURES + 1)}`],
  ];
  for (const [what, note] of cases) {
    test(what, () => {
      throwsCode(() => parseNote({ note }), 'TLOG_MALFORMED');
      throwsCode(() => openNote({ note, verifiers: [peter] }), 'TLOG_MALFORMED');
    });
  }

  test(`${NOTE_MAX_SIGNATURES} signatures are accepted (the spec asks for at least 16)`, () => {
    const note = `${TEXT}\n${PETER_SIG.repeat(NOTE_MAX_SIGNATURES)}`;
    assert.equal(parseNote({ note }).signatures.length, NOTE_MAX_SIGNATURES);
  });

  test('signNote refuses a text without final newline or with controls, no or bad signers', () => {
    const signer = ed25519NoteSigner({ name: 'PeterNeumann', privateKey: peterKey });
    throwsCode(() => signNote({ text: 'abc', signers: [signer] }), 'TLOG_MALFORMED', /newline/);
    const control = (): unknown => signNote({ text: 'a\u0000b\n', signers: [signer] });
    throwsCode(control, 'TLOG_MALFORMED', /U\+0000/);
    throwsCode(() => signNote({ text: TEXT, signers: [] }), 'TLOG_MALFORMED');
    const badName: NoteSigner = { ...signer, name: 'bad name', sign: (m) => signer.sign(m) };
    throwsCode(() => signNote({ text: TEXT, signers: [badName] }), 'TLOG_MALFORMED');
    const sign = (): Uint8Array => new Uint8Array(64);
    const badId: NoteSigner = { name: 'x', keyId: new Uint8Array(3), sign };
    throwsCode(() => signNote({ text: TEXT, signers: [badId] }), 'TLOG_MALFORMED');
  });
});

describe('signed note: properties', () => {
  const chars = 'ab c+=/—é\u2028\u00a0\u0001\r\ud800'.split('');
  const lineChar = fc.constantFrom(...chars, '\n', '\n\n');
  const text = fc.array(lineChar, { maxLength: 60 }).map((a) => a.join(''));
  const signer = ed25519NoteSigner({ name: 'PeterNeumann', privateKey: peterKey });

  test('random text never crashes the parser: a note or a TlogError', () => {
    const tail = fc.constantFrom('', '\n', `\n${PETER_SIG}`, PETER_SIG, '— a AAAAAAA=\n');
    const noteLike = fc.tuple(text, tail).map(([a, b]) => a + b);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), noteLike), (note) => {
        try {
          parseNote({ note });
        } catch (error) {
          assert.ok(error instanceof TlogError && error.code === 'TLOG_MALFORMED', String(error));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('sign then parse gives back the text and the signature; the note is reproduced', () => {
    const validText = fc
      .array(fc.constantFrom(...'ab c+=/—é\u00a0'.split(''), '\n'), { maxLength: 60 })
      .map((a) => `${a.join('')}\n`);
    fc.assert(
      fc.property(validText, (t) => {
        const note = signNote({ text: t, signers: [signer] });
        const parsed = parseNote({ note });
        assert.equal(parsed.text, t);
        assert.equal(parsed.signatures.length, 1);
        const lines = parsed.signatures.map((s) => `${s.line}\n`).join('');
        assert.equal(`${parsed.text}\n${lines}`, note);
        const verifiers = [parseVerifierKey({ vkey: PETER_VKEY })];
        assert.equal(openNote({ note, verifiers }).verified.length, 1);
      }),
      { numRuns: 200 },
    );
  });

  test('any Ed25519 key round-trips through its vkey (base64 with + and / included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const key = ed25519FromSeed(seed);
        const vkey = ed25519VerifierKey({ name: 'example.com/w', publicKey: key });
        const verifier = parseVerifierKey({ vkey });
        const signer = ed25519NoteSigner({ name: 'example.com/w', privateKey: key });
        assert.deepEqual(verifier.keyId, signer.keyId);
      }),
      { numRuns: 100 },
    );
  });
});
