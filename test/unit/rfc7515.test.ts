import { strict as assert } from 'node:assert';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { verifySignature } from '../../src/crypto/jws.js';
import { importPublicKey } from '../../src/crypto/keys.js';
import { createECT } from '../../src/create/create.js';
import { parseToken } from '../../src/format/parse.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { AUD, ISS, NOW, rejectsWith } from '../helpers/fixtures.js';

interface Vector {
  readonly jwk: JsonWebKey & { kty: string; crv: string; x: string; y: string; d: string };
  readonly protectedHeader: string;
  readonly payload: string;
  readonly jws: string;
}

const vector = JSON.parse(
  readFileSync(new URL('../vectors/rfc7515-a3.json', import.meta.url), 'utf8'),
) as Vector;
const { d: _d, ...publicJwk } = vector.jwk;
const [h, p, s] = vector.jws.split('.') as [string, string, string];

describe('RFC 7515 Appendix A.3 (ES256): the JWS layer is standard (FMT-1)', () => {
  test('FMT-1: the vector is self-consistent: its segments are the header and payload text, and node:crypto verifies it', () => {
    assert.equal(Buffer.from(h, 'base64url').toString('utf8'), vector.protectedHeader);
    assert.equal(Buffer.from(p, 'base64url').toString('utf8'), vector.payload);
    const key = createPublicKey({ key: publicJwk, format: 'jwk' });
    assert.equal(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      ),
      true,
    );
    // The private scalar belongs to the same key.
    assert.deepEqual(
      importPublicKey(vector.jwk).export({ format: 'jwk' }),
      createPublicKey({ key: publicJwk, format: 'jwk' }).export({ format: 'jwk' }),
    );
  });

  test('FMT-1, HDR-2: verifySignature accepts the RFC signature with the RFC key, and rejects any altered byte', () => {
    const parsed = parseToken(vector.jws);
    assert.equal(parsed.level, 2);
    if (parsed.level !== 2) return;
    assert.deepEqual(parsed.header, { alg: 'ES256' });
    assert.deepEqual(parsed.payload, {
      iss: 'joe',
      exp: 1300819380,
      'http://example.com/is_root': true,
    });
    const key = importPublicKey(publicJwk);
    assert.equal(verifySignature('ES256', key, parsed.signingInput, parsed.signature), true);
    const flipped = Buffer.from(parsed.signature);
    flipped[10]! ^= 0x01;
    assert.equal(verifySignature('ES256', key, parsed.signingInput, flipped), false);
    const otherPayload = Buffer.from(vector.payload.replace('joe', 'jo3')).toString('base64url');
    assert.equal(verifySignature('ES256', key, `${h}.${otherPayload}`, parsed.signature), false);
    // The algorithm is bound to the key: the same bytes never verify under another ECDSA curve's algorithm.
    assert.equal(verifySignature('ES384', key, parsed.signingInput, parsed.signature), false);
  });

  test('HDR-1, VER-4: verifyECT rejects the RFC token only for its typ (ECT_TYP_INVALID), with the RFC key trusted', async () => {
    const options = {
      audience: AUD,
      keys: () => publicJwk,
      now: 1300819000,
      replay: false,
    } as const;
    const error = await rejectsWith(verifyECT(vector.jws, options), 'ECT_TYP_INVALID');
    assert.deepEqual(error.header, { alg: 'ES256' });
  });

  test("FMT-1, HDR-1: the RFC key signs and verifies ECTs (round trip with the vector's key)", async () => {
    const jws = createECT(
      { iss: ISS, aud: AUD, exec_act: 'rfc_key', iat: NOW },
      { key: vector.jwk, kid: 'rfc7515-a3', now: NOW },
    );
    const parsed = parseToken(jws);
    assert.equal(parsed.level === 2 && parsed.header['alg'], 'ES256');
    const result = await createVerifier({
      audience: AUD,
      keys: { keys: [{ ...publicJwk, kid: 'rfc7515-a3' }] },
      now: NOW,
    }).verify(jws);
    assert.equal(result.claims.exec_act, 'rfc_key');
  });
});
