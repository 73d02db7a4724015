import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import type { Level } from '../../src/format/types.js';
import { DEFAULT_MIN_LEVEL, normalizeOptions } from '../../src/verify/options.js';
import { levelOf, reachesMinimum } from '../../src/verify/level.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { claims, l1Token, NOW, rejectsWith, token, verifyOptions } from '../helpers/fixtures.js';

describe('minimum level (FMT-4, VER-3)', () => {
  test('FMT-4: the default minimum level is 2', () => {
    assert.equal(DEFAULT_MIN_LEVEL, 2);
    assert.equal(normalizeOptions(verifyOptions(), () => undefined).minLevel, 2);
  });

  test('FMT-4, VER-3: by default an L1 token is ECT_LEVEL_TOO_LOW (anti-downgrade)', async () => {
    const error = await rejectsWith(verifyECT(l1Token(), verifyOptions()), 'ECT_LEVEL_TOO_LOW');
    assert.equal(error.level, 1);
    assert.equal(error.claims?.['iss'], claims().iss);
    await rejectsWith(verifyECT(l1Token(), verifyOptions({ minLevel: 2 })), 'ECT_LEVEL_TOO_LOW');
  });

  test('FMT-4: an L1 token is accepted only where the configuration allows level 1; L2 is accepted there too', async () => {
    const l1 = await verifyECT(l1Token(), verifyOptions({ minLevel: 1 }));
    assert.equal(l1.level, 1);
    assert.equal(l1.header, null);
    assert.deepEqual(l1.claims, claims());
    assert.equal((await verifyECT(token(), verifyOptions({ minLevel: 1 }))).level, 2);
  });

  test('FMT-4: stripping the signature of an L2 token does not downgrade it to an accepted L1 token', async () => {
    const jws = token();
    const payloadOnly = jws.split('.')[1]!;
    await rejectsWith(verifyECT(payloadOnly, verifyOptions()), 'ECT_LEVEL_TOO_LOW');
    // Two dots keep it a JWS (FMT-3), and an empty signature never verifies.
    await rejectsWith(
      verifyECT(`${jws.split('.').slice(0, 2).join('.')}.`, verifyOptions({ minLevel: 1 })),
      'ECT_SIGNATURE_INVALID',
    );
  });

  test('FMT-4: the minimum level must be 1, 2 or 3 (configuration error)', () => {
    for (const minLevel of [0, 4, 2.5, '2']) {
      assert.throws(() => createVerifier(verifyOptions({ minLevel: minLevel as Level })), {
        name: 'ECTConfigError',
      });
    }
  });

  test('FMT-2: createECT makes L1 tokens only on request and refuses level 3 (a ledger gives L3, FMT-6)', () => {
    assert.equal(createECT(claims(), { level: 1, now: NOW }).includes('.'), false);
    assert.throws(() => createECT(claims(), { level: 3 as 1, now: NOW }), {
      name: 'ECTConfigError',
    });
  });

  test('FMT-4, FMT-6, LED-7: one place decides the level: recorded L2 is 3', () => {
    assert.equal(levelOf(2, 'recorded'), 3);
    for (const recording of ['none', 'pending', 'degraded'] as const) {
      assert.equal(levelOf(2, recording), 2);
    }
    for (const recording of ['none', 'recorded', 'pending', 'degraded'] as const) {
      assert.equal(levelOf(1, recording), 1);
    }
    assert.equal(reachesMinimum({ wire: 2, minLevel: 3, records: true }), true);
    assert.equal(reachesMinimum({ wire: 2, minLevel: 3, records: false }), false);
    assert.equal(reachesMinimum({ wire: 1, minLevel: 2, records: true }), false);
    assert.equal(reachesMinimum({ wire: 1, minLevel: 1, records: false }), true);
  });
});
