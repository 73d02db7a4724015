/**
 * HTTP-4 as an expectation of the verifier: `verify(token, { expect: { out_hash } })` checks the
 * claim after the time window (VER-10) and before DAG, replay cache and ledger (VER-11 to VER-13),
 * so a token whose hash does not match is refused with the code section 5 gives first, and is
 * never recorded as a used task. A malformed expectation is the caller's mistake.
 * @module
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import { ECTConfigError } from '../../src/errors.js';
import { hashBytes } from '../../src/format/hash.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { MemoryReplayStore } from '../../src/replay/memory.js';
import { createVerifier } from '../../src/verify/verify.js';
import { NOW, rejectsWith, token, uuid, verifyOptions } from '../helpers/fixtures.js';

const BODY = hashBytes('{"task":1}');
const OTHER = hashBytes('{"task":2}');

describe('claim expectations (HTTP-4, CLM-9)', () => {
  test('HTTP-4, CLM-9: expected out_hash: equal passes, other or none refused', async () => {
    const verifier = createVerifier(verifyOptions({ replay: new MemoryReplayStore() }));
    const ok = await verifier.verify(token({ out_hash: BODY }), { expect: { out_hash: BODY } });
    assert.equal(ok.claims.out_hash, BODY);
    const wrong = await rejectsWith(
      verifier.verify(token({ jti: uuid(2), out_hash: OTHER }), { expect: { out_hash: BODY } }),
      'ECT_CLAIM_INVALID',
    );
    assert.equal(wrong.member, 'out_hash');
    assert.equal(wrong.claims?.['out_hash'], OTHER, 'the error carries the validated claims');
    const none = await rejectsWith(
      verifier.verify(token({ jti: uuid(3) }), { expect: { out_hash: BODY } }),
      'ECT_CLAIM_MISSING',
    );
    assert.equal(none.member, 'out_hash');
    // inp_hash is expected the same way.
    await rejectsWith(
      verifier.verify(token({ jti: uuid(4), inp_hash: OTHER }), { expect: { inp_hash: BODY } }),
      'ECT_CLAIM_INVALID',
    );
  });

  test('HTTP-4, VER-10: expectations are checked after the time window', async () => {
    const verifier = createVerifier(verifyOptions({ now: NOW + 5000 }));
    await rejectsWith(
      verifier.verify(token({ out_hash: OTHER }), { expect: { out_hash: BODY } }),
      'ECT_EXPIRED',
    );
  });

  test('HTTP-4, VER-11, VER-12, VER-13: a mismatch records nothing anywhere', async () => {
    const replay = new MemoryReplayStore();
    const store = new MemoryECTStore();
    const ledger = new Ledger();
    const verifier = createVerifier(verifyOptions({ replay, dag: { store }, record: { ledger } }));
    const jws = token({ out_hash: BODY });
    await rejectsWith(verifier.verify(jws, { expect: { out_hash: OTHER } }), 'ECT_CLAIM_INVALID');
    assert.equal(replay.size, 0);
    assert.equal(store.size, 0);
    assert.equal((ledger.backend as MemoryLedgerBackend).tables.entries.length, 0);
    const accepted = await verifier.verify(jws, { expect: { out_hash: BODY } });
    assert.equal(accepted.level, 3);
    // Now it is used up: the DAG store holds the task (DAG-1 comes before the replay check).
    await rejectsWith(verifier.verify(jws, { expect: { out_hash: BODY } }), 'ECT_DAG_DUPLICATE');
  });

  test('HTTP-4: an expectation that is not a digest claim is an ECTConfigError', async () => {
    const verifier = createVerifier(verifyOptions());
    const cases: [unknown, string][] = [
      [{ out_hash: 'sha-256:abc' }, 'context.expect.out_hash'],
      [{ outHash: BODY }, 'context.expect.outHash'],
      [{ iss: 'spiffe://example.org/a' }, 'context.expect.iss'],
      ['out_hash', 'context.expect'],
    ];
    for (const [expect, setting] of cases) {
      await assert.rejects(
        verifier.verify('not even a token', { expect } as never),
        (error: unknown) => {
          assert.ok(error instanceof ECTConfigError, String(error));
          assert.equal(error.setting, setting);
          return true;
        },
      );
    }
  });
});
