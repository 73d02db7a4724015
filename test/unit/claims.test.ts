import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { buildClaims, createECT, DEFAULT_TTL_SECONDS } from '../../src/create/create.js';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import {
  DEFAULT_CLAIM_RULES,
  EXT_MAX_BYTES,
  EXT_MAX_DEPTH,
  isDigest,
  isUuid,
  MAX_NUMERIC_DATE,
  validateClaims,
  type ClaimRules,
} from '../../src/format/claims.js';
import { hashBytes, hashStream } from '../../src/format/hash.js';
import type { ReplayStore } from '../../src/replay/store.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import {
  AUD,
  claims,
  ecHeader,
  ISS,
  keyPair,
  NOW,
  payload,
  rejectsWith,
  signJSON,
  signText,
  throwsWith,
  token,
  uuid,
  verifyOptions,
} from '../helpers/fixtures.js';

const rules = (overrides: Partial<ClaimRules> = {}): ClaimRules => ({
  ...DEFAULT_CLAIM_RULES,
  ...overrides,
});
const check = (overrides: Record<string, unknown>, r: Partial<ClaimRules> = {}) =>
  validateClaims(payload(overrides), rules(r));
const invalid = (
  overrides: Record<string, unknown>,
  member: string,
  r: Partial<ClaimRules> = {},
) => {
  const error = throwsWith(() => check(overrides, r), 'ECT_CLAIM_INVALID');
  assert.equal(error.member, member);
};
const missing = (name: string) => {
  const error = throwsWith(() => check({ [name]: undefined }), 'ECT_CLAIM_MISSING');
  assert.equal(error.member, name);
};

describe('presence (VER-7)', () => {
  for (const name of ['iss', 'aud', 'iat', 'exp', 'jti', 'exec_act', 'pred']) {
    test(`VER-7: a token without ${name} is ECT_CLAIM_MISSING`, async () => {
      missing(name);
      const error = await rejectsWith(
        verifyECT(signJSON(ecHeader(), payload({ [name]: undefined })), verifyOptions()),
        'ECT_CLAIM_MISSING',
      );
      assert.equal(error.member, name);
    });
  }

  test('VER-7: presence is checked before syntax (a missing claim wins over a bad one)', () => {
    throwsWith(() => check({ iss: 7, pred: undefined }), 'ECT_CLAIM_MISSING');
  });

  test('VER-7: a claim that is JSON null is present but invalid', () => {
    invalid({ iss: null }, 'iss');
    invalid({ pred: null }, 'pred');
  });

  test('VER-7: a complete set of claims passes and is returned unchanged', () => {
    const input = payload({
      wid: uuid(9),
      inp_hash: hashBytes('in'),
      out_hash: hashBytes('out'),
      ect_ext: { pol: 'p1' },
    });
    const { claims: result, legacy } = validateClaims(input, rules());
    assert.deepEqual(result, input);
    assert.equal(legacy, false);
  });
});

