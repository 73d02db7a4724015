/**
 * One verification core (issue 11): the one JWS verification (src/crypto/verify-jws.ts) checks
 * ECTs, WITs and ledger receipts alike — the same hostile header is refused by all three, each
 * with its own error — and the one issuer matching (`issuerRank`) ranks exact over prefix and the
 * longest prefix first, wherever an issuer or a trust domain is chosen.
 * @module
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { signCompact } from '../../src/crypto/jws.js';
import { importPrivateKey, importPublicKey } from '../../src/crypto/keys.js';
import {
  isMediaType,
  verifyJWS,
  type JWSFailure,
  type JWSHeaderRules,
  type JWSKey,
} from '../../src/crypto/verify-jws.js';
import { ECTConfigError } from '../../src/errors.js';
import { parseToken, type ParsedJWS } from '../../src/format/parse.js';
import { staticKeySet } from '../../src/identity/key-set.js';
import { EXACT_ISSUER_RANK, issuerMatches, issuerRank } from '../../src/identity/key-source.js';
import { createTrustDomainIssuer } from '../../src/identity/wit-issuer.js';
import { verifyWIT } from '../../src/identity/wit.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ReceiptError, verifyReceipt } from '../../src/ledger/receipt.js';
import { createVerifier } from '../../src/verify/verify.js';
import {
  ecHeader,
  jwksOf,
  keyPair,
  NOW,
  payload,
  rejectsWith,
  signJSON,
  token,
  verifyOptions,
} from '../helpers/fixtures.js';

const RULES: JWSHeaderRules = {
  typName: 'exec+jwt',
  typ: (typ) => isMediaType(typ, ['exec+jwt']),
  algorithms: new Set(['ES256', 'EdDSA']),
};

/** Runs `verifyJWS` on a hand-made token and returns the failure it reported, or `undefined`. */
function failureOf(
  jws: string,
  key = importPublicKey(keyPair().publicJwk),
): JWSFailure | undefined {
  let seen: JWSFailure | undefined;
  try {
    verifyJWS({
      jws: parseToken(jws) as ParsedJWS,
      rules: RULES,
      context: key,
      key: (_alg, k): JWSKey => ({ key: k }),
      fail: (failure) => {
        seen = failure;
        return new Error(failure.message);
      },
    });
  } catch {
    return seen;
  }
  return undefined;
}

