import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import { verifyECT } from '../../src/verify/verify.js';
import { parseStrictJSON } from '../../src/format/json.js';
import { parseToken } from '../../src/format/parse.js';
import { encodeBase64url } from '../../src/format/base64url.js';
import { DEFAULT_MAX_TOKEN_SIZE } from '../../src/verify/options.js';
import {
  claims,
  ecHeader,
  keyPair,
  l1Token,
  NOW,
  payload,
  rejectsWith,
  signText,
  throwsWith,
  token,
  verifyOptions,
} from '../helpers/fixtures.js';

const b64 = (text: string): string => encodeBase64url(text);

describe('wire forms and level detection (FMT-1, FMT-2, FMT-3)', () => {
  test('FMT-1: a created L2 token is a JWS compact serialization with a JSON header and payload', () => {
    const jws = token();
    const segments = jws.split('.');
    assert.equal(segments.length, 3);
    for (const segment of segments) assert.match(segment, /^[A-Za-z0-9_-]+$/);
    const parsed = parseToken(jws);
    assert.equal(parsed.level, 2);
    if (parsed.level !== 2) return;
    assert.deepEqual(parsed.header, ecHeader());
    assert.deepEqual(
      parsed.payload,
      JSON.parse(Buffer.from(segments[1]!, 'base64url').toString('utf8')),
    );
    assert.equal(parsed.signingInput, `${segments[0]}.${segments[1]}`);
    assert.equal(parsed.signature.length, 64);
  });

  test('FMT-2: an L1 token is one unpadded base64url segment of the UTF-8 JSON claims', () => {
    const l1 = l1Token({ exec_act: 'résumé_review' });
    assert.match(l1, /^[A-Za-z0-9_-]+$/);
    const decoded = JSON.parse(Buffer.from(l1, 'base64url').toString('utf8')) as {
      exec_act: string;
    };
    assert.equal(decoded.exec_act, 'résumé_review');
    const parsed = parseToken(l1);
    assert.equal(parsed.level, 1);
    assert.deepEqual(parsed.payload, decoded);
  });

  test('FMT-3: a value with no "." is L1 and must decode to a JSON object', () => {
    assert.equal(parseToken(b64('{"a":1}')).level, 1);
    for (const text of ['[1,2]', '"text"', '42', 'null', 'not json', '']) {
      throwsWith(() => parseToken(b64(text)), 'ECT_MALFORMED');
    }
  });

  test('FMT-3: one "." or more than two is malformed (a JWE with four is not an ECT)', () => {
    const jws = token();
    const [h, p, s] = jws.split('.');
    for (const bad of [
      `${h}.${p}`,
      `${jws}.`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      '.',
      '..',
      '...',
    ]) {
      throwsWith(() => parseToken(bad), 'ECT_MALFORMED');
    }
  });

  test('FMT-3: a value with two "." that does not parse as a JWS is malformed and never read as L1', () => {
    const jws = token();
    const [h, p] = jws.split('.');
    const l1 = l1Token();
    throwsWith(() => parseToken(`.${p}.AAAA`), 'ECT_MALFORMED'); // empty header
    throwsWith(() => parseToken(`${h}..AAAA`), 'ECT_MALFORMED'); // empty payload
    throwsWith(() => parseToken(`${l1}.${b64('[1]')}.AAAA`), 'ECT_MALFORMED'); // the L1 part alone would parse
    throwsWith(() => parseToken(`${b64('"exec+jwt"')}.${l1}.AAAA`), 'ECT_MALFORMED'); // header not an object
  });

  test('FMT-3, VER-6, HDR-2: an empty signature segment is JWS syntax: it never verifies, and alg "none" is refused for its algorithm', async () => {
    const [h, p] = token().split('.');
    const parsed = parseToken(`${h}.${p}.`);
    assert.equal(parsed.level, 2);
    assert.equal(parsed.level === 2 ? parsed.signature.length : -1, 0);
    await rejectsWith(verifyECT(`${h}.${p}.`, verifyOptions()), 'ECT_SIGNATURE_INVALID');
    const none = `${b64(JSON.stringify({ alg: 'none', typ: 'exec+jwt' }))}.${p}.`;
    await rejectsWith(verifyECT(none, verifyOptions()), 'ECT_ALG_NOT_ALLOWED');
  });

  test('FMT-3: non-canonical base64url (padding, "+/", non-zero trailing bits, bad length) is malformed', () => {
    const l1 = l1Token();
    const jws = token();
    const [h, p, s] = jws.split('.');
    const std = Buffer.from(JSON.stringify(claims()), 'utf8').toString('base64');
    throwsWith(
      () =>
        parseToken(std.includes('+') || std.includes('/') || std.endsWith('=') ? std : `${std}=`),
      'ECT_MALFORMED',
    );
    throwsWith(() => parseToken(`${l1}==`), 'ECT_MALFORMED');
    throwsWith(() => parseToken(`${h}.${p}.${s}=`), 'ECT_MALFORMED');
    throwsWith(() => parseToken(`${h} .${p}.${s}`), 'ECT_MALFORMED');
    // "e30" is {} ; "e31" decodes to the same bytes with a non-zero trailing bit.
    assert.equal(parseToken('e30').level, 1);
    throwsWith(() => parseToken('e31'), 'ECT_MALFORMED');
    throwsWith(() => parseToken('e30A'), 'ECT_MALFORMED'); // length 4n+1
  });

  test('FMT-3: invalid UTF-8 and a byte order mark in a segment are malformed', () => {
    throwsWith(
      () =>
        parseToken(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')),
      'ECT_MALFORMED',
    );
    throwsWith(
      () =>
        parseToken(
          Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]).toString('base64url'),
        ),
      'ECT_MALFORMED',
    );
  });

  test('VER-2: verifyECT reports every parse failure as ECT_MALFORMED, also for a non-string', async () => {
    await rejectsWith(verifyECT('a.b', verifyOptions()), 'ECT_MALFORMED');
    await rejectsWith(verifyECT('', verifyOptions()), 'ECT_MALFORMED');
    await rejectsWith(
      verifyECT(`${b64('{"alg":"ES256"')}.${b64('{}')}.AAAA`, verifyOptions()),
      'ECT_MALFORMED',
    );
    await rejectsWith(verifyECT(42 as unknown as string, verifyOptions()), 'ECT_MALFORMED');
  });
});

