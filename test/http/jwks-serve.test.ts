/**
 * The JWKS endpoint (`createJWKSHandler`, IDB-1): only public members are served, `kid` is the
 * RFC 7638 thumbprint, caching headers and conditional requests work, and a verifier fetching the
 * set with `remoteKeySet` over loopback keeps verifying across a key rotation.
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { generateKeyPair, jwkThumbprint, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import { ECTConfigError, ECTError } from '../../src/errors.js';
import { remoteKeySet } from '../../src/identity/remote-jwks.js';
import { issuerKeySets } from '../../src/identity/trust.js';
import {
  createJWKSHandler,
  JWK_SET_CONTENT_TYPE,
  publicJWKSet,
  type JWKSHandler,
} from '../../src/http/index.js';
import { createVerifier, type Verifier } from '../../src/verify/verify.js';
import { CALLER, callerToken, listen, send, SERVER, serveHono, type Running } from './support.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** A verifier that trusts the set at `url` for the caller; `cooldownMs` as a real one would. */
function remoteVerifier(url: string, cooldownMs: number): Verifier {
  const keys = issuerKeySets([
    { issuers: [{ exact: CALLER }], keys: remoteKeySet({ url, cooldownMs }) },
  ]);
  return createVerifier({ audience: SERVER, keys });
}

const signedBy = (pair: GeneratedKeyPair): string => callerToken({}, { key: pair.privateJwk });

async function refusedWith(verifier: Verifier, token: string, code: string): Promise<void> {
  await assert.rejects(verifier.verify(token), (error: unknown) => {
    assert.ok(error instanceof ECTError);
    assert.equal(error.code, code);
    return true;
  });
}

