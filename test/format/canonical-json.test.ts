/**
 * RFC 8785 (JSON Canonicalization Scheme) against the RFC's own examples: the §3.2.2 sample, the
 * §3.2.3 sorting sample and the Appendix B number samples; and the refusals of I-JSON (CLM-9).
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { canonicalJSON, hashJSON } from '../../src/format/canonical-json.js';

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

function refused(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => canonicalJSON(value),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ECT_MALFORMED');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('RFC 8785 canonical JSON (CLM-9)', () => {
  test('CLM-9: the §3.2.2 sample (numbers, escapes, literals, member order)', () => {
    const input: unknown = JSON.parse(
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
        '  "literals": [null, true, false]\n}',
    );
    const expected =
      '{"literals":[null,true,false],' +
      '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    assert.equal(canonicalJSON(input), expected);
  });

  test('CLM-9: the §3.2.3 sorting sample (UTF-16 code units, not code points)', () => {
    const input: unknown = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return",' +
        '"\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // Not JavaScript's property order either: that puts the integer-like name "1" first.
    assert.deepEqual(Object.keys(input as object)[0], '1');
    assert.equal(
      canonicalJSON(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign",' +
        '"😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('CLM-9: the Appendix B number samples (ECMAScript Number serialisation)', () => {
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of samples) assert.equal(canonicalJSON(fromBits(bits)), text, bits);
    refused(fromBits('7fffffffffffffff'), /not finite/);
    refused(fromBits('7ff0000000000000'), /not finite/);
  });

  test('CLM-9: white space is removed and nested members are sorted at every depth', () => {
    const value = { b: [1, { z: true, a: null }], a: { y: 'x', c: [] } };
    assert.equal(canonicalJSON(value), '{"a":{"c":[],"y":"x"},"b":[1,{"a":null,"z":true}]}');
  });

  test('CLM-9: values are taken as JSON.stringify sends them (toJSON, undefined, boxed)', () => {
    const date = new Date(0);
    const value = { when: date, gone: undefined, list: [undefined, () => 1], n: new Number(2) };
    const expected = '{"list":[null,null],"n":2,"when":"1970-01-01T00:00:00.000Z"}';
    assert.equal(canonicalJSON(value), expected);
    assert.equal(canonicalJSON(value), canonicalJSON(JSON.parse(JSON.stringify(value))));
  });

  test('CLM-9: I-JSON refusals: unpaired surrogates, BigInt, cycles, no JSON value', () => {
    refused({ a: '\ud800' }, /unpaired surrogate/);
    refused({ ['\udc00']: 1 }, /unpaired surrogate/);
    refused({ a: 1n }, /BigInt/);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = [cycle];
    refused(cycle, /cycle/);
    refused(undefined, /no JSON form/);
    // A shared (not cyclic) object is fine.
    const shared = { x: 1 };
    assert.equal(canonicalJSON([shared, shared]), '[{"x":1},{"x":1}]');
  });

  test('CLM-9: nesting deeper than the call stack is serialised, not a RangeError', () => {
    const depth = 100_000;
    const text = '['.repeat(depth) + ']'.repeat(depth);
    assert.equal(canonicalJSON(JSON.parse(text)), text);
  });

  test('CLM-9: hashJSON is the unpadded base64url SHA-256 of the canonical UTF-8 text', () => {
    const value = { b: 'é', a: 1 };
    const expected = createHash('sha256').update('{"a":1,"b":"é"}', 'utf8').digest('base64url');
    assert.equal(hashJSON(value), expected);
    assert.match(hashJSON(value), /^[A-Za-z0-9_-]{43}$/);
  });
});
