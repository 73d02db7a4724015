/**
 * IDB-3, the WIMSE profile: the ECT comes with a Workload Identity Token (`wit+jwt`) from the
 * trust domain's issuer; the WIT is verified against that issuer's JWK set, its `cnf.jwk` is the
 * ECT key, and the ECT's `iss` must be the WIT's `sub` (VER-8). WITs are made with the test issuer
 * (`createTrustDomainIssuer`) or signed by hand for malformed cases.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { signCompact } from '../../src/crypto/jws.js';
import { generateKeyPair, importPrivateKey } from '../../src/crypto/keys.js';
import { staticKeySet } from '../../src/identity/key-set.js';
import { createTrustDomainIssuer } from '../../src/identity/wit-issuer.js';
import { verifyWIT, wimseTrust, type WimseTrustOptions } from '../../src/identity/wit.js';
import { accepts, AUD, ect, NOW, rejects } from './support.js';

const SUB = 'spiffe://example.org/agent/a';
const issuerKey = generateKeyPair({ alg: 'ES256', kid: 'td-key-1' });
const issuer = createTrustDomainIssuer({
  trustDomain: 'example.org',
  privateKey: issuerKey.privateJwk,
  kid: 'td-key-1',
});
const otherIssuer = createTrustDomainIssuer({ trustDomain: 'other.org' });
const workload = generateKeyPair({ alg: 'ES256', kid: 'workload-1' });
const stranger = generateKeyPair({ alg: 'ES256', kid: 'workload-1' }); // same kid, other key

function source(options: Partial<WimseTrustOptions> = {}): ReturnType<typeof wimseTrust> {
  return wimseTrust({
    trustDomains: [
      { trustDomain: 'example.org', keys: staticKeySet(issuer.jwks()) },
      { trustDomain: 'other.org', keys: staticKeySet(otherIssuer.jwks()) },
    ],
    ...options,
  });
}

function witFor(options: { sub?: string; now?: number; ttl?: number } = {}): string {
  return issuer.issueWit({
    sub: options.sub ?? SUB,
    publicJwk: workload.publicJwk,
    now: options.now ?? NOW,
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
  });
}

/** A WIT signed with the trusted issuer key but with a hand-made header or claims. */
function handMadeWit(
  header: Record<string, unknown>,
  claims: Record<string, unknown> = {},
): string {
  const payload = {
    iss: issuer.issuer,
    sub: SUB,
    iat: NOW,
    exp: NOW + 3600,
    jti: randomUUID(),
    cnf: { jwk: workload.publicJwk },
    ...claims,
  };
  return signCompact(
    { alg: 'ES256', typ: 'wit+jwt', kid: 'td-key-1', ...header },
    payload,
    importPrivateKey(issuerKey.privateJwk),
    'ES256',
  );
}