describe('JWKS endpoint (createJWKSHandler)', () => {
  test('IDB-1: private keys in, only public members out; kid is the RFC 7638 thumbprint', () => {
    const ec = generateKeyPair();
    const ed = generateKeyPair({ alg: 'EdDSA' });
    const rsa = generateKeyPair({ alg: 'PS256' });
    assert.ok(ec.privateJwk.d !== undefined && rsa.privateJwk.p !== undefined);
    const set = publicJWKSet({
      current: ec.privateJwk,
      next: ed.privateJwk,
      previous: [rsa.privateJwk],
    });
    assert.deepEqual(
      set.keys.map((key) => key.kid),
      [ec, ed, rsa].map((pair) => jwkThumbprint(pair.publicJwk)),
    );
    for (const key of set.keys) {
      for (const member of PRIVATE_MEMBERS) assert.equal(key[member], undefined, member);
      assert.equal(key.use, 'sig');
    }
    assert.deepEqual(Object.keys(set.keys[0]!).sort(), [
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
    assert.deepEqual(Object.keys(set.keys[2]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.deepEqual(
      set.keys.map((key) => key.alg),
      ['ES256', 'EdDSA', 'PS256'],
    );
    // Extra members of the input (x5c, key_ops, anything) are not copied either.
    const decorated = { ...ec.privateJwk, key_ops: ['sign'], secret_note: 'x' };
    assert.deepEqual(Object.keys(publicJWKSet({ current: decorated }).keys[0]!).sort(), [
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
  });

  test('IDB-1: a kid that is not the thumbprint, a key listed twice, a symmetric key, a wrong alg are ECTConfigError', () => {
    const pair = generateKeyPair();
    const cases: [() => unknown, string][] = [
      [
        () => publicJWKSet({ current: generateKeyPair({ kid: 'agent-1' }).publicJwk }),
        'keys.current',
      ],
      [() => publicJWKSet({ current: pair.publicJwk, next: pair.privateJwk }), 'keys.next'],
      [() => publicJWKSet({ current: { kty: 'oct', k: 'c2VjcmV0' } }), 'keys.current'],
      [
        () =>
          publicJWKSet({ current: pair.publicJwk, previous: { ...pair.publicJwk, alg: 'EdDSA' } }),
        'keys.previous[0]',
      ],
      [() => publicJWKSet({ current: { ...pair.publicJwk, alg: 'ES384' } }), 'keys.current'],
      [
        () => createJWKSHandler({ keys: { current: pair.publicJwk }, maxAgeSeconds: -1 }),
        'maxAgeSeconds',
      ],
      [() => publicJWKSet({} as never), 'keys.current'],
    ];
    for (const [build, setting] of cases)
      assert.throws(build, (error: unknown) => {
        assert.ok(error instanceof ECTConfigError, String(error));
        assert.equal(error.setting, setting);
        return true;
      });
  });

  test('IDB-1: application/jwk-set+json, Cache-Control max-age, a strong ETag, 304, HEAD and 405 over node:http', async () => {
    const jwks = createJWKSHandler({
      keys: { current: generateKeyPair().privateJwk },
      maxAgeSeconds: 120,
    });
    const running = await listen(createServer(jwks));
    try {
      const ok = await send(running.url, { method: 'GET' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], JWK_SET_CONTENT_TYPE);
      assert.equal(ok.headers['cache-control'], 'public, max-age=120');
      assert.match(ok.headers.etag ?? '', /^"[A-Za-z0-9_-]{43}"$/);
      assert.equal(ok.headers.etag, jwks.etag);
      assert.deepEqual(JSON.parse(ok.text), jwks.jwks);
      assert.doesNotMatch(ok.text, /"d"/);
      for (const ifNoneMatch of [jwks.etag, `W/${jwks.etag}`, `"other", ${jwks.etag}`, '*']) {
        const cached = await send(running.url, {
          method: 'GET',
          headers: { 'if-none-match': ifNoneMatch },
        });
        assert.equal(cached.status, 304, ifNoneMatch);
        assert.equal(cached.text, '');
        assert.equal(cached.headers.etag, jwks.etag);
      }
      const stale = await send(running.url, { method: 'GET', headers: { 'if-none-match': '"x"' } });
      assert.equal(stale.status, 200);
      const head = await send(running.url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(ok.text)));
      const post = await send(running.url, { method: 'POST', body: '{}' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      // A new set is a new entity tag: caches holding the old one get the new set.
      const before = jwks.etag;
      jwks.setKeys({ current: generateKeyPair().publicJwk });
      assert.notEqual(jwks.etag, before);
      const changed = await send(running.url, {
        method: 'GET',
        headers: { 'if-none-match': before },
      });
      assert.equal(changed.status, 200);
    } finally {
      await running.close();
    }
  });

  test('IDB-1: a verifier (remoteKeySet) keeps verifying across a rotation: publish next, switch, retire', async () => {
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    const jwks = createJWKSHandler({ keys: { current: a.privateJwk } });
    let fetches = 0;
    const running = await listen(
      createServer((request, response) => {
        fetches += 1;
        jwks(request, response);
      }),
    );
    // A verifier's cooldown outlasts the test: it fetches again only for a new verifier (which
    // stands for one whose cached set reached its max age).
    const hour = 3_600_000;
    try {
      // Before the rotation: a signs.
      const early = remoteVerifier(running.url, hour);
      assert.equal((await early.verify(signedBy(a))).claims.iss, CALLER);

      // Step 1: publish b next to a. A verifier that fetched before this cannot know b yet, which
      // is why signing waits for max-age to pass.
      jwks.setKeys({ current: a.privateJwk, next: b.privateJwk });
      await refusedWith(early, signedBy(b), 'ECT_KEY_UNRESOLVED');
      const step1 = remoteVerifier(running.url, hour);
      assert.equal((await step1.verify(signedBy(a))).claims.iss, CALLER);
      const fetchesAfterStep1 = fetches;

      // Step 2 (after max-age): b signs, a stays published as previous. A verifier holding the
      // step-1 set verifies b's tokens without fetching again.
      jwks.setKeys({ current: b.privateJwk, previous: a.privateJwk });
      assert.equal((await step1.verify(signedBy(b))).claims.iss, CALLER);
      assert.equal(fetches, fetchesAfterStep1);
      const step2 = remoteVerifier(running.url, hour);
      assert.equal((await step2.verify(signedBy(a))).claims.iss, CALLER); // still in flight
      assert.equal((await step2.verify(signedBy(b))).claims.iss, CALLER);

      // Step 3 (after a's tokens have expired, plus max-age): a is retired.
      jwks.setKeys({ current: b.privateJwk });
      const step3 = remoteVerifier(running.url, hour);
      assert.equal((await step3.verify(signedBy(b))).claims.iss, CALLER);
      await refusedWith(step3, signedBy(a), 'ECT_KEY_UNRESOLVED');
    } finally {
      await running.close();
    }
  });

  test('IDB-1: the same handler serves from Express, Fastify (respond) and Hono (fetch)', async () => {
    const pair = generateKeyPair();
    const jwks: JWKSHandler = createJWKSHandler({ keys: { current: pair.privateJwk } });
    const servers: Running[] = [];
    try {
      const app = express();
      app.get('/.well-known/jwks.json', jwks);
      servers.push(await listen(app.listen(0, '127.0.0.1')));

      const fastify = Fastify();
      fastify.get('/.well-known/jwks.json', (request, reply) => {
        const ifNoneMatch = request.headers['if-none-match'];
        const answer = jwks.respond({ method: request.method, ifNoneMatch });
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      });
      await fastify.ready();
      servers.push(await listen(fastify.server));

      const hono = new Hono();
      hono.get('/.well-known/jwks.json', (c) => jwks.fetch(c.req.raw));
      servers.push(await listen(serveHono(hono.fetch)));

      for (const running of servers) {
        const url = `${running.url}/.well-known/jwks.json`;
        const ok = await send(url, { method: 'GET' });
        assert.equal(ok.status, 200, url);
        assert.equal(ok.headers['content-type'], JWK_SET_CONTENT_TYPE, url);
        assert.equal(ok.headers.etag, jwks.etag);
        const cached = await send(url, { method: 'GET', headers: { 'if-none-match': jwks.etag } });
        assert.equal(cached.status, 304, url);
        const verifier = remoteVerifier(url, 0);
        assert.equal((await verifier.verify(signedBy(pair))).claims.iss, CALLER);
      }
    } finally {
      for (const running of servers) await running.close();
    }
  });
});
