import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isECTTyp } from '../../src/verify/header.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { ECTConfigError } from '../../src/errors.js';
import { encodeBase64url } from '../../src/format/base64url.js';
import { parseToken } from '../../src/format/parse.js';
import type { Algorithm } from '../../src/crypto/algorithms.js';
import {
  ecHeader,
  jwksOf,
  keyPair,
  payload,
  rejectsWith,
  signJSON,
  token,
  verifyOptions,
} from '../helpers/fixtures.js';

describe('typ (HDR-1)', () => {
  test('HDR-1: created tokens carry typ "exec+jwt"', () => {
    const parsed = parseToken(token());
    assert.equal(parsed.level === 2 && parsed.header['typ'], 'exec+jwt');
  });

  for (const typ of [
    'exec+jwt',
    'EXEC+JWT',
    'Exec+Jwt',
    'application/exec+jwt',
    'Application/EXEC+jwt',
    'wimse-exec+jwt',
    'application/wimse-exec+jwt',
    'WIMSE-EXEC+JWT',
  ]) {
    test(`HDR-1: typ ${JSON.stringify(typ)} is accepted`, async () => {
      const result = await verifyECT(signJSON(ecHeader({ typ }), payload()), verifyOptions());
      assert.equal(result.header?.typ, typ);
    });
  }

  const rejected: unknown[] = [
    'JWT',
    'jwt',
    'act+jwt',
    'wit+jwt',
    'ect-receipt+jwt',
    'exec',
    'exec+jwt ',
    ' exec+jwt',
    'application/',
    'application/application/exec+jwt',
    'x-exec+jwt',
    'exec+jwt\u0000',
    'e\u212Aec+jwt',
    '',
    1,
    null,
    ['exec+jwt'],
    { typ: 'exec+jwt' },
  ];
  for (const typ of rejected) {
    test(`HDR-1, VER-4: typ ${JSON.stringify(typ)} is rejected with ECT_TYP_INVALID`, async () => {
      const error = await rejectsWith(
        verifyECT(signJSON(ecHeader({ typ }), payload()), verifyOptions()),
        'ECT_TYP_INVALID',
      );
      assert.equal(error.member, 'typ');
      assert.equal(error.level, 2);
    });
  }

  test('HDR-1, VER-4: a missing typ is rejected with ECT_TYP_INVALID', async () => {
    const header = ecHeader();
    delete header['typ'];
    await rejectsWith(verifyECT(signJSON(header, payload()), verifyOptions()), 'ECT_TYP_INVALID');
  });

  test('HDR-1: case folding is ASCII only (the Kelvin sign K does not fold to k)', () => {
    assert.equal('\u212A'.toLowerCase(), 'k');
    assert.equal(isECTTyp('wimse-exec+jwt'.replace('e', 'E')), true);
    assert.equal(isECTTyp('application/exec+jwt'.replace('a', '\u0430')), false);
  });
});

