/**
 * IDB-1, the JWK set profile, and the issuer binding of VER-8: keys chosen by `kid` (HDR-3) from
 * the set bound to the token's issuer; a key's `alg`/`kty`/`crv`/`use` must agree with the header;
 * header-supplied keys are never trusted (HDR-5); remote sets are cached, refetched at most once
 * per cooldown on an unknown `kid`, bounded in time and size, and fail closed.
 */
import { strict as assert } from 'node:assert';
import { randomUUID, type JsonWebKey } from 'node:crypto';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { signCompact } from '../../src/crypto/jws.js';
import { generateKeyPair, importPrivateKey, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import { staticKeySet, type KeySet } from '../../src/identity/key-set.js';
import { remoteKeySet, type RemoteKeySetOptions } from '../../src/identity/remote-jwks.js';
import { issuerKeySets } from '../../src/identity/trust.js';
import {
  accepts,
  AUD,
  ect,
  jsonServer,
  NOW,
  rejects,
  startServer,
  type TestServer,
} from './support.js';

const A = 'spiffe://a.example/agent/one';
const B = 'spiffe://b.example/agent/two';

const keyA = generateKeyPair({ alg: 'ES256', kid: 'key-a' });
const keyB = generateKeyPair({ alg: 'ES256', kid: 'key-b' });
const keyEd = generateKeyPair({ alg: 'EdDSA', kid: 'key-ed' });
const key2 = generateKeyPair({ alg: 'ES256', kid: 'key-2' });
const key3 = generateKeyPair({ alg: 'ES256', kid: 'key-3' });

function setOf(...pairs: GeneratedKeyPair[]): { keys: JsonWebKey[] } {
  return { keys: pairs.map((p) => p.publicJwk) };
}

function bound(
  entries: readonly [string | { prefix: string }, KeySet][],
): ReturnType<typeof issuerKeySets> {
  return issuerKeySets(
    entries.map(([iss, keys]) => ({
      issuers: [typeof iss === 'string' ? { exact: iss } : iss],
      keys,
    })),
  );
}

function signedBy(
  pair: GeneratedKeyPair,
  iss: string,
  header: Record<string, unknown> = {},
): string {
  return ect(iss, {
    key: pair.privateJwk,
    kid: (header['kid'] as string | undefined) ?? pair.publicJwk.kid,
  });
}

/** A token with a hand-made header (HDR-5 members, a foreign kid). */
function rawToken(pair: GeneratedKeyPair, header: Record<string, unknown>, iss = A): string {
  const claims = {
    iss,
    aud: AUD,
    exec_act: 'review_spec',
    iat: NOW,
    exp: NOW + 600,
    jti: randomUUID(),
    pred: [],
  };
  return signCompact(
    { typ: 'exec+jwt', alg: pair.publicJwk.alg, ...header },
    claims,
    importPrivateKey(pair.privateJwk),
    pair.publicJwk.alg,
  );
}

describe('JWK sets bound to issuers (IDB-1, VER-8)', () => {
  test('IDB-1: the key is chosen by kid from the set bound to the exact iss', async () => {
    const source = bound([
      [A, staticKeySet(setOf(keyA))],
      [B, staticKeySet(setOf(keyB))],
    ]);
    await accepts(source, signedBy(keyA, A));
    await accepts(source, signedBy(keyB, B));
  });

  test('IDB-1: a prefix (a SPIFFE trust domain) covers every issuer below it', async () => {
    const source = bound([[{ prefix: 'spiffe://a.example/' }, staticKeySet(setOf(keyA))]]);
    await accepts(source, signedBy(keyA, 'spiffe://a.example/agent/other'));
  });

  test('IDB-1, VER-8: a key trusted for issuer A never verifies a token claiming issuer B (ECT_ISSUER_MISMATCH)', async () => {
    const source = bound([
      [A, staticKeySet(setOf(keyA))],
      [B, staticKeySet(setOf(keyB))],
    ]);
    await rejects(source, signedBy(keyA, B), 'ECT_ISSUER_MISMATCH');
  });

  test('IDB-1, VER-8: a key of issuer A claiming an issuer nobody is trusted for is rejected with ECT_ISSUER_MISMATCH', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(source, signedBy(keyA, 'spiffe://nobody.example/x'), 'ECT_ISSUER_MISMATCH');
  });

  test('IDB-1, VER-8: a prefix binding does not cover a look-alike domain (ECT_ISSUER_MISMATCH)', async () => {
    const source = bound([[{ prefix: 'spiffe://a.example/' }, staticKeySet(setOf(keyA))]]);
    await rejects(source, signedBy(keyA, 'spiffe://a.example.evil/agent'), 'ECT_ISSUER_MISMATCH');
  });

  test('IDB-1, VER-5: an unknown kid for a trusted issuer is rejected with ECT_KEY_UNRESOLVED', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(source, signedBy(keyB, A), 'ECT_KEY_UNRESOLVED', { message: /key-b/ });
  });

  test('IDB-1: an issuer with no trusted set and an unknown kid is rejected with ECT_KEY_UNRESOLVED', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(source, signedBy(keyB, B), 'ECT_KEY_UNRESOLVED');
  });

  test('HDR-3: a token without kid is rejected with ECT_KEY_UNRESOLVED by the JWK set profile', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(source, rawToken(keyA, {}), 'ECT_KEY_UNRESOLVED', { message: /HDR-3/ });
  });

  test('VER-6: a token whose kid names a trusted key but is signed by another key is rejected with ECT_SIGNATURE_INVALID', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(source, rawToken(keyB, { kid: 'key-a' }), 'ECT_SIGNATURE_INVALID');
  });

  test('IDB-1, HDR-2: a kid naming a key of another type (Ed25519 for ES256) is rejected with ECT_KEY_UNRESOLVED', async () => {
    // Without an alg member, only the key type can refuse it.
    const { alg: _alg, ...edWithoutAlg } = keyEd.publicJwk;
    const source = bound([[A, staticKeySet({ keys: [keyA.publicJwk, edWithoutAlg] })]]);
    await rejects(source, rawToken(keyA, { kid: 'key-ed' }), 'ECT_KEY_UNRESOLVED', {
      message: /OKP Ed25519\) does not fit ES256/,
    });
  });

  test('IDB-1: a key whose JWK alg differs from the header alg is rejected with ECT_KEY_UNRESOLVED (RFC 7517 §4.4)', async () => {
    const source = bound([[A, staticKeySet({ keys: [{ ...keyA.publicJwk, alg: 'ES384' }] })]]);
    await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', { message: /for ES384/ });
  });

  test('IDB-1: a key with use "enc" is rejected with ECT_KEY_UNRESOLVED (RFC 7517 §4.2)', async () => {
    const source = bound([[A, staticKeySet({ keys: [{ ...keyA.publicJwk, use: 'enc' }] })]]);
    await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', { message: /use is enc/ });
  });

  test('HDR-5: a jwk in the header is never trusted as the key (ECT_KEY_UNRESOLVED)', async () => {
    const source = bound([[A, staticKeySet(setOf(keyA))]]);
    await rejects(
      source,
      rawToken(keyB, { kid: 'attacker', jwk: keyB.publicJwk }),
      'ECT_KEY_UNRESOLVED',
    );
  });

  test('HDR-5: jku and x5u in the header never cause a fetch (ECT_KEY_UNRESOLVED, no request)', async () => {
    const server = await jsonServer(() => setOf(keyB));
    try {
      const source = bound([[A, staticKeySet(setOf(keyA))]]);
      await rejects(
        source,
        rawToken(keyB, {
          kid: 'key-b',
          jku: `${server.url}/jwks.json`,
          x5u: `${server.url}/cert.pem`,
        }),
        'ECT_KEY_UNRESOLVED',
      );
      assert.equal(server.requests(), 0);
    } finally {
      await server.close();
    }
  });
});