describe('the one JWS verification (VER-4, VER-5, VER-6)', () => {
  test('HDR-1, HDR-2, HDR-4, VER-4: header checks in order typ, alg, crit/b64', () => {
    assert.equal(
      failureOf(signJSON(ecHeader({ typ: 'JWT', alg: 'none' }), payload()))?.check,
      'typ',
    );
    assert.equal(
      failureOf(signJSON(ecHeader({ alg: 'HS256', crit: ['x'] }), payload()))?.check,
      'alg',
    );
    assert.equal(failureOf(signJSON(ecHeader({ alg: 'ES384' }), payload()))?.check, 'alg');
    const crit = failureOf(signJSON(ecHeader({ crit: ['exp'] }), payload()));
    assert.deepEqual([crit?.check, crit?.member], ['crit', 'crit']);
    const b64 = failureOf(signJSON(ecHeader({ b64: false }), payload()));
    assert.deepEqual([b64?.check, b64?.member], ['crit', 'b64']);
    assert.equal(failureOf(signJSON(ecHeader({ b64: true }), payload())), undefined);
  });

  test('HDR-2, VER-5: the key is looked up only for an allowed header and must fit its alg', () => {
    const ed = importPublicKey(keyPair('EdDSA').publicJwk);
    const unfit = failureOf(signJSON(ecHeader(), payload()), ed);
    assert.deepEqual(
      [unfit?.check, unfit?.member, unfit?.message],
      ['key', 'alg', 'the key does not fit ES256'],
    );
    let lookups = 0;
    assert.throws(() =>
      verifyJWS({
        jws: parseToken(signJSON(ecHeader({ typ: 'JWT' }), payload())) as ParsedJWS,
        rules: RULES,
        context: undefined,
        key: () => (lookups++, { key: ed }),
        fail: (failure) => new Error(failure.check),
      }),
    );
    assert.equal(lookups, 0, 'no key lookup for a refused header');
  });

  test('VER-5, VER-6: another key fails the signature; a lookup error is the key', async () => {
    const other = importPublicKey(keyPair('ES256', 'other').publicJwk);
    assert.equal(failureOf(signJSON(ecHeader(), payload()), other)?.check, 'signature');
    const cause = new Error('no such kid');
    const jws = parseToken(token()) as ParsedJWS;
    const failures: JWSFailure[] = [];
    const fail = (failure: JWSFailure): Error => (
      failures.push(failure),
      new Error(failure.message)
    );
    assert.throws(() =>
      verifyJWS({
        jws,
        rules: RULES,
        context: 0,
        key: () => {
          throw cause;
        },
        fail,
      }),
    );
    const rejected = verifyJWS<JWSKey, number>({
      jws,
      rules: RULES,
      context: 0,
      key: () => Promise.reject(cause),
      fail,
    });
    await assert.rejects(Promise.resolve(rejected));
    assert.deepEqual(
      failures.map((f) => [f.check, f.cause]),
      [
        ['key', cause],
        ['key', cause],
      ],
    );
  });

  test('VER-6: synchronous with a synchronous key, else a promise', async () => {
    const key = importPublicKey(keyPair().publicJwk);
    const jws = parseToken(token()) as ParsedJWS;
    const fail = (failure: JWSFailure): Error => new Error(failure.message);
    const sync = verifyJWS({
      jws,
      rules: RULES,
      context: key,
      key: (_alg, k) => ({ key: k }),
      fail,
    });
    assert.equal(sync.alg, 'ES256');
    const later = verifyJWS({
      jws,
      rules: RULES,
      context: key,
      key: async (_alg, k) => ({ key: k }),
      fail,
    });
    assert.ok(later instanceof Promise);
    assert.equal((await later).alg, 'ES256');
    const pooled = verifyJWS({
      jws,
      rules: RULES,
      context: key,
      key: (_alg, k) => ({ key: k }),
      fail,
      threadPool: true,
    });
    assert.ok(pooled instanceof Promise);
    assert.equal((await pooled).alg, 'ES256');
    const forged = parseToken(`${token().slice(0, -4)}AAAA`) as ParsedJWS;
    await assert.rejects(
      Promise.resolve(
        verifyJWS({
          jws: forged,
          rules: RULES,
          context: key,
          key: (_alg, k) => ({ key: k }),
          fail,
          threadPool: true,
        }),
      ),
      /does not verify/,
    );
  });

  test('HDR-4, IDB-3, LED-5: crit is refused by ECTs, WITs and receipts alike', async () => {
    await rejectsWith(
      createVerifier(verifyOptions()).verify(signJSON(ecHeader({ crit: ['exp'] }), payload())),
      'ECT_CRIT_UNSUPPORTED',
    );
    const issuerKey = keyPair('ES256', 'td-key');
    const trustDomain = createTrustDomainIssuer({
      trustDomain: 'example.org',
      privateKey: issuerKey.privateJwk,
      kid: 'td-key',
    });
    const witClaims = {
      iss: trustDomain.issuer,
      sub: 'spiffe://example.org/agent/a',
      iat: NOW,
      exp: NOW + 600,
      jti: randomUUID(),
      cnf: { jwk: keyPair().publicJwk },
    };
    const wit = signCompact(
      { alg: 'ES256', typ: 'wit+jwt', kid: 'td-key', crit: ['exp'] },
      witClaims,
      importPrivateKey(issuerKey.privateJwk),
      'ES256',
    );
    const wimse = {
      trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(trustDomain.jwks()) }],
      now: NOW,
    };
    await rejectsWith(verifyWIT(wit, wimse), 'ECT_KEY_UNRESOLVED');
    const plain = signCompact(
      { alg: 'ES256', typ: 'wit+jwt', kid: 'td-key' },
      witClaims,
      importPrivateKey(issuerKey.privateJwk),
      'ES256',
    );
    assert.equal((await verifyWIT(plain, wimse)).sub, witClaims.sub);

    const ledgerKey = keyPair('EdDSA', 'ledger');
    const ledger = new Ledger({ key: ledgerKey.privateJwk });
    const receipt = await ledger.append({ token: token(), level: 3 });
    const [, body] = receipt.jws.split('.');
    const header = { alg: 'EdDSA', typ: 'ect-receipt+jwt', kid: 'ledger', crit: ['seq'] };
    const claimsOfReceipt = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const critical = signCompact(
      header,
      claimsOfReceipt,
      importPrivateKey(ledgerKey.privateJwk),
      'EdDSA',
    );
    assert.throws(
      () => verifyReceipt({ jws: critical, key: ledgerKey.publicJwk }),
      (error: unknown) => {
        assert.ok(error instanceof ReceiptError);
        assert.match(error.message, /critical header parameters/);
        return true;
      },
    );
    assert.equal(verifyReceipt({ jws: receipt.jws, key: ledgerKey.publicJwk }).seq, 1);
  });

  test('HDR-2, LED-5: a receipt with alg none or an unfit key is a ReceiptError', async () => {
    const ledgerKey = keyPair('EdDSA', 'ledger');
    const receipt = await new Ledger({ key: ledgerKey.privateJwk }).append({
      token: token(),
      level: 3,
    });
    const [, body, signature] = receipt.jws.split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'ect-receipt+jwt' })).toString(
      'base64url',
    );
    assert.throws(
      () => verifyReceipt({ jws: `${none}.${body}.${signature}`, key: ledgerKey.publicJwk }),
      /algorithm "none" is not allowed/,
    );
    assert.throws(
      () => verifyReceipt({ jws: receipt.jws, key: keyPair().publicJwk }),
      /does not fit EdDSA/,
    );
    assert.throws(() => verifyReceipt({ jws: receipt.jws, key: 'not a key' }), ECTConfigError);
  });
});