describe('alg (HDR-2)', () => {
  test('HDR-2, VER-4: alg "none" is rejected with ECT_ALG_NOT_ALLOWED, as an unsecured JWS (empty signature) or with any signature', async () => {
    const unsecured = `${encodeBase64url(JSON.stringify(ecHeader({ alg: 'none' })))}.${encodeBase64url(JSON.stringify(payload()))}.`;
    await rejectsWith(verifyECT(unsecured, verifyOptions()), 'ECT_ALG_NOT_ALLOWED');
    const withSignature = signJSON(ecHeader({ alg: 'none' }), payload());
    await rejectsWith(verifyECT(withSignature, verifyOptions()), 'ECT_ALG_NOT_ALLOWED');
  });

  for (const alg of [
    'HS256',
    'HS384',
    'HS512',
    'RS256',
    'ES256K',
    'Ed25519',
    'es256',
    'NONE',
    '__proto__',
    'constructor',
    '',
    7,
    null,
  ]) {
    test(`HDR-2, VER-4: alg ${JSON.stringify(alg)} is rejected with ECT_ALG_NOT_ALLOWED`, async () => {
      const error = await rejectsWith(
        verifyECT(signJSON(ecHeader({ alg }), payload()), verifyOptions()),
        'ECT_ALG_NOT_ALLOWED',
      );
      assert.equal(error.member, 'alg');
    });
  }

  test('HDR-2, VER-4: a missing alg is rejected with ECT_ALG_NOT_ALLOWED', async () => {
    const header = ecHeader();
    delete header['alg'];
    await rejectsWith(
      verifyECT(signJSON(header, payload()), verifyOptions()),
      'ECT_ALG_NOT_ALLOWED',
    );
  });

  test('HDR-2: an algorithm outside the configured allow-list is rejected even though the library supports it', async () => {
    await rejectsWith(
      verifyECT(token(), verifyOptions({ algorithms: ['ES384', 'EdDSA'] })),
      'ECT_ALG_NOT_ALLOWED',
    );
    const ok = await verifyECT(token(), verifyOptions({ algorithms: ['ES256'] }));
    assert.equal(ok.header?.alg, 'ES256');
  });

  test('HDR-2: none and symmetric algorithms can never be allowed (configuration error)', () => {
    for (const alg of ['none', 'HS256', 'RS256']) {
      assert.throws(
        () => createVerifier(verifyOptions({ algorithms: [alg as Algorithm] })),
        (error: unknown) =>
          error instanceof ECTConfigError && error.setting === 'options.algorithms',
      );
    }
    assert.throws(() => createVerifier(verifyOptions({ algorithms: [] })), ECTConfigError);
  });
});

describe('kid (HDR-3)', () => {
  test('HDR-3: with a JWK set a token without kid is ECT_KEY_UNRESOLVED', async () => {
    const header = ecHeader();
    delete header['kid'];
    await rejectsWith(
      verifyECT(signJSON(header, payload()), verifyOptions()),
      'ECT_KEY_UNRESOLVED',
    );
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ kid: '' }), payload()), verifyOptions()),
      'ECT_KEY_UNRESOLVED',
    );
  });

  test('HDR-3: the key is chosen by kid; an unknown kid is ECT_KEY_UNRESOLVED', async () => {
    const other = keyPair('ES256', 'other');
    const keys = jwksOf(keyPair(), other);
    const viaOther = signJSON(ecHeader({ kid: 'other' }), payload(), 'ES256', other.privateJwk);
    assert.equal((await verifyECT(viaOther, verifyOptions({ keys }))).claims.iss, payload()['iss']);
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ kid: 'nobody' }), payload()), verifyOptions({ keys })),
      'ECT_KEY_UNRESOLVED',
    );
    // Signed by "other" but naming the first key: the kid picks the key, the signature fails.
    await rejectsWith(
      verifyECT(
        signJSON(ecHeader(), payload(), 'ES256', other.privateJwk),
        verifyOptions({ keys }),
      ),
      'ECT_SIGNATURE_INVALID',
    );
  });
});

