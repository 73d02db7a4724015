/**
 * tlog-proof files (c2sp.org/tlog-proof@v1): the spec's example header with a real checkpoint,
 * round trips, and every malformed form rejected with TLOG_MALFORMED.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatCheckpoint } from '../../src/tlog/checkpoint.js';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import { ed25519NoteSigner, signNote } from '../../src/tlog/note.js';
import { formatTlogProof, parseTlogProof } from '../../src/tlog/proof-file.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TlogError, `expected a TlogError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

// c2sp.org/tlog-proof: the example's header lines. Its checkpoint has elided signatures, so the
// checkpoint example of c2sp.org/tlog-checkpoint stands in for it.
const EXTRA = 'YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ';
const HASHES = [
  'gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=',
  'B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=',
  'EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=',
  'RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=',
  'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=',
];
const CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/' +
  'Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const HEAD = `c2sp.org/tlog-proof@v1\nextra ${EXTRA}\nindex 73894\n${HASHES.join('\n')}\n`;
const PROOF = `${HEAD}\n${CHECKPOINT}`;
const HASH = HASHES[0]!;

describe('tlog-proof: the spec example', () => {
  test('parses into extra, index, five hashes and the checkpoint verbatim; formats back', () => {
    const parsed = parseTlogProof({ text: PROOF });
    assert.equal(parsed.index, 73894);
    assert.deepEqual(parsed.extra, new Uint8Array(Buffer.from(EXTRA, 'base64')));
    assert.deepEqual(
      parsed.proof.map((h) => Buffer.from(h).toString('base64')),
      HASHES,
    );
    assert.equal(parsed.checkpoint, CHECKPOINT);
    assert.equal(formatTlogProof(parsed), PROOF);
  });

  test('without extra and with an empty proof (a tree of one leaf)', () => {
    const text = `c2sp.org/tlog-proof@v1\nindex 0\n\n${CHECKPOINT}`;
    const parsed = parseTlogProof({ text });
    assert.deepEqual(parsed, { index: 0, proof: [], checkpoint: CHECKPOINT });
    assert.equal('extra' in parsed, false);
    assert.equal(formatTlogProof(parsed), text);
  });

  test('a checkpoint with several signature lines stays verbatim', () => {
    const more = `${CHECKPOINT}— witness.example/w1 AAAAAAA=\n`;
    assert.equal(parseTlogProof({ text: `${HEAD}\n${more}` }).checkpoint, more);
  });
});

describe('tlog-proof: malformed forms (TLOG_MALFORMED)', () => {
  const cases: [string, string][] = [
    ['empty text', ''],
    ['another header', PROOF.replace('@v1', '@v2')],
    ['header with a trailing space', PROOF.replace('@v1\n', '@v1 \n')],
    ['no blank line', HEAD],
    ['no index line', `c2sp.org/tlog-proof@v1\nextra ${EXTRA}\n${HASH}\n\n${CHECKPOINT}`],
    ['index with a leading zero', PROOF.replace('index 73894', 'index 073894')],
    ['negative index', PROOF.replace('index 73894', 'index -1')],
    ['index without space', PROOF.replace('index 73894', 'index73894')],
    ['index with two spaces', PROOF.replace('index 73894', 'index  73894')],
    ['index beyond 2^53 - 1', PROOF.replace('index 73894', 'index 9007199254740992')],
    ['index twice', PROOF.replace('index 73894', 'index 73894\nindex 1')],
    ['extra after index', `c2sp.org/tlog-proof@v1\nindex 1\nextra ${EXTRA}\n\n${CHECKPOINT}`],
    ['extra twice', PROOF.replace(`extra ${EXTRA}`, `extra ${EXTRA}\nextra ${EXTRA}`)],
    ['extra not base64', PROOF.replace(`extra ${EXTRA}`, 'extra ***')],
    ['extra without padding', PROOF.replace(`extra ${EXTRA}`, 'extra YQ')],
    ['hash of 31 bytes', PROOF.replace(HASH, Buffer.alloc(31).toString('base64'))],
    ['hash with non-zero trailing bits', PROOF.replace(HASH, HASH.replace('lQ=', 'lR='))],
    ['hash in base64url', PROOF.replace(HASH, Buffer.from(HASH, 'base64').toString('base64url'))],
    ['64 hashes', `c2sp.org/tlog-proof@v1\nindex 1\n${`${HASH}\n`.repeat(64)}\n${CHECKPOINT}`],
    ['carriage returns', PROOF.replace(/\n/g, '\r\n')],
    ['checkpoint without signatures', `${HEAD}\n${CHECKPOINT.split('\n\n')[0]}\n`],
    ['checkpoint text not a checkpoint', `${HEAD}\nhello\n\n— a AAAAAAA=\n`],
    ['two blank lines', `${HEAD}\n\n${CHECKPOINT}`],
  ];
  for (const [what, text] of cases) {
    test(what, () => throwsCode(() => parseTlogProof({ text }), 'TLOG_MALFORMED'));
  }

  test('formatTlogProof refuses what it could not write back', () => {
    const good = { index: 1, proof: [new Uint8Array(32)], checkpoint: CHECKPOINT };
    throwsCode(() => formatTlogProof({ ...good, index: -1 }), 'TLOG_MALFORMED');
    throwsCode(() => formatTlogProof({ ...good, index: 0.5 }), 'TLOG_MALFORMED');
    throwsCode(() => formatTlogProof({ ...good, index: 2 ** 53 }), 'TLOG_MALFORMED');
    throwsCode(() => formatTlogProof({ ...good, proof: [new Uint8Array(33)] }), 'TLOG_MALFORMED');
    const long = Array.from({ length: 64 }, () => new Uint8Array(32));
    throwsCode(() => formatTlogProof({ ...good, proof: long }), 'TLOG_MALFORMED');
    throwsCode(() => formatTlogProof({ ...good, checkpoint: 'not a note' }), 'TLOG_MALFORMED');
  });
});

describe('tlog-proof: properties', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = ed25519NoteSigner({ name: 'example.com/log', privateKey });
  const signedCheckpoint = fc
    .record({ size: fc.nat(), root: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
    .map(({ size, root }) => {
      const text = formatCheckpoint({ origin: 'example.com/log', size, root, extensions: [] });
      return signNote({ text, signers: [signer] });
    });
  const proofValue = fc.record(
    {
      index: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
      proof: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 63 }),
      checkpoint: signedCheckpoint,
      extra: fc.uint8Array({ maxLength: 40 }),
    },
    { requiredKeys: ['index', 'proof', 'checkpoint'], noNullPrototype: true },
  );

  test('parse(format(p)) is p', () => {
    fc.assert(
      fc.property(proofValue, (p) => {
        assert.deepEqual(parseTlogProof({ text: formatTlogProof(p) }), p);
      }),
      { numRuns: 200 },
    );
  });

  test('random text never crashes the parser; what parses is written back unchanged', () => {
    const piece = fc.constantFrom(
      ...['c2sp.org/tlog-proof@v1\n', 'index 1\n', 'index 01\n', 'extra \n', `${HASH}\n`],
      ...['\n', CHECKPOINT, ' ', '\r'],
    );
    const joined = fc.array(piece, { maxLength: 8 }).map((a) => a.join(''));
    const text = fc.oneof(fc.string({ unit: 'binary' }), joined);
    fc.assert(
      fc.property(text, (t) => {
        try {
          const parsed = parseTlogProof({ text: t });
          assert.equal(formatTlogProof(parsed), t);
        } catch (error) {
          assert.ok(error instanceof TlogError && error.code === 'TLOG_MALFORMED', String(error));
        }
      }),
      { numRuns: 500 },
    );
  });
});
