/**
 * RPL-1 ... RPL-3: the replay cache contract against the in-memory store and a real Redis.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { taskKey } from '../../src/format/task-key.js';
import { MemoryReplayStore } from '../../src/replay/memory.js';
import { RedisReplayStore } from '../../src/replay/redis.js';
import type { ReplayStore } from '../../src/replay/store.js';
import { createVerifier } from '../../src/verify/verify.js';
import { ecHeader, payload, signJSON, signText, verifyOptions } from '../helpers/fixtures.js';
import { startRedis, type TestServer } from '../helpers/servers.js';
import { rejectsWithCode } from './ledger-contract.js';
import { AUD, issuerKeys, makeToken } from './fixtures/tokens.js';

/** Makes a fresh, empty store. */
interface StoreFactory {
  readonly name: string;
  create(): Promise<ReplayStore>;
}

async function withStore(
  factory: StoreFactory,
  run: (store: ReplayStore) => Promise<void>,
): Promise<void> {
  const store = await factory.create();
  try {
    await run(store);
  } finally {
    await store.close?.();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function replayContract(factory: StoreFactory): void {
  describe(`replay contract: ${factory.name}`, () => {
    it('RPL-1: the first check records the key, the second is a replay', async () => {
      await withStore(factory, async (store) => {
        const now = Date.now() / 1000;
        const key = taskKey(randomUUID(), undefined);
        assert.equal(await store.checkAndRecord(key, now + 60, now), true);
        assert.equal(await store.checkAndRecord(key, now + 60, now), false);
        assert.equal(await store.checkAndRecord(key, now + 600, now + 1), false);
      });
    });

    it('RPL-1: keys are scoped by wid like DAG-1', async () => {
      await withStore(factory, async (store) => {
        const now = Date.now() / 1000;
        const jti = randomUUID();
        assert.equal(await store.checkAndRecord(taskKey(jti, randomUUID()), now + 60, now), true);
        assert.equal(await store.checkAndRecord(taskKey(jti, randomUUID()), now + 60, now), true);
        assert.equal(await store.checkAndRecord(taskKey(jti, undefined), now + 60, now), true);
      });
    });

    it('RPL-2: the entry lives until expiresAt and no longer', async () => {
      await withStore(factory, async (store) => {
        const key = taskKey(randomUUID(), undefined);
        const now = Date.now() / 1000;
        // A short window on the real clock: Redis expires keys by its own clock.
        assert.equal(await store.checkAndRecord(key, now + 0.3, now), true);
        assert.equal(await store.checkAndRecord(key, now + 0.3, now), false);
        let later = Date.now() / 1000;
        while (later <= now + 0.35) {
          await sleep(50);
          later = Date.now() / 1000;
        }
        assert.equal(
          await store.checkAndRecord(key, later + 60, later),
          true,
          'an expired entry no longer blocks the key',
        );
      });
    });

    it('RPL-2: concurrent checks of one key: exactly one is new', async () => {
      await withStore(factory, async (store) => {
        const key = taskKey(randomUUID(), randomUUID());
        const now = Date.now() / 1000;
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.checkAndRecord(key, now + 60, now)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });
    });

    it('RPL-1, CLM-5: the same jti and wid in upper case are a replay (keys are canonical), also through a verifier', async () => {
      await withStore(factory, async (store) => {
        const now = Date.now() / 1000;
        const [jti, wid] = [randomUUID(), randomUUID()];
        assert.equal(await store.checkAndRecord(taskKey(jti, wid), now + 60, now), true);
        const upper = taskKey(jti.toUpperCase(), wid.toUpperCase());
        assert.equal(await store.checkAndRecord(upper, now + 60, now), false);
        const keys = { keys: [issuerKeys.publicJwk] };
        const verifier = createVerifier({ audience: AUD, keys, replay: store });
        const first = makeToken({ wid });
        await verifier.verify(first.token);
        const again = makeToken({ jti: first.claims.jti.toUpperCase(), wid: wid.toUpperCase() });
        await rejectsWithCode(verifier.verify(again.token), 'ECT_REPLAY');
      });
    });

    it('CLM-4: exp of 1e23 or beyond 2^53 is ECT_CLAIM_INVALID with this store, which is not asked', async () => {
      await withStore(factory, async (store) => {
        const asked: string[] = [];
        const spy: ReplayStore = {
          checkAndRecord: (key, expiresAt, now) => {
            asked.push(key);
            return store.checkAndRecord(key, expiresAt, now);
          },
        };
        const verifier = createVerifier({ ...verifyOptions(), replay: spy });
        // 2^53 + 1 written as text: as a JS number it would already be rounded.
        const text = JSON.stringify(payload({ exp: 0 })).replace(
          '"exp":0',
          '"exp":9007199254740993',
        );
        const header = JSON.stringify(ecHeader());
        for (const hostile of [
          signJSON(ecHeader(), payload({ exp: 1e23 })),
          signText(header, text),
        ])
          await rejectsWithCode(verifier.verify(hostile), 'ECT_CLAIM_INVALID');
        assert.deepEqual(asked, []);
        // The store still answers for a token in range.
        assert.equal((await verifier.verify(signJSON(ecHeader(), payload()))).level, 2);
        assert.equal(asked.length, 1);
      });
    });

    it('VER-12: a verifier with this store rejects a replayed token with ECT_REPLAY', async () => {
      await withStore(factory, async (store) => {
        const verifier = createVerifier({
          audience: AUD,
          keys: { keys: [issuerKeys.publicJwk] },
          replay: store,
        });
        const t = makeToken({ wid: randomUUID() });
        assert.equal((await verifier.verify(t.token)).claims.jti, t.claims.jti);
        await rejectsWithCode(verifier.verify(t.token), 'ECT_REPLAY');
      });
    });
  });
}

let redis: TestServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.dispose();
});

