// LED-7 with the replay cache: a token the ledger could not record is rejected, and its replay
// entry is undone, so the same token is accepted once the ledger is back (never accepted unrecorded).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier, Ledger, MemoryLedgerBackend, MemoryReplayStore, type ChainTip, type ECTError, type LedgerEntry } from '../../src/index.js';
import { AUD, jwksOf, keyPair, NOW, rejectsWith, token } from '../helpers/fixtures.js';

/** A memory backend that can be switched off (single appends and group commits alike). */
class FlakyBackend extends MemoryLedgerBackend {
  down = false;
  override async append(build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry> {
    if (this.down) throw new Error('connection refused');
    return super.append(build);
  }
  override async appendMany(builds: readonly ((tip: ChainTip) => LedgerEntry)[]): Promise<readonly (LedgerEntry | ECTError)[]> {
    if (this.down) throw new Error('connection refused');
    return super.appendMany(builds);
  }
}

test('LED-7, VER-12, VER-13: a token rejected for a ledger outage is not burnt in the replay cache; it passes after recovery', async () => {
  const backend = new FlakyBackend();
  const replay = new MemoryReplayStore();
  const verifier = createVerifier({ audience: AUD, keys: jwksOf(keyPair()), now: NOW, replay, ledger: new Ledger({ backend }) });
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
  const verifier = createVerifier({ audience: AUD, keys: jwksOf(keyPair()), now: NOW, ledger: new Ledger({ backend }), ledgerFailure: 'degrade' });
  const t = token();
  const result = await verifier.verify(t);
  assert.equal(result.level, 2);
  assert.match(result.ledgerDegraded ?? '', /connection refused/);
  await rejectsWith(verifier.verify(t), 'ECT_REPLAY');
});