function ectBy(
  iss = SUB,
  options: { now?: number; key?: typeof workload; kid?: string } = {},
): string {
  return ect(iss, {
    key: (options.key ?? workload).privateJwk,
    kid: options.kid ?? 'workload-1',
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

describe('WIMSE profile (IDB-3)', () => {
  test("IDB-3: an ECT signed with the WIT's cnf.jwk, with iss = WIT sub, verifies", async () => {
    const result = await accepts(source(), ectBy(), {
      context: { workloadIdentityToken: witFor() },
    });
    assert.equal(result.claims.iss, SUB);
  });

  test('IDB-3, VER-5: without a Workload-Identity-Token the ECT is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', { message: /Workload-Identity-Token/ });
  });

  test('IDB-3: an expired WIT is rejected with ECT_KEY_UNRESOLVED', async () => {
    const wit = witFor({ now: NOW - 7200, ttl: 3600 });
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: wit },
      message: /WIT expired/,
    });
  });

  test('IDB-3: the WIT expiry is checked at every verification, also for a WIT verified (and cached) before', async () => {
    const trust = source();
    const wit = witFor({ ttl: 3600 });
    await accepts(trust, ectBy(), { context: { workloadIdentityToken: wit } });
    const later = NOW + 7200;
    await rejects(trust, ectBy(SUB, { now: later }), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: wit },
      now: later,
      message: /WIT expired/,
    });
  });

  test('IDB-3: a WIT signed by an untrusted issuer is rejected with ECT_KEY_UNRESOLVED', async () => {
    const rogue = createTrustDomainIssuer({ trustDomain: 'example.org' });
    const wit = rogue.issueWit({ sub: SUB, publicJwk: workload.publicJwk, now: NOW });
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: wit },
      message: /not trusted for spiffe:\/\/example\.org\//,
    });
  });

  test('IDB-3: the issuer of another trust domain cannot vouch for a workload of this one (ECT_KEY_UNRESOLVED)', async () => {
    // Signed with other.org's key (and kid), claiming a workload of example.org.
    const otherKey = generateKeyPair({ alg: 'ES256', kid: 'other-key' });
    const other = createTrustDomainIssuer({
      trustDomain: 'other.org',
      privateKey: otherKey.privateJwk,
      kid: 'other-key',
    });
    const crossing = createTrustDomainIssuer({
      trustDomain: 'example.org',
      privateKey: otherKey.privateJwk,
      kid: 'other-key',
    });
    const trust = wimseTrust({
      trustDomains: [
        { trustDomain: 'example.org', keys: staticKeySet(issuer.jwks()) },
        { trustDomain: 'other.org', keys: staticKeySet(other.jwks()) },
      ],
    });
    const wit = crossing.issueWit({ sub: SUB, publicJwk: workload.publicJwk, now: NOW });
    await rejects(trust, ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: wit },
    });
  });

  test('IDB-3: a WIT whose subject is in no trusted trust domain is rejected with ECT_KEY_UNRESOLVED', async () => {
    const unknown = createTrustDomainIssuer({ trustDomain: 'unknown.org' });
    const wit = unknown.issueWit({
      sub: 'spiffe://unknown.org/agent',
      publicJwk: workload.publicJwk,
      now: NOW,
    });
    await rejects(source(), ectBy('spiffe://unknown.org/agent'), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: wit },
      message: /no trusted trust domain/,
    });
  });

  test("IDB-3, VER-8: an ECT whose iss is not the WIT's sub is rejected with ECT_ISSUER_MISMATCH", async () => {
    await rejects(source(), ectBy('spiffe://example.org/agent/b'), 'ECT_ISSUER_MISMATCH', {
      context: { workloadIdentityToken: witFor() },
    });
  });

  test("IDB-3, VER-6: an ECT signed by a key other than the WIT's cnf.jwk is rejected with ECT_SIGNATURE_INVALID", async () => {
    await rejects(source(), ectBy(SUB, { key: stranger }), 'ECT_SIGNATURE_INVALID', {
      context: { workloadIdentityToken: witFor() },
    });
  });

  test('IDB-3: a WIT with the wrong typ is rejected with ECT_KEY_UNRESOLVED', async () => {
    for (const typ of ['JWT', 'exec+jwt', undefined]) {
      const wit = handMadeWit({ typ });
      await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
        context: { workloadIdentityToken: wit },
        message: /expected typ wit\+jwt/,
      });
    }
  });

  test('IDB-3: the WIT typ is compared case-insensitively, with or without application/ (RFC 7515 §4.1.9)', async () => {
    await accepts(source(), ectBy(), {
      context: { workloadIdentityToken: handMadeWit({ typ: 'application/WIT+JWT' }) },
    });
  });

  test('IDB-3: a WIT with a broken signature is rejected with ECT_KEY_UNRESOLVED', async () => {
    const [header, payload] = witFor().split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`;
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: forged },
      message: /signature does not verify/,
    });
  });

  test('IDB-3, HDR-2: a WIT with a symmetric or none algorithm is rejected with ECT_KEY_UNRESOLVED', async () => {
    for (const alg of ['HS256', 'none']) {
      const [, payload, signature] = handMadeWit({}).split('.');
      const header = Buffer.from(JSON.stringify({ alg, typ: 'wit+jwt', kid: 'td-key-1' })).toString(
        'base64url',
      );
      await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
        context: { workloadIdentityToken: `${header}.${payload}.${signature}` },
        message: /not allowed/,
      });
    }
  });

  test('IDB-3: a WIT without cnf.jwk, or with a private key in it, is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: handMadeWit({}, { cnf: {} }) },
      message: /cnf\.jwk/,
    });
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: handMadeWit({}, { cnf: { jwk: workload.privateJwk } }) },
      message: /not a public key/,
    });
  });

  test("IDB-3, HDR-3: the ECT must carry a kid, and it must be the kid of the WIT's key (ECT_KEY_UNRESOLVED)", async () => {
    await rejects(source(), ectBy(SUB, { kid: 'someone-else' }), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: witFor() },
      message: /not the kid/,
    });
  });

  test("IDB-3: a configured WIT issuer (wit_iss) must match the WIT's iss (ECT_KEY_UNRESOLVED)", async () => {
    const trust = wimseTrust({
      trustDomains: [
        {
          trustDomain: 'example.org',
          keys: staticKeySet(issuer.jwks()),
          witIssuer: 'https://issuer.example.org',
        },
      ],
    });
    await rejects(trust, ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: witFor() },
      message: /not the issuer/,
    });
  });

  test('IDB-3: a malformed WIT is rejected with ECT_KEY_UNRESOLVED (not ECT_MALFORMED: the ECT itself is fine)', async () => {
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', {
      context: { workloadIdentityToken: 'not.a.jwt' },
    });
  });

  test('IDB-3: verifyWIT returns the workload identity and key of a valid WIT', async () => {
    const verified = await verifyWIT(witFor(), {
      trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(issuer.jwks()) }],
      now: NOW,
    });
    assert.equal(verified.sub, SUB);
    assert.equal(verified.trustDomain, 'spiffe://example.org/');
    assert.equal(verified.jwk.kid, 'workload-1');
  });

  test('IDB-3, CLM-1: a WIT whose sub is in the spiffe scheme but not a valid SPIFFE ID is rejected with ECT_KEY_UNRESOLVED, even when the ECT iss equals it', async () => {
    const subs = ['spiffe://example.org/a/../b', 'spiffe://example.org/a/', 'spiffe://x/a?y'];
    for (const sub of subs) {
      const context = { workloadIdentityToken: handMadeWit({}, { sub }) };
      // Signed by hand: createECT itself refuses such an iss (CLM-1).
      const claims = { iss: sub, aud: AUD, exec_act: 'x', iat: NOW, exp: NOW + 60, pred: [] };
      const header = { alg: 'ES256', typ: 'exec+jwt', kid: 'workload-1' };
      const key = importPrivateKey(workload.privateJwk);
      const token = signCompact(header, { ...claims, jti: randomUUID() }, key, 'ES256');
      const message = /not a valid SPIFFE ID/;
      const error = await rejects(source(), token, 'ECT_KEY_UNRESOLVED', { context, message });
      assert.equal(error.member, 'sub');
    }
    // The test issuer refuses to issue such a WIT; a trust domain name must be one too.
    const bad = { sub: 'spiffe://example.org/agent/../a', publicJwk: workload.publicJwk };
    assert.throws(() => issuer.issueWit(bad), { name: 'ECTConfigError', message: /SPIFFE ID/ });
    const upper = [{ trustDomain: 'Example.org', keys: staticKeySet(issuer.jwks()) }];
    const configError = { name: 'ECTConfigError', message: /trust_domain/ };
    assert.throws(() => wimseTrust({ trustDomains: upper }), configError);
  });

  test('IDB-3, CLM-4: a WIT whose exp is beyond the NumericDate range (1e23) is rejected with ECT_KEY_UNRESOLVED', async () => {
    const context = { workloadIdentityToken: handMadeWit({}, { exp: 1e23 }) };
    await rejects(source(), ectBy(), 'ECT_KEY_UNRESOLVED', { context, message: /NumericDate/ });
  });

  test('IDB-3: the test issuer refuses a subject outside its trust domain', () => {
    assert.throws(
      () => issuer.issueWit({ sub: 'spiffe://other.org/agent', publicJwk: workload.publicJwk }),
      { name: 'ECTConfigError' },
    );
  });
});