replayContract({ name: 'memory', create: async () => new MemoryReplayStore() });
replayContract({
  name: 'Redis',
  create: async () =>
    RedisReplayStore.open({ url: redis!.url, keyPrefix: `test:${randomUUID()}:` }),
});

describe('Redis replay store specifics', () => {
  it('RPL-2: the Redis entry expires at exp + tolerance (PXAT), under the key prefix', async () => {
    const prefix = `ttl:${randomUUID()}:`;
    const store = await RedisReplayStore.open({ url: redis!.url, keyPrefix: prefix });
    const raw = createClient({ url: redis!.url });
    await raw.connect();
    try {
      const now = Math.floor(Date.now() / 1000);
      const key = taskKey(randomUUID(), undefined);
      assert.equal(await store.checkAndRecord(key, now + 3600 + 30, now), true);
      assert.equal(await raw.pExpireTime(prefix + key), (now + 3630) * 1000);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('RPL-2: checkAndRecordMany checks a batch in one pipeline, each atomically', async () => {
    const store = await RedisReplayStore.open({
      url: redis!.url,
      keyPrefix: `batch:${randomUUID()}:`,
    });
    try {
      const now = Date.now() / 1000;
      const keys = Array.from({ length: 5 }, () => taskKey(randomUUID(), undefined));
      assert.equal(await store.checkAndRecord(keys[2]!, now + 60, now), true);
      const results = await store.checkAndRecordMany(
        [...keys, keys[0]!].map((key) => ({ key, expiresAt: now + 60 })),
        now,
      );
      assert.deepEqual(results, [true, true, false, true, true, false]);
      assert.deepEqual(await store.checkAndRecordMany([], now), []);
    } finally {
      await store.close();
    }
  });

  it('RPL-3: opening a store on a server that does not answer is ECT_REPLAY_STORE_UNAVAILABLE', async () => {
    const dead = await startRedis();
    const url = dead.url.replace('redis://', 'redis://:s3cret@');
    await dead.dispose();
    const error = await rejectsWithCode(
      RedisReplayStore.open({ url, connectTimeoutMs: 300 }),
      'ECT_REPLAY_STORE_UNAVAILABLE',
    );
    assert.doesNotMatch(error.message, /s3cret/);
  });
});
