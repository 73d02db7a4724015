// LED-7 with the replay cache: a token the ledger could not record is rejected, and its replay
// entry is undone, so the same token is accepted once the ledger is back (never accepted unrecorded).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createVerifier,
  Ledger,
  MemoryECTStore,
  MemoryLedgerBackend,
  MemoryReplayStore,
  type AppendTransaction,
} from '../../src/index.js';
import { AUD, jwksOf, keyPair, NOW, rejectsWith, token } from '../helpers/fixtures.js';

/** A memory backend that can be switched off: its append transactions then fail to start. */
class FlakyBackend extends MemoryLedgerBackend {
  down = false;
  override async beginAppend(options: {
    readonly scopes: readonly string[];
  }): Promise<AppendTransaction> {
    if (this.down) throw new Error('connection refused');
    return super.beginAppend(options);
  }
}

test('LED-7, VER-12, VER-13: a token rejected for a ledger outage is not burnt in the replay cache; it passes after recovery', async () => {
  const backend = new FlakyBackend();
  const replay = new MemoryReplayStore();
  const verifier = createVerifier({
    audience: AUD,
    keys: jwksOf(keyPair()),
    now: NOW,
    replay,
    record: { ledger: new Ledger({ backend }) },
  });
  const t = token();
  backend.down = true;
  await rejectsWith(verifier.verify(t), 'ECT_LEDGER_UNAVAILABLE');
  assert.equal(replay.size, 0, 'the replay entry was undone');
  backend.down = false;
  const ok = await verifier.verify(t);
  assert.equal(ok.level, 3);
  assert.equal(ok.receipt?.seq, 1);
  await rejectsWith(verifier.verify(t), 'ECT_REPLAY');
});

test('LED-7: with the degrade policy the token is accepted at level 2 and stays recorded in the replay cache', async () => {
  const backend = new FlakyBackend();
  backend.down = true;
  const verifier = createVerifier({
    audience: AUD,
    keys: jwksOf(keyPair()),
    now: NOW,
    record: { ledger: new Ledger({ backend }), failure: 'degrade' },
  });
  const t = token();
  const result = await verifier.verify(t);
  assert.equal(result.level, 2);
  assert.match(result.ledgerDegraded ?? '', /connection refused/);
  await rejectsWith(verifier.verify(t), 'ECT_REPLAY');
});

/** A memory backend that fails its first `failures` append transactions. */
class RecoveringBackend extends FlakyBackend {
  constructor(private failures: number) {
    super();
  }
  override async beginAppend(options: {
    readonly scopes: readonly string[];
  }): Promise<AppendTransaction> {
    this.down = this.failures-- > 0;
    return super.beginAppend(options);
  }
}

test('LED-7: async mode accepts at level 2 at once and records in the background; the recording resolves to the receipt', async () => {
  const ledger = new Ledger();
  const verifier = createVerifier({
    audience: AUD,
    keys: jwksOf(keyPair()),
    now: NOW,
    record: { ledger, mode: 'async' },
  });
  const result = await verifier.verify(token());
  assert.equal(result.level, 2);
  assert.equal(result.receipt, undefined);
  const receipt = await result.recording;
  assert.equal(receipt?.seq, 1);
  assert.equal(receipt?.level, 3);
  assert.equal((await ledger.entry(result.claims.jti, undefined))?.seq, 1);
});

test('LED-7: async mode retries an unavailable ledger and records once it answers', async () => {
  const failures: unknown[] = [];
  const ledger = new Ledger({ backend: new RecoveringBackend(2) });
  const verifier = createVerifier({
    audience: AUD,
    keys: jwksOf(keyPair()),
    now: NOW,
    record: {
      ledger,
      mode: 'async',
      retries: 3,
      retryDelayMs: 1,
      onFailure: (f) => failures.push(f),
    },
  });
  const receipt = await (await verifier.verify(token())).recording;
  assert.equal(receipt?.seq, 1);
  assert.deepEqual(failures, []);
});

test('LED-7: async mode tells the application when recording finally fails; the token stays accepted at level 2', async () => {
  const backend = new FlakyBackend();
  backend.down = true;
  const failures: { error: { code: string }; attempts: number; claims: { jti: string } }[] = [];
  const verifier = createVerifier({
    audience: AUD,
    keys: jwksOf(keyPair()),
    now: NOW,
    record: {
      ledger: new Ledger({ backend }),
      mode: 'async',
      retries: 2,
      retryDelayMs: 1,
      onFailure: (f) => failures.push(f),
    },
  });
  const result = await verifier.verify(token());
  assert.equal(result.level, 2);
  assert.equal(await result.recording, undefined);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.error.code, 'ECT_LEDGER_UNAVAILABLE');
  assert.equal(failures[0]!.attempts, 3);
  assert.equal(failures[0]!.claims.jti, result.claims.jti);
});

test('LED-7: async mode is refused with minimum level 3, and with the ledger as the DAG store', () => {
  const ledger = new Ledger();
  assert.throws(
    () =>
      createVerifier({
        audience: AUD,
        keys: jwksOf(keyPair()),
        record: { ledger, mode: 'async' },
        minLevel: 3,
      }),
    { name: 'ECTConfigError' },
  );
  assert.throws(
    () =>
      createVerifier({
        audience: AUD,
        keys: jwksOf(keyPair()),
        record: { ledger, mode: 'async' },
        dag: {},
      }),
    { name: 'ECTConfigError', message: /DAG store/ },
  );
  assert.doesNotThrow(() =>
    createVerifier({
      audience: AUD,
      keys: jwksOf(keyPair()),
      record: { ledger, mode: 'async' },
      dag: { store: new MemoryECTStore() },
    }),
  );
});