describe('the one issuer matching (VER-8, IDB-1, IDB-3)', () => {
  test('VER-8, IDB-1: exact beats any prefix, a longer prefix a shorter one', () => {
    const iss = 'spiffe://example.org/agent/a';
    const bindings = [
      { prefix: 'spiffe://example.org/' },
      { prefix: 'spiffe://example.org/agent/' },
    ];
    assert.equal(issuerRank(iss, bindings), 'spiffe://example.org/agent/'.length);
    assert.equal(issuerRank(iss, [...bindings, { exact: iss }]), EXACT_ISSUER_RANK);
    assert.equal(issuerRank('spiffe://other.org/a', bindings), -1);
    assert.equal(issuerMatches(iss, [{ exact: `${iss}/b` }]), false);
    assert.equal(issuerMatches(`${iss}/b`, [{ prefix: iss }]), true);
  });

  test('IDB-3: a WIT is checked under the most specific trust domain of its sub', async () => {
    const broad = createTrustDomainIssuer({ trustDomain: 'spiffe://example.org/' });
    const narrow = createTrustDomainIssuer({ trustDomain: 'spiffe://example.org/team/' });
    const trustDomains = [
      { trustDomain: 'spiffe://example.org/', keys: staticKeySet(broad.jwks()) },
      { trustDomain: 'spiffe://example.org/team/', keys: staticKeySet(narrow.jwks()) },
    ];
    const publicJwk = keyPair().publicJwk;
    const sub = 'spiffe://example.org/team/agent';
    const verified = await verifyWIT(narrow.issueWit({ sub, publicJwk, now: NOW }), {
      trustDomains,
      now: NOW,
    });
    assert.equal(verified.trustDomain, 'spiffe://example.org/team/');
    // The broad domain's issuer cannot vouch for a workload of the narrower one.
    await rejectsWith(
      verifyWIT(broad.issueWit({ sub, publicJwk, now: NOW }), { trustDomains, now: NOW }),
      'ECT_KEY_UNRESOLVED',
    );
  });

  test('VER-7, VER-8: an iss the key is not bound to is ECT_ISSUER_MISMATCH', async () => {
    const { localJWKSet } = await import('../../src/identity/jwks.js');
    const keys = localJWKSet(jwksOf(), { issuers: [{ prefix: 'spiffe://example.org/agent/' }] });
    const verifier = createVerifier(verifyOptions({ keys }));
    assert.equal((await verifier.verify(token())).level, 2);
    await rejectsWith(
      verifier.verify(token({ iss: 'spiffe://example.org/other/a' })),
      'ECT_ISSUER_MISMATCH',
    );
    // A non-string iss is a claim error first (VER-7 before VER-8).
    await rejectsWith(
      verifier.verify(signJSON(ecHeader(), payload({ iss: 42 }))),
      'ECT_CLAIM_INVALID',
    );
  });
});