describe('claims of section 4 (CLM-1 ... CLM-11)', () => {
  test('CLM-1: iss is a non-empty string; SPIFFE IDs and other URIs are allowed', () => {
    invalid({ iss: '' }, 'iss');
    invalid({ iss: 42 }, 'iss');
    invalid({ iss: ['spiffe://a/b'] }, 'iss');
    for (const iss of [
      'spiffe://example.org/ns/prod/sa/agent',
      'https://agents.example.com/a',
      'urn:example:agent',
    ])
      assert.equal(check({ iss }).claims.iss, iss);
  });

  test('CLM-1: an iss with the spiffe scheme that is not a valid SPIFFE ID is ECT_CLAIM_INVALID (validation, verification and creation)', async () => {
    const lookAlikes = [
      'spiffe://example.org/a/../b',
      'spiffe://example.org/agent//a',
      'spiffe://example.org/agent/a/',
      'spiffe://Example.org/agent/a',
      'spiffe://example.org:443/agent/a',
      'spiffe://admin@example.org/agent/a',
      'spiffe://example.org/agent/a?role=admin',
      'spiffe://example.org/agent/a#x',
      'spiffe://example.org/agent/%61',
      'SPIFFE://example.org/agent/a',
      `spiffe://example.org/${'a'.repeat(2048)}`,
    ];
    const key = keyPair().privateJwk;
    for (const iss of lookAlikes) {
      invalid({ iss }, 'iss');
      const signed = signJSON(ecHeader(), payload({ iss }));
      const error = await rejectsWith(verifyECT(signed, verifyOptions()), 'ECT_CLAIM_INVALID');
      assert.equal(error.member, 'iss');
      assert.match(error.message, /not a valid SPIFFE ID/);
      throwsWith(() => createECT(claims({ iss }), { key, now: NOW }), 'ECT_CLAIM_INVALID');
    }
    // Other schemes keep their own syntax (CLM-1 allows any URI); the trust domain ID is valid.
    for (const iss of ['https://example.org/a/../b', 'spiffe://example.org']) {
      assert.equal(check({ iss }).claims.iss, iss);
    }
  });

  test('CLM-2: aud is a non-empty string or a non-empty array of non-empty strings', () => {
    for (const aud of ['', [], [''], [AUD, ''], [1], 7, { aud: AUD }]) invalid({ aud }, 'aud');
    assert.deepEqual(check({ aud: [AUD, 'spiffe://example.org/ledger'] }).claims.aud, [
      AUD,
      'spiffe://example.org/ledger',
    ]);
  });

  test('CLM-2, VER-9: the verifier must be in aud (string or array); otherwise ECT_AUDIENCE_MISMATCH', async () => {
    assert.equal(
      (await verifyECT(token({ aud: ['spiffe://example.org/ledger', AUD] }), verifyOptions()))
        .claims.jti,
      uuid(1),
    );
    const error = await rejectsWith(
      verifyECT(token({ aud: 'spiffe://example.org/someone-else' }), verifyOptions()),
      'ECT_AUDIENCE_MISMATCH',
    );
    assert.equal(error.member, 'aud');
    await rejectsWith(
      verifyECT(
        token({ aud: ['spiffe://example.org/x', 'spiffe://example.org/y'] }),
        verifyOptions(),
      ),
      'ECT_AUDIENCE_MISMATCH',
    );
    // Exact match only: no prefix, no case folding.
    await rejectsWith(
      verifyECT(token({ aud: `${AUD}/sub` }), verifyOptions()),
      'ECT_AUDIENCE_MISMATCH',
    );
    await rejectsWith(
      verifyECT(token({ aud: AUD.toUpperCase() }), verifyOptions()),
      'ECT_AUDIENCE_MISMATCH',
    );
    // A verifier with several identities accepts a token for any of them.
    const ok = await verifyECT(
      token({ aud: 'spiffe://example.org/alias' }),
      verifyOptions({ audience: ['spiffe://example.org/alias', AUD] }),
    );
    assert.equal(ok.claims.aud, 'spiffe://example.org/alias');
  });

  test('CLM-3: iat is a NumericDate (non-negative finite number)', () => {
    for (const iat of ['1700000000', -1, true, [NOW], { t: NOW }]) invalid({ iat }, 'iat');
    assert.equal(check({ iat: NOW + 0.5 }).claims.iat, NOW + 0.5);
    // 1e400 parses to Infinity.
    const text = JSON.stringify(payload()).replace(`"iat":${NOW}`, '"iat":1e400');
    assert.ok(text.includes('1e400'));
    throwsWith(
      () => validateClaims(JSON.parse(text) as Record<string, unknown>, rules()),
      'ECT_CLAIM_INVALID',
    );
  });

  test('CLM-4: exp is a NumericDate after iat', () => {
    invalid({ exp: NOW }, 'exp');
    invalid({ exp: NOW - 1 }, 'exp');
    invalid({ exp: String(NOW + 600) }, 'exp');
    assert.equal(check({ exp: NOW + 1 }).claims.exp, NOW + 1);
  });

  test('CLM-4: every NumericDate is a finite number from 0 to 253402300799; exp of 1e23 or beyond 2^53 is ECT_CLAIM_INVALID at VER-7, before any store is touched, and on creation', async () => {
    assert.equal(MAX_NUMERIC_DATE, 253_402_300_799); // 9999-12-31T23:59:59Z
    assert.equal(new Date(MAX_NUMERIC_DATE * 1000).toISOString(), '9999-12-31T23:59:59.000Z');
    assert.equal(check({ exp: MAX_NUMERIC_DATE }).claims.exp, MAX_NUMERIC_DATE);
    const max = MAX_NUMERIC_DATE;
    for (const exp of [1e23, 2 ** 53 + 2, max + 1, max + 0.5, Number.MAX_VALUE]) {
      invalid({ exp }, 'exp');
    }
    invalid({ iat: MAX_NUMERIC_DATE + 1, exp: MAX_NUMERIC_DATE + 2 }, 'iat');
    // Through a verifier with a replay cache and a DAG store: neither is asked anything.
    const touched: string[] = [];
    const replay: ReplayStore = {
      checkAndRecord: async (key) => (touched.push(`replay ${key}`), true),
    };
    const dagStore = new MemoryECTStore();
    const verifier = createVerifier(verifyOptions({ replay, dag: { store: dagStore } }));
    // 9007199254740993 is written as text: as a JS number it would already be rounded.
    const text = JSON.stringify(payload());
    const beyond = text.replace(`"exp":${NOW + 600}`, '"exp":9007199254740993');
    assert.ok(beyond.includes('9007199254740993'));
    const header = JSON.stringify(ecHeader());
    for (const hostile of [
      signJSON(ecHeader(), payload({ exp: 1e23 })),
      signText(header, beyond),
    ]) {
      const error = await rejectsWith(verifier.verify(hostile), 'ECT_CLAIM_INVALID');
      assert.equal(error.member, 'exp');
    }
    assert.deepEqual(touched, []);
    assert.equal(dagStore.size, 0);
    // Creation refuses the same values, and a ttl that carries exp out of range.
    const key = keyPair().privateJwk;
    throwsWith(() => createECT(claims({ exp: 1e23 }), { key, now: NOW }), 'ECT_CLAIM_INVALID');
    const longTtl = { now: NOW, ttl: 1e23 };
    throwsWith(() => buildClaims(claims({ exp: undefined }), longTtl), 'ECT_CLAIM_INVALID');
  });

  test('CLM-4: creation fills exp with the default lifetime of 600 s, or the given ttl', () => {
    assert.equal(DEFAULT_TTL_SECONDS, 600);
    const built = buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW });
    assert.equal(built.iat, NOW);
    assert.equal(built.exp, NOW + 600);
    assert.equal(
      buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW, ttl: 60 }).exp,
      NOW + 60,
    );
    assert.equal(
      buildClaims({ iss: ISS, aud: AUD, exec_act: 'x', iat: NOW - 10 }, { now: NOW }).exp,
      NOW + 590,
    );
    assert.throws(() => buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW, ttl: 0 }), {
      name: 'ECTConfigError',
    });
  });

  test('CLM-5: jti must be a UUID (8-4-4-4-12 hex, either case)', () => {
    for (const jti of [
      'task-1',
      '',
      '00000000000040008000000000000001',
      '{00000000-0000-4000-8000-000000000001}',
      `${uuid(1)} `,
      'g0000000-0000-4000-8000-000000000001',
      7,
    ])
      invalid({ jti }, 'jti');
    assert.equal(
      check({ jti: uuid(1).toUpperCase().replace('4000', '4ABC') }).claims.jti,
      '00000000-0000-4ABC-8000-000000000001',
    );
    assert.equal(isUuid('0B6F2A8E-5C3D-4F1A-9E7B-2D4C6A8E0F13'), true);
  });

  test('CLM-5: the UUID check can be relaxed, but jti stays a non-empty string', () => {
    assert.equal(check({ jti: 'task-1' }, { requireUuid: false }).claims.jti, 'task-1');
    invalid({ jti: '' }, 'jti', { requireUuid: false });
    invalid({ jti: 1 }, 'jti', { requireUuid: false });
  });

  test('CLM-5: creation generates a fresh UUID jti when none is given', () => {
    const a = buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW });
    const b = buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW });
    assert.ok(isUuid(a.jti) && isUuid(b.jti));
    assert.notEqual(a.jti, b.jti);
  });

  test('CLM-6: exec_act is a non-empty string of at most 256 characters by default', () => {
    invalid({ exec_act: '' }, 'exec_act');
    invalid({ exec_act: 5 }, 'exec_act');
    assert.equal(check({ exec_act: 'a'.repeat(256) }).claims.exec_act.length, 256);
    invalid({ exec_act: 'a'.repeat(257) }, 'exec_act');
    invalid({ exec_act: 'a'.repeat(11) }, 'exec_act', { maxExecActLength: 10 });
    assert.equal(
      check({ exec_act: 'a'.repeat(300) }, { maxExecActLength: 300 }).claims.exec_act.length,
      300,
    );
  });

  test('CLM-7: pred is an array of task ids; [] is a root task', () => {
    assert.deepEqual(check({ pred: [] }).claims.pred, []);
    assert.deepEqual(check({ pred: [uuid(2), uuid(3)] }).claims.pred, [uuid(2), uuid(3)]);
    for (const pred of [uuid(2), {}, [2], [''], ['not-a-uuid']]) invalid({ pred }, 'pred');
    assert.deepEqual(buildClaims({ iss: ISS, aud: AUD, exec_act: 'x' }, { now: NOW }).pred, []);
  });

  test('CLM-7: no duplicates and no self-reference in pred', () => {
    invalid({ pred: [uuid(2), uuid(2)] }, 'pred');
    invalid({ pred: [uuid(2), uuid(1)] }, 'pred'); // jti is uuid(1)
    invalid({ pred: ['a', 'a'] }, 'pred', { requireUuid: false });
  });

  test('CLM-7, CLM-5: pred entries compare case-insensitively: a duplicate or the task itself in another case is ECT_CLAIM_INVALID', async () => {
    const upper = (n: number): string => uuid(n).toUpperCase().replace('4000', '4ABC');
    const lower = (n: number): string => upper(n).toLowerCase();
    invalid({ pred: [lower(2), upper(2)] }, 'pred');
    invalid({ jti: lower(1), pred: [upper(1)] }, 'pred');
    invalid({ jti: upper(1), pred: [lower(1)] }, 'pred');
    // Through a verifier, and on creation.
    const signed = signJSON(ecHeader(), payload({ jti: lower(1), pred: [lower(3), upper(3)] }));
    const error = await rejectsWith(verifyECT(signed, verifyOptions()), 'ECT_CLAIM_INVALID');
    assert.equal(error.member, 'pred');
    const key = keyPair().privateJwk;
    const itself = claims({ jti: upper(1), pred: [lower(1)] });
    throwsWith(() => createECT(itself, { key, now: NOW }), 'ECT_CLAIM_INVALID');
    // Ids that are not UUIDs (requireUuid relaxed) keep their case.
    const relaxed = check({ pred: ['Task-A', 'task-a'] }, { requireUuid: false });
    assert.deepEqual(relaxed.claims.pred, ['Task-A', 'task-a']);
  });

  test('CLM-7: at most 100 pred entries by default; configurable; 0 = unlimited', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => uuid(1000 + i));
    assert.equal(check({ pred: many(100) }).claims.pred.length, 100);
    invalid({ pred: many(101) }, 'pred');
    invalid({ pred: many(4) }, 'pred', { maxPred: 3 });
    assert.equal(check({ pred: many(250) }, { maxPred: 0 }).claims.pred.length, 250);
  });

  test('CLM-8: wid is optional and, when present, a UUID (relaxable)', () => {
    assert.equal(check({}).claims.wid, undefined);
    assert.equal(check({ wid: uuid(77) }).claims.wid, uuid(77));
    for (const wid of ['workflow-1', '', 3]) invalid({ wid }, 'wid');
    assert.equal(check({ wid: 'workflow-1' }, { requireUuid: false }).claims.wid, 'workflow-1');
  });

  test('CLM-9: inp_hash/out_hash are unpadded base64url SHA-256 digests (43 characters)', async () => {
    // SHA-256("abc") = ba7816bf...f20015ad
    assert.equal(
      hashBytes('abc'),
      Buffer.from(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        'hex',
      ).toString('base64url'),
    );
    assert.equal(hashBytes('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(
      await hashStream(Readable.from([Buffer.from('a'), 'b', Buffer.from('c')])),
      hashBytes('abc'),
    );
    assert.equal(
      await hashStream(new Blob(['ab', 'c']).stream()),
      hashBytes(new TextEncoder().encode('abc')),
    );
    const digest = hashBytes('payload');
    assert.equal(check({ inp_hash: digest, out_hash: digest }).claims.out_hash, digest);
    assert.equal(isDigest(digest), true);
  });

  test('CLM-9: the -00 "sha-256:" prefix, padding, hex, wrong length and non-canonical forms are ECT_CLAIM_INVALID', () => {
    const digest = hashBytes('abc'); // contains both '-' and '_'
    assert.ok(digest.includes('-') && digest.includes('_'));
    const bad = [
      `sha-256:${digest}`,
      `${digest}=`,
      Buffer.from(digest, 'base64url').toString('base64'), // standard alphabet, padded
      digest.replace('-', '+').replace('_', '/'), // standard alphabet, unpadded
      Buffer.from(digest, 'base64url').toString('hex'),
      digest.slice(0, 42),
      `${digest}A`,
      `${digest.slice(0, 42)}B`, // 'B' leaves a non-zero trailing bit
      hashBytes('x').slice(0, 22),
      42,
    ];
    for (const value of bad) {
      invalid({ inp_hash: value }, 'inp_hash');
      invalid({ out_hash: value }, 'out_hash');
    }
  });

  test('CLM-10: ect_ext must be a JSON object', () => {
    for (const ect_ext of [[], 'pol', 1, null, true]) invalid({ ect_ext }, 'ect_ext');
    assert.deepEqual(check({ ect_ext: {} }).claims.ect_ext, {});
  });

  test('CLM-10: ect_ext of exactly 4096 bytes passes, 4097 is ECT_EXT_LIMIT (UTF-8 bytes count)', () => {
    assert.equal(EXT_MAX_BYTES, 4096);
    const sized = (n: number) => ({ p: 'x'.repeat(n - 8) }); // {"p":"..."} is n bytes
    assert.equal(Buffer.byteLength(JSON.stringify(sized(4096))), 4096);
    check({ ect_ext: sized(4096) });
    const error = throwsWith(() => check({ ect_ext: sized(4097) }), 'ECT_EXT_LIMIT');
    assert.equal(error.member, 'ect_ext');
    // 2-byte characters: 2044 of them + 8 = 4096 bytes, one more is over.
    check({ ect_ext: { p: 'é'.repeat(2044) } });
    throwsWith(() => check({ ect_ext: { p: 'é'.repeat(2045) } }), 'ECT_EXT_LIMIT');
  });

  test('CLM-10: ect_ext nested 5 levels deep passes (the object is level 1), 6 is ECT_EXT_LIMIT; arrays count', () => {
    assert.equal(EXT_MAX_DEPTH, 5);
    check({ ect_ext: { a: { b: { c: { d: { e: 1 } } } } } });
    throwsWith(() => check({ ect_ext: { a: { b: { c: { d: { e: {} } } } } } }), 'ECT_EXT_LIMIT');
    check({ ect_ext: { a: [[[1]]] } });
    throwsWith(() => check({ ect_ext: { a: [[[[[1]]]]] } }), 'ECT_EXT_LIMIT');
    check({ ect_ext: { a: [[[[]]]] } });
    throwsWith(() => check({ ect_ext: { a: [[[[[]]]]] } }), 'ECT_EXT_LIMIT');
  });

  test('CLM-10: the ect_ext limits are enforced on creation and on verification', async () => {
    const big = { pol: 'x'.repeat(5000) };
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    throwsWith(
      () => createECT(claims({ ect_ext: big }), { key: keyPair().privateJwk, now: NOW }),
      'ECT_EXT_LIMIT',
    );
    throwsWith(() => createECT(claims({ ect_ext: deep }), { level: 1, now: NOW }), 'ECT_EXT_LIMIT');
    await rejectsWith(
      verifyECT(signJSON(ecHeader(), payload({ ect_ext: big })), verifyOptions()),
      'ECT_EXT_LIMIT',
    );
    await rejectsWith(
      verifyECT(signJSON(ecHeader(), payload({ ect_ext: deep })), verifyOptions()),
      'ECT_EXT_LIMIT',
    );
    const ok = await verifyECT(
      token({ ect_ext: { pol: 'policy-7', pol_decision: 'approved' } }),
      verifyOptions(),
    );
    assert.deepEqual(ok.claims.ect_ext, { pol: 'policy-7', pol_decision: 'approved' });
  });

  test('CLM-11: other claims are kept and ignored; sub is not required', async () => {
    const result = await verifyECT(
      token({ sub: 'someone', custom: { a: [1, 2] }, nbf: 1 }),
      verifyOptions(),
    );
    assert.equal(result.claims['sub'], 'someone');
    assert.deepEqual(result.claims['custom'], { a: [1, 2] });
    assert.equal(result.claims['nbf'], 1);
    assert.equal(
      'sub' in (await verifyECT(token({ jti: uuid(2) }), verifyOptions())).claims,
      false,
    );
  });

  test("VER-7: creation runs the verifier's claim checks (ECT_CLAIM_MISSING / ECT_CLAIM_INVALID)", () => {
    throwsWith(
      () =>
        createECT({ aud: AUD, exec_act: 'x' } as never, { key: keyPair().privateJwk, now: NOW }),
      'ECT_CLAIM_MISSING',
    );
    throwsWith(
      () => createECT(claims({ jti: 'not-a-uuid' }), { key: keyPair().privateJwk, now: NOW }),
      'ECT_CLAIM_INVALID',
    );
    assert.ok(
      createECT(claims({ jti: 'task-1' }), {
        key: keyPair().privateJwk,
        now: NOW,
        rules: { requireUuid: false },
      }).split('.').length === 3,
    );
  });
});