describe('strict JSON (CLM-12)', () => {
  test('CLM-12: a duplicate member name in the payload is ECT_MALFORMED, even with a valid signature', async () => {
    const text = JSON.stringify(payload()).replace(
      '"exec_act":"review_spec"',
      '"exec_act":"review_spec","exec_act":"delete_all"',
    );
    assert.ok(text.includes('delete_all'));
    const jws = signText(JSON.stringify(ecHeader()), text);
    throwsWith(() => parseToken(jws), 'ECT_MALFORMED');
    await rejectsWith(verifyECT(jws, verifyOptions()), 'ECT_MALFORMED');
  });

  test('CLM-12: a duplicate member name in the header is ECT_MALFORMED', async () => {
    const jws = signText(
      '{"alg":"ES256","typ":"exec+jwt","kid":"test-ES256","typ":"JWT"}',
      JSON.stringify(payload()),
    );
    await rejectsWith(verifyECT(jws, verifyOptions()), 'ECT_MALFORMED');
  });

  test('CLM-12: duplicates are found in nested objects and behind escapes ("a" and "\\u0061")', () => {
    throwsWith(() => parseToken(b64('{"ect_ext":{"pol":"a","pol":"b"}}')), 'ECT_MALFORMED');
    throwsWith(() => parseToken(b64('{"a":1,"\\u0061":2}')), 'ECT_MALFORMED');
    throwsWith(() => parseToken(b64('{"x":[{"k":1},{"k":2,"k":3}]}')), 'ECT_MALFORMED');
  });

  test('CLM-12: equal names in different objects, and ":" or quotes inside strings, are not duplicates', () => {
    const value = { a: { k: 1 }, b: { k: 2 }, c: 'x":"y', d: ['k', { k: '\\"k\\":' }], 'e:f': 'g' };
    const parsed = parseToken(b64(JSON.stringify(value)));
    assert.deepEqual(parsed.payload, value);
    const spaced = parseToken(b64('{ "a" : 1 ,\r\n\t"b"\n:\t{"a" :2} }'));
    assert.deepEqual(parsed.level, 1);
    assert.deepEqual(spaced.payload, { a: 1, b: { a: 2 } });
  });
});

