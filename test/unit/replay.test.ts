import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ECTConfigError, ECTError } from '../../src/errors.js';
import { DEFAULT_REPLAY_CAPACITY, MemoryReplayStore } from '../../src/replay/memory.js';
import { replayKey, type ReplayStore } from '../../src/replay/store.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { l1Token, NOW, rejectsWith, token, uuid, verifyOptions, WID } from '../helpers/fixtures.js';

const EXP = NOW + 600;

describe('replay protection (RPL-1 ... RPL-3, VER-12)', () => {
  test('RPL-1, VER-12: a verifier rejects a jti it has already accepted with ECT_REPLAY', async () => {
    const verifier = createVerifier(verifyOptions({ replay: undefined }));
    await verifier.verify(token());
    const error = await rejectsWith(verifier.verify(token()), 'ECT_REPLAY');
    assert.equal(error.member, 'jti');
    // Another token with the same jti (different content) is a replay too.
    await rejectsWith(verifier.verify(token({ exec_act: 'something_else' })), 'ECT_REPLAY');
    await verifier.verify(token({ jti: uuid(2) }));
  });

  test('RPL-1: the replay check applies at level 1 too', async () => {
    const verifier = createVerifier(verifyOptions({ replay: undefined, minLevel: 1 }));
    await verifier.verify(l1Token());
    await rejectsWith(verifier.verify(l1Token()), 'ECT_REPLAY');
    // The jti is the task: the same task as L2 is a replay of the L1 one.
    await rejectsWith(verifier.verify(token()), 'ECT_REPLAY');
  });

  test('RPL-1, CLM-5: the same jti (and wid) in upper case is the same task: ECT_REPLAY', async () => {
    const jti = uuid(0xabcdef); // letters, so that case matters
    const verifier = createVerifier(verifyOptions({ replay: undefined }));
    await verifier.verify(token({ jti, wid: WID }));
    const upper = token({ jti: jti.toUpperCase(), wid: WID.toUpperCase() });
    assert.notEqual(jti.toUpperCase(), jti);
    const error = await rejectsWith(verifier.verify(upper), 'ECT_REPLAY');
    assert.equal(error.member, 'jti');
    assert.equal(replayKey(jti.toUpperCase(), WID.toUpperCase()), replayKey(jti, WID));
    // The cache itself compares keys exactly: the canonical form is replayKey's job.
    const store = new MemoryReplayStore();
    const [key, upperKey] = [replayKey(jti, undefined), replayKey(jti.toUpperCase(), undefined)];
    assert.equal(store.checkAndRecordSync(key, EXP, NOW), true);
    assert.equal(store.checkAndRecordSync(upperKey, EXP, NOW), false);
  });

  test('RPL-1: jti uniqueness is scoped by wid (replayKey)', async () => {
    const verifier = createVerifier(verifyOptions({ replay: undefined }));
    await verifier.verify(token({ wid: WID }));
    await verifier.verify(token({ wid: uuid(500) }));
    await verifier.verify(token());
    await rejectsWith(verifier.verify(token({ wid: WID })), 'ECT_REPLAY');
    assert.notEqual(replayKey(uuid(1), undefined), replayKey(uuid(1), WID));
    // The length prefix keeps pairs apart: ("a:b", "c") and ("a", "b:c") differ.
    assert.notEqual(replayKey('c', 'a:b'), replayKey('b:c', 'a'));
  });

  test('RPL-1: verifyECT is one-shot: replay is required (a shared store, or false to opt out)', async () => {
    // Without a replay option the one-shot form would silently skip replay protection: refused.
    for (const options of [
      verifyOptions({ replay: undefined }),
      { ...verifyOptions(), replay: undefined },
    ]) {
      await assert.rejects(verifyECT(token(), options as never), (e: unknown) => {
        assert.ok(e instanceof ECTConfigError, String(e));
        assert.equal(e.setting, 'options.replay');
        assert.match(e.message, /replay: false/);
        return true;
      });
    }
    // replay: false says so: each call stands alone, the same token passes twice.
    await verifyECT(token(), verifyOptions({ replay: false }));
    await verifyECT(token(), verifyOptions({ replay: false }));
    // L1-only use stays one call: no keys, minimum level 1, replay false.
    const l1 = await verifyECT(l1Token(), {
      audience: verifyOptions().audience,
      now: NOW,
      minLevel: 1,
      replay: false,
    });
    assert.equal(l1.level, 1);
    const shared = new MemoryReplayStore();
    await verifyECT(token(), verifyOptions({ replay: shared }));
    await rejectsWith(verifyECT(token(), verifyOptions({ replay: shared })), 'ECT_REPLAY');
    // replay: false turns the cache of createVerifier off.
    const off = createVerifier(verifyOptions({ replay: false }));
    await off.verify(token());
    await off.verify(token());
  });

  test('RPL-2: check-and-record is atomic: of 25 concurrent presentations exactly one passes', async () => {
    const verifier = createVerifier(verifyOptions({ replay: new MemoryReplayStore() }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, () => verifier.verify(token())),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes)
      if (o.status === 'rejected') assert.equal((o.reason as ECTError).code, 'ECT_REPLAY');
  });

  test('RPL-2: the entry lives until exp + clock tolerance, never a fixed window', async () => {
    const recorded: [string, number, number][] = [];
    const spy: ReplayStore = {
      checkAndRecord: async (key, expiresAt, now) => {
        recorded.push([key, expiresAt, now]);
        return true;
      },
    };
    await verifyECT(token({ wid: WID }), verifyOptions({ replay: spy }));
    await verifyECT(
      token({ jti: uuid(2), exp: NOW + 86_400 }),
      verifyOptions({ replay: spy, clockTolerance: 5, maxIatAge: 0 }),
    );
    assert.deepEqual(recorded, [
      [replayKey(uuid(1), WID), EXP + 30, NOW],
      [replayKey(uuid(2), undefined), NOW + 86_400 + 5, NOW],
    ]);
  });

  test('RPL-2: a replay is still caught at the last second the token is valid', async () => {
    let clock = NOW;
    const verifier = createVerifier(verifyOptions({ replay: undefined, now: () => clock }));
    await verifier.verify(token());
    clock = EXP + 30;
    await rejectsWith(verifier.verify(token()), 'ECT_REPLAY');
    clock = EXP + 31;
    await rejectsWith(verifier.verify(token()), 'ECT_EXPIRED');
  });

  test('RPL-2: MemoryReplayStore keeps a key until its expiry inclusive, then forgets it', async () => {
    const store = new MemoryReplayStore();
    assert.equal(await store.checkAndRecord('k', 100, 50), true);
    assert.equal(await store.checkAndRecord('k', 200, 60), false);
    assert.equal(await store.checkAndRecord('k', 200, 100), false);
    assert.equal(await store.checkAndRecord('k', 200, 101), true);
    assert.equal(store.checkAndRecordSync('k', 300, 150), false);
  });

  test('RPL-3: the in-memory cache is bounded; full of live entries it refuses new tokens with ECT_REPLAY_STORE_UNAVAILABLE and evicts nothing', async () => {
    assert.equal(DEFAULT_REPLAY_CAPACITY, 100_000);
    const store = new MemoryReplayStore({ maxEntries: 2 });
    assert.equal(await store.checkAndRecord('a', 100, 10), true);
    assert.equal(await store.checkAndRecord('b', 200, 10), true);
    await rejectsWith(store.checkAndRecord('c', 300, 20), 'ECT_REPLAY_STORE_UNAVAILABLE');
    await rejectsWith(store.checkAndRecord('c', 300, 99), 'ECT_REPLAY_STORE_UNAVAILABLE');
    // The live entries were kept: both are still replays.
    assert.equal(await store.checkAndRecord('a', 100, 30), false);
    assert.equal(await store.checkAndRecord('b', 200, 30), false);
    // Once 'a' has expired, its slot is reused.
    assert.equal(await store.checkAndRecord('c', 300, 101), true);
    assert.equal(store.size, 2);
    await rejectsWith(store.checkAndRecord('d', 300, 150), 'ECT_REPLAY_STORE_UNAVAILABLE');
    assert.equal(await store.checkAndRecord('d', 400, 201), true);
    assert.throws(() => new MemoryReplayStore({ maxEntries: 0 }), ECTConfigError);
  });

  test('RPL-3, VER-12: through a verifier, a full cache fails closed with ECT_REPLAY_STORE_UNAVAILABLE', async () => {
    const verifier = createVerifier(
      verifyOptions({ replay: new MemoryReplayStore({ maxEntries: 1 }) }),
    );
    await verifier.verify(token());
    await rejectsWith(verifier.verify(token({ jti: uuid(2) })), 'ECT_REPLAY_STORE_UNAVAILABLE');
  });

  test('RPL-3, VER-12: a replay store that cannot be reached fails closed with ECT_REPLAY_STORE_UNAVAILABLE', async () => {
    const down: ReplayStore = {
      checkAndRecord: async () => {
        throw new Error('ECONNREFUSED 127.0.0.1:6379');
      },
    };
    const error = await rejectsWith(
      verifyECT(token(), verifyOptions({ replay: down })),
      'ECT_REPLAY_STORE_UNAVAILABLE',
    );
    assert.ok(error.cause instanceof Error);
    assert.equal(error.claims?.['jti'], uuid(1));
    const rejecting: ReplayStore = {
      checkAndRecord: () => Promise.reject(new ECTError('ECT_REPLAY_STORE_UNAVAILABLE', 'timeout')),
    };
    await rejectsWith(
      verifyECT(token(), verifyOptions({ replay: rejecting })),
      'ECT_REPLAY_STORE_UNAVAILABLE',
    );
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a store rejecting with a non-Error is the case
    const throwsString: ReplayStore = { checkAndRecord: () => Promise.reject('down') };
    await rejectsWith(
      verifyECT(token(), verifyOptions({ replay: throwsString })),
      'ECT_REPLAY_STORE_UNAVAILABLE',
    );
  });
});