describe('remote JWK sets (IDB-1)', () => {
  let keys: JsonWebKey[];
  let server: TestServer;

  beforeEach(async () => {
    keys = [keyA.publicJwk];
    server = await jsonServer(() => ({ keys }));
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  });

  afterEach(async () => {
    mock.timers.reset();
    await server.close();
  });

  function remote(options: Partial<RemoteKeySetOptions> = {}): ReturnType<typeof issuerKeySets> {
    return bound([
      [
        { prefix: 'spiffe://a.example/' },
        remoteKeySet({ url: `${server.url}/jwks.json`, ...options }),
      ],
    ]);
  }

  test('IDB-1: a remote set is fetched once and served from the cache within its maximum age', async () => {
    const source = remote();
    await accepts(source, signedBy(keyA, A));
    await accepts(source, signedBy(keyA, A));
    mock.timers.tick(599_000);
    await accepts(source, signedBy(keyA, A));
    assert.equal(server.requests(), 1);
  });

  test('IDB-1: an unknown kid causes exactly one refetch per cooldown, however many tokens ask', async () => {
    const source = remote();
    await accepts(source, signedBy(keyA, A));
    assert.equal(server.requests(), 1);
    // The issuer rotates; right after a fetch, an unknown kid does not cause another one.
    keys = [keyA.publicJwk, key2.publicJwk];
    await rejects(source, signedBy(key2, A), 'ECT_KEY_UNRESOLVED');
    assert.equal(server.requests(), 1);
    // After the cooldown: one refetch, shared by every token that waits for it.
    mock.timers.tick(30_001);
    await Promise.all([
      accepts(source, signedBy(key2, A)),
      accepts(source, signedBy(key2, A)),
      rejects(source, signedBy(key3, A), 'ECT_KEY_UNRESOLVED'),
    ]);
    assert.equal(server.requests(), 2);
    // Unknown kids within the new cooldown: no further request.
    for (let i = 0; i < 5; i++)
      await rejects(source, signedBy(key3, A), 'ECT_KEY_UNRESOLVED', { message: /key-3/ });
    assert.equal(server.requests(), 2);
    mock.timers.tick(30_001);
    await rejects(source, signedBy(key3, A), 'ECT_KEY_UNRESOLVED');
    assert.equal(server.requests(), 3);
  });

  test('IDB-1: the cooldown is configurable', async () => {
    const source = remote({ cooldownMs: 1_000 });
    await accepts(source, signedBy(keyA, A));
    keys = [keyA.publicJwk, key2.publicJwk];
    mock.timers.tick(1_001);
    await accepts(source, signedBy(key2, A));
    assert.equal(server.requests(), 2);
  });

  test('IDB-1, VER-8: a remote set bound to issuer A does not verify a token claiming issuer B (ECT_ISSUER_MISMATCH)', async () => {
    const source = issuerKeySets([
      {
        issuers: [{ prefix: 'spiffe://a.example/' }],
        keys: remoteKeySet({ url: `${server.url}/a.json` }),
      },
      { issuers: [{ exact: B }], keys: staticKeySet(setOf(keyB)) },
    ]);
    await accepts(source, signedBy(keyA, A)); // loads the remote set
    await rejects(source, signedBy(keyA, B), 'ECT_ISSUER_MISMATCH');
  });

  test('IDB-1: a server that goes down: known keys work from the cache within the maximum age, then ECT_KEY_UNRESOLVED', async () => {
    const source = remote({ maxAgeMs: 60_000 });
    await accepts(source, signedBy(keyA, A));
    await server.close();
    await accepts(source, signedBy(keyA, A));
    // An unknown kid after the cooldown tries the server and fails closed, with a clear message.
    mock.timers.tick(30_001);
    await rejects(source, signedBy(key2, A), 'ECT_KEY_UNRESOLVED', {
      message: /JWK set at http:\/\/127\.0\.0\.1:\d+\/jwks\.json could not be fetched/,
    });
    // Past the maximum age, even a known key is refused: the stale set may hold a withdrawn key.
    mock.timers.tick(60_001);
    await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', {
      message: /could not be fetched/,
    });
  });

  test('IDB-1, VER-5: a set that cannot be fetched at all is rejected with ECT_KEY_UNRESOLVED naming the URL', async () => {
    await server.close();
    await rejects(remote(), signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', {
      message: /could not be fetched/,
    });
  });

  test('IDB-1: an HTTP error status is rejected with ECT_KEY_UNRESOLVED', async () => {
    const failing = await startServer((_request, response) => {
      response.writeHead(500);
      response.end('oops');
    });
    try {
      const source = bound([[A, remoteKeySet({ url: failing.url })]]);
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', { message: /200 OK/ });
    } finally {
      await failing.close();
    }
  });

  test('IDB-1: after a failed fetch, tokens fail at once for the backoff instead of asking the server again', async () => {
    const failing = await startServer((_request, response) => {
      response.writeHead(503);
      response.end();
    });
    try {
      const source = bound([[A, remoteKeySet({ url: failing.url, failureBackoffMs: 5_000 })]]);
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED');
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', {
        message: /could not be fetched/,
      });
      assert.equal(failing.requests(), 1);
      mock.timers.tick(5_001);
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED');
      assert.equal(failing.requests(), 2);
    } finally {
      await failing.close();
    }
  });

  test('IDB-1: a server that never answers cannot stall verification beyond the timeout (ECT_KEY_UNRESOLVED)', async () => {
    const hanging = await startServer(() => undefined);
    try {
      const source = bound([[A, remoteKeySet({ url: hanging.url, timeoutMs: 100 })]]);
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', { message: /timed out/ });
    } finally {
      await hanging.close();
    }
  });

  test('IDB-1: a server that stops in the middle of the body cannot stall verification beyond the timeout', async () => {
    const stalling = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys": [');
    });
    try {
      const source = bound([[A, remoteKeySet({ url: stalling.url, timeoutMs: 100 })]]);
      await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', { message: /timed out/ });
    } finally {
      await stalling.close();
    }
  });

  test('IDB-1: a set larger than the size limit is refused (declared or streamed), ECT_KEY_UNRESOLVED', async () => {
    const big = JSON.stringify({ keys: [keyA.publicJwk], padding: 'x'.repeat(4096) });
    const declared = await startServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(big),
      });
      response.end(big);
    });
    const streamed = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(big.slice(0, 2000));
      response.end(big.slice(2000));
    });
    try {
      for (const server of [declared, streamed]) {
        const source = bound([[A, remoteKeySet({ url: server.url, maxBytes: 1024 })]]);
        await rejects(source, signedBy(keyA, A), 'ECT_KEY_UNRESOLVED', {
          message: /larger than 1024 bytes/,
        });
      }
    } finally {
      await declared.close();
      await streamed.close();
    }
  });

  test('IDB-1: members of a published set that cannot verify (no kid, encryption keys) are skipped, not fatal', async () => {
    const { kid: _kid, ...noKid } = key2.publicJwk;
    keys = [
      noKid,
      { kty: 'RSA', use: 'enc', alg: 'RSA-OAEP', kid: 'enc-1', n: 'AQAB', e: 'AQAB' },
      keyA.publicJwk,
    ];
    await accepts(remote(), signedBy(keyA, A));
  });
});
