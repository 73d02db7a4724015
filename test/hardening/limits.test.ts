/**
 * Resource limits under a flood of hostile tokens (RPL-3, FMT-5, IDB-1): the replay cache refuses
 * new tokens when full of live entries instead of growing or evicting; the parsed-header cache and
 * the key caches stay bounded; a remote JWK set is not refetched for every unknown kid. Memory is
 * measured with process.memoryUsage() around 50,000 hostile tokens and compared with a generous
 * bound (no timing assertions).
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createECT,
  createVerifier,
  ECTError,
  MemoryReplayStore,
  type ECTErrorCode,
  type Verifier,
} from '../../src/index.js';
import { issuerKeySets, remoteKeySet } from '../../src/identity/index.js';
import {
  AUD,
  ISS,
  NOW,
  claims,
  jwksOf,
  keyPair,
  l1Token,
  token,
  uuid,
} from '../helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;
const N = 50_000;

async function codeOf(verifier: Verifier, value: string): Promise<ECTErrorCode | 'ACCEPT'> {
  try {
    await verifier.verify(value);
    return 'ACCEPT';
  } catch (error) {
    if (!(error instanceof ECTError)) throw error;
    return error.code;
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

describe('replay cache bound (RPL-1, RPL-3)', () => {
  test('RPL-3: a full in-memory replay cache refuses new tokens with ECT_REPLAY_STORE_UNAVAILABLE, never evicts a live entry, and still reports replays', async () => {
    const replay = new MemoryReplayStore({ maxEntries: 100 });
    let now = NOW;
    const verifier = createVerifier({ audience: AUD, minLevel: 1, replay, now: () => now });
    for (let i = 0; i < 100; i++)
      assert.equal(await codeOf(verifier, l1Token({ jti: uuid(i + 1) })), 'ACCEPT');
    assert.equal(replay.size, 100);
    for (let i = 100; i < 1100; i++)
      assert.equal(
        await codeOf(verifier, l1Token({ jti: uuid(i + 1) })),
        'ECT_REPLAY_STORE_UNAVAILABLE',
      );
    assert.equal(replay.size, 100, 'the cache did not grow');
    // A replay of a live entry is still a replay, not "unavailable" (the entry was not evicted).
    assert.equal(await codeOf(verifier, l1Token({ jti: uuid(1) })), 'ECT_REPLAY');
    // Once the entries expire (exp + tolerance), the space is reused. The old tokens are then expired too.
    now = NOW + 600 + 31;
    assert.equal(
      await codeOf(verifier, l1Token({ jti: uuid(5000), iat: now, exp: now + 600 })),
      'ACCEPT',
    );
    assert.ok(replay.size <= 100);
  });
});

describe(`memory under a flood of ${N.toLocaleString('en')} hostile tokens (FMT-5, RPL-3, VER-2, VER-5)`, () => {
  test(`VER-2, VER-5, RPL-3: ${N.toLocaleString('en')} hostile tokens (distinct 2 KB headers, unknown kids, junk, fresh L1 tasks) leave the heap within 48 MB of where it was`, async (t) => {
    const replay = new MemoryReplayStore({ maxEntries: 2000 });
    const verifier = createVerifier({
      audience: AUD,
      keys: jwksOf(),
      minLevel: 1,
      replay,
      now: NOW,
    });
    const payload = b64(JSON.stringify(claims()));
    const signature = token().split('.')[2]!;
    const pad = 'x'.repeat(2000);
    const counts = new Map<string, number>();
    const hostile = (i: number): string => {
      switch (i % 4) {
        case 0: // a distinct 2 KB header each time: the parsed-header cache must stay bounded
          return `${b64(JSON.stringify({ alg: 'ES256', typ: 'exec+jwt', kid: 'test-ES256', n: i, pad }))}.${payload}.${signature}`;
        case 1: // an unknown kid each time: no per-kid state may be kept
          return `${b64(JSON.stringify({ alg: 'ES256', typ: 'exec+jwt', kid: `kid-${i}-${pad.slice(0, 500)}` }))}.${payload}.${signature}`;
        case 2: // junk of every kind
          return i % 8 === 2 ? `${pad}${i}` : `${b64(`{"n":${i},"p":"${pad}"}`)}.${i}.`;
        default: // fresh, valid L1 tasks: the replay cache fills and then refuses
          return b64(
            JSON.stringify({ ...claims({ jti: uuid(1_000_000 + i) }), pad: pad.slice(0, 1000) }),
          );
      }
    };
    // Warm up (JIT, caches at their steady size) before the first measurement.
    for (let i = 0; i < 8000; i++) await codeOf(verifier, hostile(N + i));
    const before = heapUsed();
    for (let i = 0; i < N; i++) {
      const code = await codeOf(verifier, hostile(i));
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    const grown = heapUsed() - before;
    t.diagnostic(`heap growth over ${N} hostile tokens: ${(grown / MB).toFixed(1)} MB`);
    assert.equal(
      counts.get('ACCEPT') ?? 0,
      0,
      'the replay cache was full after the warm-up: no fresh task may pass',
    );
    assert.equal(counts.get('ECT_REPLAY_STORE_UNAVAILABLE'), N / 4);
    assert.equal(counts.get('ECT_SIGNATURE_INVALID'), N / 4);
    assert.equal(counts.get('ECT_KEY_UNRESOLVED'), N / 4);
    assert.equal(replay.size, 2000);
    assert.ok(
      grown < 48 * MB,
      `the heap grew by ${(grown / MB).toFixed(1)} MB over ${N} hostile tokens (${[...counts].map(([c, n]) => `${c}: ${n}`).join(', ')})`,
    );
  });

  test(`VER-5: a key resolver returning a fresh JWK object for each of ${N.toLocaleString('en')} tokens does not pin the imported keys (caches are weak or bounded)`, async (t) => {
    const publicJwk = keyPair().publicJwk;
    const verifier = createVerifier({
      audience: AUD,
      keys: () => ({ ...publicJwk }),
      replay: false,
      now: NOW,
    });
    const [h, p] = token().split('.') as [string, string];
    const bad = `${h}.${p}.${Buffer.alloc(64, 1).toString('base64url')}`;
    for (let i = 0; i < 2000; i++) await codeOf(verifier, bad);
    const before = heapUsed();
    for (let i = 0; i < N; i++) assert.equal(await codeOf(verifier, bad), 'ECT_SIGNATURE_INVALID');
    const grown = heapUsed() - before;
    t.diagnostic(`heap growth over ${N} key imports: ${(grown / MB).toFixed(1)} MB`);
    assert.ok(grown < 32 * MB, `the heap grew by ${(grown / MB).toFixed(1)} MB`);
  });
});

describe('remote JWK set under a flood of unknown kids (IDB-1)', () => {
  let server: Server;
  let fetches = 0;
  let url = '';
  before(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwksOf()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('IDB-1: 5,000 tokens with distinct unknown kids cause at most one refetch per cooldown, and the known key keeps working', async () => {
    const keys = issuerKeySets([
      {
        issuers: [{ prefix: 'spiffe://example.org/' }],
        keys: remoteKeySet({ url, cooldownMs: 60_000 }),
      },
    ]);
    const verifier = createVerifier({ audience: AUD, keys, replay: false, now: NOW });
    assert.equal(await codeOf(verifier, token()), 'ACCEPT');
    const fetchedFirst = fetches;
    const payload = b64(JSON.stringify(claims()));
    const signature = token().split('.')[2]!;
    const codes = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      codes.add(
        await codeOf(
          verifier,
          `${b64(JSON.stringify({ alg: 'ES256', typ: 'exec+jwt', kid: `rotated-${i}` }))}.${payload}.${signature}`,
        ),
      );
    }
    assert.deepEqual([...codes], ['ECT_KEY_UNRESOLVED']);
    assert.ok(
      fetches - fetchedFirst <= 1,
      `${fetches - fetchedFirst} refetches for 5,000 unknown kids`,
    );
    assert.equal(
      await codeOf(
        verifier,
        createECT(claims({ jti: uuid(2), iss: ISS }), { key: keyPair().privateJwk, now: NOW }),
      ),
      'ACCEPT',
    );
  });
});
