import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  createECT,
  createSigner,
  createVerifier,
  ECTConfigError,
  parseToken,
} from '../../src/index.js';
import {
  AUD,
  claims,
  ISS,
  jwksOf,
  keyPair,
  NOW,
  throwsWith,
  verifyOptions,
} from '../helpers/fixtures.js';

describe('createSigner', () => {
  test("HDR-1, HDR-2, HDR-3: a prepared signer makes tokens with typ exec+jwt, the key's alg and kid, that verify", async () => {
    const pair = keyPair('ES384', 'signer-kid');
    const signer = createSigner({ key: pair.privateJwk });
    assert.equal(signer.alg, 'ES384');
    assert.equal(signer.kid, 'signer-kid');
    const verifier = createVerifier(verifyOptions({ keys: jwksOf(pair) }));
    for (let i = 0; i < 3; i++) {
      const token = signer.sign(claims(), { now: NOW });
      const result = await verifier.verify(token);
      assert.deepEqual(result.header, { alg: 'ES384', typ: 'exec+jwt', kid: 'signer-kid' });
      assert.equal(result.claims.aud, AUD);
    }
  });

  test('CLM-4, CLM-5, CLM-7: each token gets its own jti, pred [] and exp = iat + ttl (signer default, or per call)', () => {
    const signer = createSigner({ key: keyPair().privateJwk, ttl: 60 });
    const bare = { iss: ISS, aud: AUD, exec_act: 'review_spec' };
    const a = parseToken(signer.sign(bare, { now: NOW })).payload;
    const b = parseToken(signer.sign(bare, { now: NOW, ttl: 5 })).payload;
    assert.deepEqual(
      bare,
      { iss: ISS, aud: AUD, exec_act: 'review_spec' },
      'the input is not modified',
    );
    assert.notEqual(a['jti'], b['jti']);
    assert.deepEqual(a['pred'], []);
    assert.equal(a['exp'], NOW + 60);
    assert.equal(b['exp'], NOW + 5);
  });

  test("VER-7: the signer validates every claim before signing, with the verifier's codes", () => {
    const signer = createSigner({ key: keyPair().privateJwk });
    throwsWith(() => signer.sign(claims({ jti: 'not-a-uuid' })), 'ECT_CLAIM_INVALID');
    throwsWith(
      () => signer.sign(claims({ ect_ext: { a: { b: { c: { d: { e: {} } } } } } })),
      'ECT_EXT_LIMIT',
    );
    throwsWith(() => signer.sign({ iss: 'x', aud: 'y' } as never), 'ECT_CLAIM_MISSING');
  });

  test('HDR-2: a key that does not fit the requested algorithm is a configuration error at preparation', () => {
    assert.throws(
      () => createSigner({ key: keyPair('EdDSA').privateJwk, alg: 'ES256' }),
      ECTConfigError,
    );
    assert.throws(() => createSigner({ key: keyPair().publicJwk }), ECTConfigError);
  });

  test('createECT and a signer produce the same header for the same key', () => {
    const pair = keyPair();
    const one = createECT(claims(), { key: pair.privateJwk, now: NOW });
    const two = createSigner({ key: pair.privateJwk }).sign(claims(), { now: NOW });
    assert.equal(one.split('.')[0], two.split('.')[0]);
  });
});
