import { strict as assert } from 'node:assert';
import { createPrivateKey, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import { ECTError } from '../../src/errors.js';
import { localJWKSet } from '../../src/identity/jwks.js';
import type { IssuerBinding, KeySource } from '../../src/identity/key-source.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { MemoryReplayStore } from '../../src/replay/memory.js';
import type { ReplayStore } from '../../src/replay/store.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { encodeBase64url } from '../../src/format/base64url.js';
import {
  AUD,
  ecHeader,
  ISS,
  jwksOf,
  keyPair,
  l1Token,
  NOW,
  payload,
  rejectsWith,
  signJSON,
  signText,
  token,
  uuid,
  verifyOptions,
} from '../helpers/fixtures.js';

const OTHER_ISS = 'spiffe://other.example/agent/z';

function badSignature(jws: string): string {
  const [h, p] = jws.split('.');
  return `${h}.${p}.${signJSON(ecHeader(), payload(), 'ES256', keyPair('ES256', 'stranger').privateJwk).split('.')[2]}`;
}

class SpyReplay implements ReplayStore {
  readonly inner = new MemoryReplayStore();
  readonly calls: [string, number, number][] = [];
  async checkAndRecord(key: string, expiresAt: number, now: number): Promise<boolean> {
    this.calls.push([key, expiresAt, now]);
    return this.inner.checkAndRecord(key, expiresAt, now);
  }
}

describe('key resolution (VER-5)', () => {
  test('VER-5: a verifier without trusted keys rejects every signed token with ECT_KEY_UNRESOLVED', async () => {
    // Minimum level 1: from level 2 up a verifier without keys is refused when it is built.
    await rejectsWith(
      verifyECT(token(), { audience: AUD, now: NOW, minLevel: 1, replay: false }),
      'ECT_KEY_UNRESOLVED',
    );
  });

  test('VER-5: a resolver function or KeySource that fails is reported as ECT_KEY_UNRESOLVED; an ECTError it throws keeps its code', async () => {
    await rejectsWith(
      verifyECT(
        token(),
        verifyOptions({
          keys: () => {
            throw new Error('directory down');
          },
        }),
      ),
      'ECT_KEY_UNRESOLVED',
    );
    await rejectsWith(
      verifyECT(
        token(),
        verifyOptions({ keys: async () => Promise.reject(new TypeError('boom')) }),
      ),
      'ECT_KEY_UNRESOLVED',
    );
    const source: KeySource = {
      resolve: () => {
        throw new ECTError('ECT_ISSUER_MISMATCH', 'bound elsewhere');
      },
    };
    await rejectsWith(verifyECT(token(), verifyOptions({ keys: source })), 'ECT_ISSUER_MISMATCH');
  });

  test('VER-5: a resolver function may return a JWK, PEM text or KeyObject; the key source sees header and unverified claims', async () => {
    const seen: unknown[] = [];
    const publicJwk = keyPair().publicJwk;
    const pem = createPrivateKey({ key: keyPair().privateJwk, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    for (const key of [publicJwk, pem]) {
      const result = await verifyECT(
        token(),
        verifyOptions({
          keys: (header, claims) => {
            seen.push([header['kid'], claims['iss']]);
            return key;
          },
        }),
      );
      assert.equal(result.claims.iss, ISS);
    }
    assert.deepEqual(seen, [
      ['test-ES256', ISS],
      ['test-ES256', ISS],
    ]);
  });
});

describe('signature (VER-6)', () => {
  test("VER-6: a changed payload, another key's signature, a DER or truncated ECDSA signature are ECT_SIGNATURE_INVALID", async () => {
    const jws = token();
    const [h, p, s] = jws.split('.');
    const changed = encodeBase64url(JSON.stringify({ ...payload(), exec_act: 'approve_payment' }));
    await rejectsWith(verifyECT(`${h}.${changed}.${s}`, verifyOptions()), 'ECT_SIGNATURE_INVALID');
    await rejectsWith(verifyECT(badSignature(jws), verifyOptions()), 'ECT_SIGNATURE_INVALID');
    const der = sign(
      'sha256',
      Buffer.from(`${h}.${p}`),
      createPrivateKey({ key: keyPair().privateJwk, format: 'jwk' }),
    ).toString('base64url');
    await rejectsWith(verifyECT(`${h}.${p}.${der}`, verifyOptions()), 'ECT_SIGNATURE_INVALID');
    await rejectsWith(
      verifyECT(`${h}.${p}.${s!.slice(0, 84)}`, verifyOptions()),
      'ECT_SIGNATURE_INVALID',
    );
    assert.equal((await verifyECT(jws, verifyOptions())).level, 2);
  });
});

describe('issuer binding (VER-8)', () => {
  const bound = (issuers: readonly IssuerBinding[]) =>
    verifyOptions({ keys: localJWKSet(jwksOf(), { issuers }) });

  test('VER-8: a key bound to an issuer never verifies a token that names another: ECT_ISSUER_MISMATCH', async () => {
    assert.equal((await verifyECT(token(), bound([{ exact: ISS }]))).claims.iss, ISS);
    const error = await rejectsWith(
      verifyECT(token({ iss: OTHER_ISS }), bound([{ exact: ISS }])),
      'ECT_ISSUER_MISMATCH',
    );
    assert.equal(error.member, 'iss');
    await rejectsWith(
      verifyECT(token({ iss: `${ISS}/child` }), bound([{ exact: ISS }])),
      'ECT_ISSUER_MISMATCH',
    );
  });

  test('VER-8: a prefix binding (a SPIFFE trust domain) covers the identities under it only', async () => {
    const options = bound([{ prefix: 'spiffe://example.org/' }]);
    await verifyECT(token(), options);
    await verifyECT(token({ jti: uuid(2), iss: 'spiffe://example.org/agent/q' }), options);
    await rejectsWith(
      verifyECT(token({ iss: 'spiffe://example.org.evil/agent/a' }), options),
      'ECT_ISSUER_MISMATCH',
    );
  });

  test('VER-8: a resolver can bind the key it returns; an unbound key is not checked against iss', async () => {
    const key = keyPair().publicJwk;
    const resolved = {
      key: createPrivateKey({ key: keyPair().privateJwk, format: 'jwk' }),
      issuers: [{ exact: OTHER_ISS }],
    };
    await rejectsWith(
      verifyECT(token(), verifyOptions({ keys: () => resolved })),
      'ECT_ISSUER_MISMATCH',
    );
    await verifyECT(token({ iss: 'https://anyone.example' }), verifyOptions({ keys: () => key }));
  });
});

describe('order of the steps (VER-1 ... VER-13)', () => {
  test('VER-2, VER-3: parsing comes before the level check: a malformed L1 value is ECT_MALFORMED', async () => {
    await rejectsWith(verifyECT(encodeBase64url('[1]'), verifyOptions()), 'ECT_MALFORMED');
  });

  test('VER-3, VER-7: an L1 token with broken claims under minimum level 2 is ECT_LEVEL_TOO_LOW', async () => {
    await rejectsWith(
      verifyECT(encodeBase64url('{"iss":1}'), verifyOptions()),
      'ECT_LEVEL_TOO_LOW',
    );
  });

  test('VER-4, VER-5: a bad typ is reported before an unknown kid', async () => {
    await rejectsWith(
      verifyECT(signJSON(ecHeader({ typ: 'JWT', kid: 'unknown' }), payload()), verifyOptions()),
      'ECT_TYP_INVALID',
    );
  });

  test('VER-5, VER-6: an unknown kid is reported before a bad signature', async () => {
    await rejectsWith(
      verifyECT(badSignature(signJSON(ecHeader({ kid: 'unknown' }), payload())), verifyOptions()),
      'ECT_KEY_UNRESOLVED',
    );
  });

  test('VER-6, VER-7: claims are not looked at before the signature verifies', async () => {
    const garbage = signText(JSON.stringify(ecHeader()), '{"iss":""}');
    await rejectsWith(verifyECT(badSignature(garbage), verifyOptions()), 'ECT_SIGNATURE_INVALID');
    await rejectsWith(verifyECT(garbage, verifyOptions()), 'ECT_CLAIM_MISSING');
  });

  test('VER-7, VER-8: a claim error is reported before an issuer mismatch', async () => {
    const options = verifyOptions({ keys: localJWKSet(jwksOf(), { issuers: [{ exact: ISS }] }) });
    await rejectsWith(
      verifyECT(signJSON(ecHeader(), payload({ iss: OTHER_ISS, jti: 'x' })), options),
      'ECT_CLAIM_INVALID',
    );
  });

  test('VER-8, VER-9, VER-10: issuer before audience before time', async () => {
    const options = verifyOptions({
      keys: localJWKSet(jwksOf(), { issuers: [{ exact: ISS }] }),
      now: NOW + 5000,
    });
    await rejectsWith(
      verifyECT(token({ iss: OTHER_ISS, aud: 'spiffe://x/y' }), options),
      'ECT_ISSUER_MISMATCH',
    );
    await rejectsWith(verifyECT(token({ aud: 'spiffe://x/y' }), options), 'ECT_AUDIENCE_MISMATCH');
    await rejectsWith(verifyECT(token(), options), 'ECT_EXPIRED');
  });

  test('VER-10, VER-11, VER-12: time before DAG before replay; nothing is recorded for a failed token', async () => {
    const store = new MemoryECTStore();
    const replay = new SpyReplay();
    const ledger = new Ledger();
    const options = verifyOptions({ dag: { store }, replay, record: { ledger }, now: NOW });
    const verifier = createVerifier(options);
    const orphan = token({ pred: [uuid(99)] });
    await rejectsWith(
      verifier.verify(token({ iat: NOW - 2000, exp: NOW - 1000, pred: [uuid(99)] })),
      'ECT_EXPIRED',
    );
    await rejectsWith(verifier.verify(orphan), 'ECT_DAG_PREDECESSOR_UNKNOWN');
    await rejectsWith(verifier.verify(orphan), 'ECT_DAG_PREDECESSOR_UNKNOWN'); // not ECT_REPLAY: nothing was recorded
    assert.equal(replay.calls.length, 0);
    assert.equal(store.size, 0);
    assert.equal((ledger.backend as MemoryLedgerBackend).tables.entries.length, 0);
    const root = token({ jti: uuid(99) });
    assert.equal((await verifier.verify(root)).level, 3);
    assert.equal(replay.calls.length, 1);
    assert.equal((await verifier.verify(orphan)).claims.jti, uuid(1));
  });

  test('VER-12, VER-13: a replayed token is not appended to the ledger again', async () => {
    const ledger = new Ledger();
    const replay = new MemoryReplayStore();
    const verifier = createVerifier(verifyOptions({ record: { ledger }, replay }));
    await verifier.verify(token());
    await rejectsWith(verifier.verify(token()), 'ECT_REPLAY');
    assert.equal((ledger.backend as MemoryLedgerBackend).tables.entries.length, 1);
  });

  test('VER-5, VER-6, VER-8: skipped for L1 tokens (no key is resolved), the other steps still apply', async () => {
    let resolverCalls = 0;
    const options = verifyOptions({
      minLevel: 1,
      keys: () => {
        resolverCalls++;
        throw new Error('must not be called');
      },
    });
    const result = await verifyECT(l1Token({ iss: 'spiffe://anyone/agent' }), options);
    assert.equal(result.level, 1);
    assert.equal(result.header, null);
    assert.equal(resolverCalls, 0);
    await verifyECT(
      l1Token(),
      verifyOptions({
        minLevel: 1,
        keys: localJWKSet(jwksOf(), { issuers: [{ exact: OTHER_ISS }] }),
      }),
    );
    await rejectsWith(
      verifyECT(l1Token({ aud: 'spiffe://x/y' }), options),
      'ECT_AUDIENCE_MISMATCH',
    );
    await rejectsWith(
      verifyECT(encodeBase64url(JSON.stringify(payload({ jti: 'nope' }))), options),
      'ECT_CLAIM_INVALID',
    );
    await rejectsWith(verifyECT(l1Token(), { ...options, now: NOW + 5000 }), 'ECT_EXPIRED');
  });

  test('VER-1 ... VER-13: the result reports level, header, claims, legacy and missing predecessors; errors carry what was known', async () => {
    const result = await verifyECT(token(), verifyOptions());
    assert.deepEqual(Object.keys(result).sort(), [
      'claims',
      'header',
      'legacy',
      'level',
      'missingPredecessors',
    ]);
    assert.equal(result.level, 2);
    assert.deepEqual(result.header, ecHeader());
    assert.deepEqual(result.claims, payload());
    assert.equal(result.legacy, false);
    assert.deepEqual(result.missingPredecessors, []);
    const error = await rejectsWith(
      verifyECT(token({ aud: 'spiffe://x/y' }), verifyOptions()),
      'ECT_AUDIENCE_MISMATCH',
    );
    assert.equal(error.level, 2);
    assert.deepEqual(error.header, ecHeader());
    assert.equal(error.claims?.['aud'], 'spiffe://x/y');
    assert.equal(error.legacy, false);
    const l1 = await rejectsWith(verifyECT(l1Token(), verifyOptions()), 'ECT_LEVEL_TOO_LOW');
    assert.equal(l1.level, 1);
  });
});