describe('unpaired surrogates (VER-2; I-JSON, RFC 7493 §2.1)', () => {
  test('VER-2, FMT-1, FMT-2: an escaped unpaired surrogate ("\\ud800", "\\udc00") in a value or a member name is ECT_MALFORMED, signed or not', async () => {
    const text = JSON.stringify(payload());
    const hostile = [
      text.replace('"review_spec"', '"review\\ud800"'), // a lone high surrogate in a value
      text.replace('"review_spec"', '"\\udc00review"'), // a lone low surrogate
      text.replace('"review_spec"', '"review\\udc00\\ud800"'), // the pair in the wrong order
      text.replace('"exec_act":', '"x\\udbff":1,"exec_act":'), // in a member name
      text.replace('"exec_act":', '"ect_ext":{"a":["\\uDFFF"]},"exec_act":'), // nested, upper case
    ];
    for (const json of hostile) {
      assert.doesNotThrow(() => JSON.parse(json), 'still valid JSON');
      assert.deepEqual(parseStrictJSON(json), { ok: false, reason: 'surrogate' }, json);
      const error = throwsWith(() => parseToken(b64(json)), 'ECT_MALFORMED');
      assert.match(error.message, /unpaired surrogate/);
      const signed = signText(JSON.stringify(ecHeader()), json);
      await rejectsWith(verifyECT(signed, verifyOptions()), 'ECT_MALFORMED');
      await rejectsWith(verifyECT(b64(json), verifyOptions({ minLevel: 1 })), 'ECT_MALFORMED');
    }
    // In the header too.
    const header = '{"alg":"ES256","typ":"exec+jwt","kid":"test-ES256","x":"\\ud800"}';
    await rejectsWith(verifyECT(signText(header, text), verifyOptions()), 'ECT_MALFORMED');
  });

  test('VER-2: a paired surrogate, escaped or raw, and an escaped backslash before "ud800" are valid; raw unpaired surrogates are refused as invalid UTF-8 or by the strict parser', () => {
    const pairs = ['"\\ud83d\\ude00"', '"\\uD83D\\uDE00"', '"\u{1F600}"', '"\\\\ud800"'];
    for (const value of pairs) {
      const json = `{"exec_act":${value}}`;
      assert.equal(parseStrictJSON(json).ok, true, json);
      assert.equal(parseToken(b64(json)).level, 1);
    }
    // Raw (unescaped): UTF-8 cannot carry a surrogate, so the bytes are invalid UTF-8 (CESU-8).
    const surrogate = Buffer.from([0xed, 0xa0, 0x80]);
    const cesu = Buffer.concat([Buffer.from('{"exec_act":"'), surrogate, Buffer.from('"}')]);
    throwsWith(() => parseToken(cesu.toString('base64url')), 'ECT_MALFORMED');
    // A JS string given straight to the parser (configuration files) is checked as well.
    assert.deepEqual(parseStrictJSON('{"a":"\ud800"}'), { ok: false, reason: 'surrogate' });
    assert.deepEqual(parseStrictJSON('{"\udc00":1}'), { ok: false, reason: 'surrogate' });
  });

  test('VER-2: creation refuses a claim with an unpaired surrogate with ECT_MALFORMED, the code every verifier would give', () => {
    const key = keyPair().privateJwk;
    const lone = claims({ exec_act: 'review\ud800' });
    throwsWith(() => createECT(lone, { key, now: NOW }), 'ECT_MALFORMED');
    const inName = claims({ ect_ext: { '\udc00': 1 } });
    throwsWith(() => createECT(inName, { level: 1, now: NOW }), 'ECT_MALFORMED');
    assert.ok(createECT(claims({ exec_act: 'review_\u{1F600}' }), { key, now: NOW }));
  });
});

describe('size limit (FMT-5, VER-1)', () => {
  test('FMT-5: the default limit is 64 KiB', () => {
    assert.equal(DEFAULT_MAX_TOKEN_SIZE, 65536);
  });

  test('FMT-5, VER-1: a value one byte over the limit is ECT_TOO_LARGE before any decoding; at the limit it is decoded', async () => {
    // Neither value is a token: the one at the limit fails parsing (VER-2), the one above fails VER-1.
    await rejectsWith(verifyECT('!'.repeat(65536), verifyOptions()), 'ECT_MALFORMED');
    await rejectsWith(verifyECT('!'.repeat(65537), verifyOptions()), 'ECT_TOO_LARGE');
  });

  test('FMT-5, VER-1: the limit is configurable and counts UTF-8 bytes, not characters', async () => {
    const jws = token();
    const options = (maxTokenSize: number) => verifyOptions({ maxTokenSize });
    const ok = await verifyECT(jws, options(jws.length));
    assert.equal(ok.level, 2);
    await rejectsWith(verifyECT(jws, options(jws.length - 1)), 'ECT_TOO_LARGE');
    // 10 characters, 20 bytes.
    await rejectsWith(verifyECT('é'.repeat(10), options(19)), 'ECT_TOO_LARGE');
    await rejectsWith(verifyECT('é'.repeat(10), options(20)), 'ECT_MALFORMED');
  });
});
