import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_MAX_IAT_AGE,
  normalizeOptions,
} from '../../src/verify/options.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import {
  AUD,
  ISS,
  jwksOf,
  keyPair,
  NOW,
  rejectsWith,
  token,
  uuid,
  verifyOptions,
} from '../helpers/fixtures.js';

// The token of every test is issued at NOW and expires at NOW + 600 unless stated otherwise.
const EXP = NOW + 600;
const at = (now: number, extra: Parameters<typeof verifyOptions>[0] = {}) =>
  verifyOptions({ now, ...extra });

describe('time (CLM-3, CLM-4, VER-10)', () => {
  test('CLM-3, CLM-4: the default clock tolerance is 30 s and the default maximum iat age 900 s', () => {
    assert.equal(DEFAULT_CLOCK_TOLERANCE, 30);
    assert.equal(DEFAULT_MAX_IAT_AGE, 900);
    const options = normalizeOptions({ audience: AUD, minLevel: 1 }, () => undefined);
    assert.equal(options.clockTolerance, 30);
    assert.equal(options.maxIatAge, 900);
  });

  test('CLM-4, VER-10: accepted at exp + tolerance, ECT_EXPIRED one second (and half a second) later', async () => {
    assert.equal((await verifyECT(token(), at(EXP))).claims.exp, EXP);
    assert.equal((await verifyECT(token(), at(EXP + 30))).claims.exp, EXP);
    const error = await rejectsWith(verifyECT(token(), at(EXP + 31)), 'ECT_EXPIRED');
    assert.equal(error.member, 'exp');
    await rejectsWith(verifyECT(token(), at(EXP + 30.5)), 'ECT_EXPIRED');
  });

  test('CLM-4, VER-10: with tolerance 0 the token is accepted at exp and expired just after', async () => {
    await verifyECT(token(), at(EXP, { clockTolerance: 0 }));
    await rejectsWith(verifyECT(token(), at(EXP + 0.001, { clockTolerance: 0 })), 'ECT_EXPIRED');
    await rejectsWith(verifyECT(token(), at(EXP + 11, { clockTolerance: 10 })), 'ECT_EXPIRED');
    await verifyECT(token(), at(EXP + 10, { clockTolerance: 10 }));
  });

  test('CLM-3, VER-10: iat up to the tolerance in the future is accepted, beyond it ECT_IAT_FUTURE', async () => {
    await verifyECT(token(), at(NOW - 30));
    const error = await rejectsWith(verifyECT(token(), at(NOW - 31)), 'ECT_IAT_FUTURE');
    assert.equal(error.member, 'iat');
    await rejectsWith(verifyECT(token(), at(NOW - 0.5, { clockTolerance: 0 })), 'ECT_IAT_FUTURE');
    await verifyECT(token(), at(NOW, { clockTolerance: 0 }));
  });

  test('CLM-3, VER-10: an iat older than the maximum age (plus tolerance) is ECT_IAT_TOO_OLD', async () => {
    const longLived = token({ exp: NOW + 86_400 });
    await verifyECT(longLived, at(NOW + 930));
    const error = await rejectsWith(verifyECT(longLived, at(NOW + 931)), 'ECT_IAT_TOO_OLD');
    assert.equal(error.member, 'iat');
    await verifyECT(longLived, at(NOW + 900, { clockTolerance: 0 }));
    await rejectsWith(
      verifyECT(longLived, at(NOW + 901, { clockTolerance: 0 })),
      'ECT_IAT_TOO_OLD',
    );
    await verifyECT(longLived, at(NOW + 60, { maxIatAge: 60, clockTolerance: 0 }));
    await rejectsWith(
      verifyECT(longLived, at(NOW + 61, { maxIatAge: 60, clockTolerance: 0 })),
      'ECT_IAT_TOO_OLD',
    );
  });

  test('CLM-3: maxIatAge 0 disables the age check (exp still applies)', async () => {
    const longLived = token({ exp: NOW + 86_400 });
    await verifyECT(longLived, at(NOW + 86_000, { maxIatAge: 0 }));
    await rejectsWith(verifyECT(longLived, at(NOW + 86_431, { maxIatAge: 0 })), 'ECT_EXPIRED');
  });

  test('VER-10: a token both expired and too old is reported as ECT_EXPIRED', async () => {
    await rejectsWith(verifyECT(token(), at(NOW + 5000)), 'ECT_EXPIRED');
  });

  test('VER-10: now may be a clock function; it is read per verification', async () => {
    let clock = NOW;
    const verifier = createVerifier(verifyOptions({ now: () => clock }));
    await verifier.verify(token({ jti: uuid(1) }));
    clock = EXP + 31;
    await rejectsWith(verifier.verify(token({ jti: uuid(2) })), 'ECT_EXPIRED');
  });

  test('VER-10: without a now option the system clock is used on both sides', async () => {
    const jws = createECT({ iss: ISS, aud: AUD, exec_act: 'x' }, { key: keyPair().privateJwk });
    const result = await verifyECT(jws, { audience: AUD, keys: jwksOf(), replay: false });
    assert.ok(Math.abs(result.claims.iat - Date.now() / 1000) < 3600);
  });

  test('VER-10: bad time options are configuration errors', () => {
    for (const bad of [
      { clockTolerance: -1 },
      { maxIatAge: -5 },
      { now: -1 },
      { clockTolerance: Number.NaN },
    ]) {
      assert.throws(() => createVerifier(verifyOptions(bad)), { name: 'ECTConfigError' });
    }
  });
});
