/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the spec's example, round trips, and every malformed
 * form rejected with TLOG_MALFORMED.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from '../../src/tlog/checkpoint.js';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import { parseNote } from '../../src/tlog/note.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TlogError, `expected a TlogError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

// c2sp.org/tlog-checkpoint, the example at the top of the spec.
const ROOT_B64 = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
const BODY = `example.com/behind-the-sofa\n20852163\n${ROOT_B64}\n`;
const SPEC_NOTE =
  `${BODY}\n` +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/' +
  'Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const ROOT = new Uint8Array(Buffer.from(ROOT_B64, 'base64'));

describe('checkpoint: the spec example', () => {
  test('the signed example parses as a note whose text is the checkpoint', () => {
    const { text, signatures } = parseNote({ note: SPEC_NOTE });
    assert.equal(text, BODY);
    assert.equal(signatures[0]!.name, 'example.com/behind-the-sofa');
    const checkpoint = parseCheckpoint({ text });
    assert.equal(checkpoint.origin, 'example.com/behind-the-sofa');
    assert.equal(checkpoint.size, 20852163);
    assert.deepEqual(checkpoint.root, ROOT);
    assert.deepEqual(checkpoint.extensions, []);
    assert.equal(formatCheckpoint(checkpoint), BODY);
  });

  test('extension lines are kept in order; the empty tree has size 0', () => {
    const text = `o\n0\n${ROOT_B64}\next one\next two\n`;
    const checkpoint = parseCheckpoint({ text });
    assert.equal(checkpoint.size, 0);
    assert.deepEqual(checkpoint.extensions, ['ext one', 'ext two']);
    assert.equal(formatCheckpoint(checkpoint), text);
  });

  test('the largest safe size is accepted; origins are opaque (spaces and + allowed)', () => {
    const text = `a b+c\n9007199254740991\n${ROOT_B64}\n`;
    assert.equal(parseCheckpoint({ text }).size, Number.MAX_SAFE_INTEGER);
    assert.equal(parseCheckpoint({ text }).origin, 'a b+c');
  });
});

describe('checkpoint: malformed forms (TLOG_MALFORMED)', () => {
  const cases: [string, string][] = [
    ['no final newline', BODY.slice(0, -1)],
    ['empty text', ''],
    ['two lines', 'o\n1\n'],
    ['empty origin', `\n1\n${ROOT_B64}\n`],
    ['empty size', `o\n\n${ROOT_B64}\n`],
    ['leading zero', `o\n01\n${ROOT_B64}\n`],
    ['negative size', `o\n-1\n${ROOT_B64}\n`],
    ['plus sign', `o\n+1\n${ROOT_B64}\n`],
    ['space before the size', `o\n 1\n${ROOT_B64}\n`],
    ['exponent', `o\n1e3\n${ROOT_B64}\n`],
    ['hex size', `o\n0x10\n${ROOT_B64}\n`],
    ['fraction', `o\n1.0\n${ROOT_B64}\n`],
    ['size beyond 2^53 - 1', `o\n9007199254740992\n${ROOT_B64}\n`],
    ['non-ASCII digits', `o\n١٢\n${ROOT_B64}\n`],
    ['empty root', 'o\n1\n\n'],
    ['root of 31 bytes', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['root of 33 bytes', `o\n1\n${Buffer.alloc(33).toString('base64')}\n`],
    ['root without padding', `o\n1\n${ROOT_B64.slice(0, -1)}\n`],
    ['root in base64url', `o\n1\n${Buffer.from(ROOT).toString('base64url')}=\n`],
    ['root with non-zero trailing bits', `o\n1\n${ROOT_B64.replace('2I=', '2J=')}\n`],
    ['root with a space', `o\n1\n ${ROOT_B64}\n`],
    ['empty extension line', `o\n1\n${ROOT_B64}\n\n`],
    ['empty line between extensions', `o\n1\n${ROOT_B64}\na\n\nb\n`],
    ['carriage return', `o\r\n1\n${ROOT_B64}\n`],
    ['control character', `o\u0000\n1\n${ROOT_B64}\n`],
    ['lone surrogate', `o\ud800\n1\n${ROOT_B64}\n`],
  ];
  for (const [what, text] of cases) {
    test(what, () => throwsCode(() => parseCheckpoint({ text }), 'TLOG_MALFORMED'));
  }

  test('formatCheckpoint refuses what it could not write back', () => {
    const good: Checkpoint = { origin: 'o', size: 1, root: ROOT, extensions: [] };
    const bad: Partial<Checkpoint>[] = [
      { origin: '' },
      { origin: 'a\nb' },
      { origin: 'a\rb' },
      { size: -1 },
      { size: 1.5 },
      { size: Number.NaN },
      { size: 2 ** 53 },
      { root: new Uint8Array(31) },
      { extensions: [''] },
      { extensions: ['a\nb'] },
    ];
    for (const change of bad) {
      throwsCode(() => formatCheckpoint({ ...good, ...change }), 'TLOG_MALFORMED');
    }
  });
});

describe('checkpoint: properties', () => {
  const lineText = fc
    .array(fc.constantFrom(...'ab0 +/=é—'.split('')), { minLength: 1, maxLength: 12 })
    .map((a) => a.join(''));
  const checkpoint: fc.Arbitrary<Checkpoint> = fc.record(
    {
      origin: lineText,
      size: fc.oneof(fc.nat(), fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER)),
      root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      extensions: fc.array(lineText, { maxLength: 3 }),
    },
    { noNullPrototype: true },
  );

  test('parse(format(c)) is c', () => {
    fc.assert(
      fc.property(checkpoint, (c) => {
        assert.deepEqual(parseCheckpoint({ text: formatCheckpoint(c) }), c);
      }),
      { numRuns: 300 },
    );
  });

  test('random text never crashes the parser; what parses is written back unchanged', () => {
    const pieces = ['o', '\n', '0', '1', '01', ROOT_B64, ROOT_B64.slice(1), ' ', '\r', '=', '-'];
    const piece = fc.constantFrom(...pieces);
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(piece, { maxLength: 12 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        let parsed: Checkpoint;
        try {
          parsed = parseCheckpoint({ text: t });
        } catch (error) {
          assert.ok(error instanceof TlogError && error.code === 'TLOG_MALFORMED', String(error));
          return;
        }
        assert.equal(formatCheckpoint(parsed), t);
      }),
      { numRuns: 500 },
    );
  });
});