describe('crit and b64 (HDR-4)', () => {
  test('HDR-4, VER-4: any crit list is rejected with ECT_CRIT_UNSUPPORTED', async () => {
    for (const crit of [['exp'], ['b64'], ['http://example.com/x'], [], 'b64']) {
      const header = ecHeader({
        crit,
        ...(Array.isArray(crit) && crit.length > 0 ? { [crit[0]!]: true } : {}),
      });
      const error = await rejectsWith(
        verifyECT(signJSON(header, payload()), verifyOptions()),
        'ECT_CRIT_UNSUPPORTED',
      );
      assert.equal(error.member, 'crit');
    }
  });

  test('HDR-4: b64 false (RFC 7797 unencoded payload) is rejected, b64 true is the default encoding and accepted', async () => {
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ b64: false, crit: ['b64'] }), payload()), verifyOptions()),
      'ECT_CRIT_UNSUPPORTED',
    );
    const error = await rejectsWith(
      verifyECT(signJSON(ecHeader({ b64: false }), payload()), verifyOptions()),
      'ECT_CRIT_UNSUPPORTED',
    );
    assert.equal(error.member, 'b64');
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ b64: 'false' }), payload()), verifyOptions()),
      'ECT_CRIT_UNSUPPORTED',
    );
    const ok = await verifyECT(signJSON(ecHeader({ b64: true }), payload()), verifyOptions());
    assert.equal(ok.header?.['b64'], true);
  });

  test('VER-4: the header checks run in the order typ, alg, crit', async () => {
    await rejectsWith(
      verifyECT(
        signJSON(ecHeader({ typ: 'JWT', alg: 'HS256', crit: ['x'] }), payload()),
        verifyOptions(),
      ),
      'ECT_TYP_INVALID',
    );
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ alg: 'HS256', crit: ['x'] }), payload()), verifyOptions()),
      'ECT_ALG_NOT_ALLOWED',
    );
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ crit: ['x'], kid: 'unknown' }), payload()), verifyOptions()),
      'ECT_CRIT_UNSUPPORTED',
    );
  });
});

describe('jku, x5u and jwk are never a key source (HDR-5)', () => {
  let calls: unknown[] = [];
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    calls = [];
    globalThis.fetch = async (...args: unknown[]) => {
      calls.push(args);
      throw new Error('no fetch allowed in this test');
    };
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  test('HDR-5: an embedded jwk of the signer does not make an untrusted token verify', async () => {
    const attacker = keyPair('ES256', 'attacker');
    const header = ecHeader({ kid: 'attacker', jwk: attacker.publicJwk });
    await rejectsWith(
      verifyECT(signJSON(header, payload(), 'ES256', attacker.privateJwk), verifyOptions()),
      'ECT_KEY_UNRESOLVED',
    );
    // Naming the trusted kid while signing with the embedded key: the trusted key decides.
    const spoof = ecHeader({ jwk: attacker.publicJwk });
    await rejectsWith(
      verifyECT(signJSON(spoof, payload(), 'ES256', attacker.privateJwk), verifyOptions()),
      'ECT_SIGNATURE_INVALID',
    );
  });

  test('HDR-5: jku and x5u cause no fetch and resolve no key', async () => {
    const attacker = keyPair('ES256', 'attacker');
    for (const extra of [
      { jku: 'https://attacker.example/jwks.json' },
      { x5u: 'https://attacker.example/cert.pem' },
    ]) {
      const header = ecHeader({ kid: 'attacker', ...extra });
      await rejectsWith(
        verifyECT(signJSON(header, payload(), 'ES256', attacker.privateJwk), verifyOptions()),
        'ECT_KEY_UNRESOLVED',
      );
      // A trusted token carrying the members verifies with the trusted key, still without a fetch.
      const ok = await verifyECT(signJSON(ecHeader(extra), payload()), verifyOptions());
      assert.equal(ok.level, 2);
    }
    assert.deepEqual(calls, []);
  });

  test('HDR-5: without trusted keys a token with jku, x5u and jwk is ECT_KEY_UNRESOLVED', async () => {
    const attacker = keyPair('ES256', 'attacker');
    const header = ecHeader({
      kid: 'attacker',
      jku: 'https://attacker.example/jwks.json',
      x5u: 'https://attacker.example/c.pem',
      jwk: attacker.publicJwk,
    });
    // Minimum level 1: from level 2 up a verifier without keys is refused when it is built.
    const options = verifyOptions({ keys: undefined, minLevel: 1 });
    await rejectsWith(
      verifyECT(signJSON(header, payload(), 'ES256', attacker.privateJwk), options),
      'ECT_KEY_UNRESOLVED',
    );
    assert.deepEqual(calls, []);
  });
});