describe('-00 migration (CLM-13)', () => {
  const legacyPayload = (extra: Record<string, unknown>) => payload({ pred: undefined, ...extra });

  test('CLM-13: off by default: par is not read as pred', () => {
    throwsWith(() => validateClaims(legacyPayload({ par: [] }), rules()), 'ECT_CLAIM_MISSING');
  });

  test('CLM-13: with acceptLegacy, par -> pred, ext -> ect_ext, top-level pol/pol_decision -> ect_ext, and the result says legacy', () => {
    const { claims: result, legacy } = validateClaims(
      legacyPayload({ par: [uuid(2)], ext: { note: 'n' }, pol: 'p1', pol_decision: 'approved' }),
      rules({ acceptLegacy: true }),
    );
    assert.equal(legacy, true);
    assert.deepEqual(result.pred, [uuid(2)]);
    assert.deepEqual(result.ect_ext, { note: 'n', pol: 'p1', pol_decision: 'approved' });
    for (const old of ['par', 'ext', 'pol', 'pol_decision']) assert.equal(old in result, false);
  });

  test('CLM-13: a -01 token is not legacy under acceptLegacy', () => {
    assert.equal(validateClaims(payload(), rules({ acceptLegacy: true })).legacy, false);
  });

  test('CLM-13: a token with both a -00 and a -01 name for the same claim is ECT_CLAIM_INVALID', () => {
    const on = rules({ acceptLegacy: true });
    throwsWith(() => validateClaims(payload({ par: [] }), on), 'ECT_CLAIM_INVALID');
    throwsWith(() => validateClaims(payload({ ext: {}, ect_ext: {} }), on), 'ECT_CLAIM_INVALID');
    throwsWith(
      () => validateClaims(payload({ pol: 'a', ect_ext: { pol: 'b' } }), on),
      'ECT_CLAIM_INVALID',
    );
    throwsWith(
      () =>
        validateClaims(
          payload({ pol_decision: 'approved', ect_ext: { pol_decision: 'rejected' } }),
          on,
        ),
      'ECT_CLAIM_INVALID',
    );
    throwsWith(
      () => validateClaims(payload({ pol: 'a', ect_ext: 'nope' }), on),
      'ECT_CLAIM_INVALID',
    );
  });

  test('CLM-13: migrated claims are validated like -01 ones (ect_ext limits apply to ext)', () => {
    throwsWith(
      () =>
        validateClaims(
          legacyPayload({ par: [], ext: { a: 'x'.repeat(5000) } }),
          rules({ acceptLegacy: true }),
        ),
      'ECT_EXT_LIMIT',
    );
  });

  test('CLM-13, HDR-1: a -00 token (typ wimse-exec+jwt, par) verifies under acceptLegacy and reports legacy; rejected without it', async () => {
    const jws = signText(
      JSON.stringify(ecHeader({ typ: 'wimse-exec+jwt' })),
      JSON.stringify(legacyPayload({ par: [], pol: 'p', pol_decision: 'approved' })),
    );
    const result = await verifyECT(jws, verifyOptions({ acceptLegacy: true }));
    assert.equal(result.legacy, true);
    assert.deepEqual(result.claims.pred, []);
    assert.deepEqual(result.claims.ect_ext, { pol: 'p', pol_decision: 'approved' });
    const error = await rejectsWith(verifyECT(jws, verifyOptions()), 'ECT_CLAIM_MISSING');
    assert.equal(error.member, 'pred');
    assert.equal((await verifyECT(token(), verifyOptions({ acceptLegacy: true }))).legacy, false);
  });
});
