import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ALGORITHMS,
  DEFAULT_ALGORITHM,
  isAlgorithm,
  type Algorithm,
} from '../../src/crypto/algorithms.js';
import { verifySignature } from '../../src/crypto/jws.js';
import {
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  jwkThumbprint,
  keyFitsAlgorithm,
} from '../../src/crypto/keys.js';
import { createECT } from '../../src/create/create.js';
import { ECTConfigError } from '../../src/errors.js';
import { parseToken } from '../../src/format/parse.js';
import { localJWKSet } from '../../src/identity/jwks.js';
import { normalizeOptions } from '../../src/verify/options.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import {
  claims,
  ecHeader,
  jwksOf,
  keyPair,
  NOW,
  payload,
  rejectsWith,
  signJSON,
  verifyOptions,
} from '../helpers/fixtures.js';

const CURVE_OF: Record<string, Algorithm> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
};

describe('round trip per algorithm (HDR-2)', () => {
  test('HDR-2: the default allow-list is ES256, ES384, ES512, EdDSA, PS256, PS384, PS512; ES256 is the creation default', () => {
    assert.deepEqual(
      [...ALGORITHMS],
      ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512'],
    );
    assert.equal(DEFAULT_ALGORITHM, 'ES256');
    assert.equal(normalizeOptions(verifyOptions(), () => undefined).algorithms.size, 7);
    for (const alg of ['none', 'HS256', 'HS384', 'HS512', 'RS256', 'toString', '__proto__'])
      assert.equal(isAlgorithm(alg), false);
    const jws = createECT(claims(), {
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      now: NOW,
    });
    assert.equal(
      parseToken(jws).level === 2 &&
        (parseToken(jws) as { header: Record<string, unknown> }).header['alg'],
      'ES256',
    );
  });

  for (const alg of ALGORITHMS) {
    test(`HDR-2, FMT-1: ${alg} round trip with createECT + createVerifier / verifyECT`, async () => {
      const pair = keyPair(alg);
      const jws = createECT(claims({ exec_act: `sign_${alg}` }), {
        key: pair.privateJwk,
        now: NOW,
      });
      const parsed = parseToken(jws);
      assert.equal(parsed.level, 2);
      if (parsed.level !== 2) return;
      assert.deepEqual(parsed.header, { alg, typ: 'exec+jwt', kid: `test-${alg}` });
      const keys = jwksOf(pair);
      const viaVerifier = await createVerifier(verifyOptions({ keys })).verify(jws);
      assert.equal(viaVerifier.claims.exec_act, `sign_${alg}`);
      assert.equal(viaVerifier.header?.alg, alg);
      const viaOneShot = await verifyECT(jws, verifyOptions({ keys }));
      assert.equal(viaOneShot.level, 2);
      // A KeyObject or PEM key gives the same algorithm (from the key type), and another key of the same type fails.
      const other = generateKeyPair({ alg, kid: `test-${alg}` });
      await rejectsWith(
        verifyECT(jws, verifyOptions({ keys: jwksOf(other) })),
        'ECT_SIGNATURE_INVALID',
      );
      // Not on the allow-list: refused before any key is looked at.
      const others = ALGORITHMS.filter((a) => a !== alg);
      await rejectsWith(
        verifyECT(jws, verifyOptions({ keys, algorithms: others })),
        'ECT_ALG_NOT_ALLOWED',
      );
    });
  }

  test('HDR-2: createECT takes the algorithm from the JWK alg, else from the key type', () => {
    const headerOf = (jws: string) =>
      (parseToken(jws) as { header: Record<string, unknown> }).header;
    const header = (key: Parameters<typeof importPrivateKey>[0]) =>
      headerOf(createECT(claims(), { key, kid: 'k', now: NOW }));
    assert.equal(
      header(createPrivateKey({ key: keyPair('ES384').privateJwk, format: 'jwk' }))['alg'],
      'ES384',
    );
    assert.equal(
      header(createPrivateKey({ key: keyPair('ES512').privateJwk, format: 'jwk' }))['alg'],
      'ES512',
    );
    assert.equal(
      header(createPrivateKey({ key: keyPair('EdDSA').privateJwk, format: 'jwk' }))['alg'],
      'EdDSA',
    );
    assert.equal(
      header(createPrivateKey({ key: keyPair('PS256').privateJwk, format: 'jwk' }))['alg'],
      'PS256',
    );
    assert.equal(header({ ...keyPair('PS256').privateJwk, alg: 'PS512' })['alg'], 'PS512');
    const pem = createPrivateKey({ key: keyPair('ES256').privateJwk, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const fromPem = headerOf(createECT(claims(), { key: pem, now: NOW }));
    assert.equal(fromPem['alg'], 'ES256');
    assert.equal(fromPem['kid'], jwkThumbprint(pem)); // HDR-3: kid defaults to the RFC 7638 thumbprint
  });
});

describe('the algorithm is bound to the key (HDR-2)', () => {
  test('HDR-3: the same private JWK object can be imported as a public key (thumbprint, verification) and still sign', async () => {
    const { privateJwk } = generateKeyPair({ alg: 'ES256', kid: 'fresh' });
    const thumbprint = jwkThumbprint(privateJwk); // imports the object as a public key first
    assert.equal(importPublicKey(privateJwk).type, 'public');
    assert.equal(importPrivateKey(privateJwk).type, 'private');
    const jws = createECT(claims(), { key: privateJwk, kid: thumbprint, now: NOW });
    assert.equal(
      (await verifyECT(jws, verifyOptions({ keys: () => privateJwk }))).header?.kid,
      thumbprint,
    );
  });

  test('HDR-2: keyFitsAlgorithm binds each algorithm to exactly one key family', () => {
    const families: [string, ReturnType<typeof importPublicKey>][] = [
      ['P-256', importPublicKey(keyPair('ES256').publicJwk)],
      ['P-384', importPublicKey(keyPair('ES384').publicJwk)],
      ['P-521', importPublicKey(keyPair('ES512').publicJwk)],
      ['Ed25519', importPublicKey(keyPair('EdDSA').publicJwk)],
      ['RSA', importPublicKey(keyPair('PS256').publicJwk)],
      ['secp256k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey],
      ['Ed448', generateKeyPairSync('ed448').publicKey],
      ['RSA-1024', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey],
    ];
    const expected: Record<string, readonly Algorithm[]> = {
      'P-256': ['ES256'],
      'P-384': ['ES384'],
      'P-521': ['ES512'],
      Ed25519: ['EdDSA'],
      RSA: ['PS256', 'PS384', 'PS512'],
      secp256k1: [],
      Ed448: [],
      'RSA-1024': [],
    };
    for (const [name, key] of families) {
      assert.deepEqual(
        ALGORITHMS.filter((alg) => keyFitsAlgorithm(key, alg)),
        expected[name],
        name,
      );
    }
  });

  test('HDR-2, VER-5: an ES256 header is never verified with a P-384 key (resolver function): ECT_KEY_UNRESOLVED', async () => {
    // Signed with P-384 / ES384 but labelled ES256.
    const jws = signJSON(ecHeader({ alg: 'ES256' }), payload(), 'ES384');
    const error = await rejectsWith(
      verifyECT(jws, verifyOptions({ keys: () => keyPair('ES384').publicJwk })),
      'ECT_KEY_UNRESOLVED',
    );
    assert.equal(error.member, 'alg');
  });

  test('HDR-2, VER-5: every algorithm refuses the keys of the other families (JWK set without alg members)', async () => {
    for (const headerAlg of ALGORITHMS) {
      for (const keyAlg of ALGORITHMS) {
        const fits =
          headerAlg === keyAlg || (headerAlg.startsWith('PS') && keyAlg.startsWith('PS'));
        if (fits) continue;
        const { alg: _alg, ...jwk } = keyPair(keyAlg).publicJwk;
        const keys = { keys: [{ ...jwk, kid: 'test-ES256' }] };
        const jws = signJSON(ecHeader({ alg: headerAlg }), payload(), keyAlg);
        await rejectsWith(verifyECT(jws, verifyOptions({ keys })), 'ECT_KEY_UNRESOLVED');
      }
    }
  });

  test('HDR-2: a JWK whose own alg differs from the header (PS256 key, PS384 header) is refused; RSA below 2048 bits is refused', async () => {
    const jws = signJSON(ecHeader({ alg: 'PS384', kid: 'test-PS256' }), payload(), 'PS256');
    await rejectsWith(
      verifyECT(jws, verifyOptions({ keys: jwksOf(keyPair('PS256')) })),
      'ECT_KEY_UNRESOLVED',
    );
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = signJSON(ecHeader({ alg: 'PS256' }), payload(), 'PS256', small.privateKey);
    await rejectsWith(
      verifyECT(weak, verifyOptions({ keys: () => small.publicKey })),
      'ECT_KEY_UNRESOLVED',
    );
    assert.throws(
      () => createECT(claims(), { key: small.privateKey, alg: 'PS256', now: NOW }),
      ECTConfigError,
    );
  });

  test('HDR-2: a JWK set key with use "enc" or key_ops without verify is refused', async () => {
    const { publicJwk } = keyPair();
    for (const restriction of [{ use: 'enc' }, { key_ops: ['encrypt'] }]) {
      await rejectsWith(
        verifyECT(
          signJSON(ecHeader(), payload()),
          verifyOptions({ keys: { keys: [{ ...publicJwk, ...restriction }] } }),
        ),
        'ECT_KEY_UNRESOLVED',
      );
    }
    assert.equal(
      (
        await verifyECT(
          signJSON(ecHeader(), payload()),
          verifyOptions({ keys: { keys: [{ ...publicJwk, key_ops: ['verify'] }] } }),
        )
      ).level,
      2,
    );
  });

  test('HDR-2: PS* means RSASSA-PSS: a PKCS#1 v1.5 (RS256) signature under a PS256 header is ECT_SIGNATURE_INVALID', async () => {
    const pair = keyPair('PS256');
    const header = ecHeader({ alg: 'PS256', kid: 'test-PS256' });
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload())).toString('base64url')}`;
    const pkcs1 = sign(
      'sha256',
      Buffer.from(input),
      createPrivateKey({ key: pair.privateJwk, format: 'jwk' }),
    ).toString('base64url');
    await rejectsWith(
      verifyECT(`${input}.${pkcs1}`, verifyOptions({ keys: jwksOf(pair) })),
      'ECT_SIGNATURE_INVALID',
    );
  });

  test('HDR-2: creation refuses an algorithm that does not fit the key (ES256 with a P-384 key, EdDSA with RSA)', () => {
    assert.throws(
      () => createECT(claims(), { key: keyPair('ES384').privateJwk, alg: 'ES256', now: NOW }),
      (e: unknown) => e instanceof ECTConfigError && e.setting === 'alg',
    );
    assert.throws(
      () => createECT(claims(), { key: keyPair('PS256').privateJwk, alg: 'EdDSA', now: NOW }),
      ECTConfigError,
    );
    assert.throws(
      () =>
        createECT(claims(), {
          key: keyPair('ES256').privateJwk,
          alg: 'HS256' as Algorithm,
          now: NOW,
        }),
      ECTConfigError,
    );
    assert.throws(
      () => createECT(claims(), { now: NOW }),
      (e: unknown) => e instanceof ECTConfigError && e.setting === 'key',
    );
    assert.throws(
      () => createECT(claims(), { key: keyPair('ES256').publicJwk, now: NOW }),
      ECTConfigError,
    );
  });

  test('HDR-2: verifySignature fails closed on an unknown algorithm and on a key that does not fit', () => {
    const jws = signJSON(ecHeader(), payload());
    const parsed = parseToken(jws) as { signingInput: string; signature: Buffer };
    const key = importPublicKey(keyPair().publicJwk);
    assert.equal(verifySignature('ES256', key, parsed.signingInput, parsed.signature), true);
    assert.equal(
      verifySignature('HS256' as Algorithm, key, parsed.signingInput, parsed.signature),
      false,
    );
    assert.equal(verifySignature('PS256', key, parsed.signingInput, parsed.signature), false);
    assert.equal(verifySignature('EdDSA', key, parsed.signingInput, parsed.signature), false);
  });

  test('HDR-2: a JWK set refuses private and symmetric keys, and keys without kid (configuration errors)', () => {
    assert.throws(() => localJWKSet({ keys: [keyPair().privateJwk] }), ECTConfigError);
    assert.throws(
      () => localJWKSet({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }),
      ECTConfigError,
    );
    const { kid: _kid, ...noKid } = keyPair().publicJwk;
    assert.throws(() => localJWKSet({ keys: [noKid] }), ECTConfigError);
    for (const [crv, alg] of Object.entries(CURVE_OF))
      assert.equal(keyPair(alg).publicJwk.crv, crv);
  });
});
