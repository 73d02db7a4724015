/**
 * Verifier options are checked when the verifier is built (src/verify/options.ts): a misspelt
 * option is named with the closest valid one instead of being ignored, and a setup that could
 * never accept a signed token (no key source from minimum level 2 up) is refused.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { ECTConfigError } from '../../src/errors.js';
import { normalizeOptions, type VerifyOptions } from '../../src/verify/options.js';
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import { Ledger } from '../../src/ledger/ledger.js';

const AUD = 'spiffe://example.org/b';
const KEYS = { keys: [generateKeyPair().publicJwk] };

function configError(build: () => unknown): ECTConfigError {
  try {
    build();
  } catch (error) {
    assert.ok(error instanceof ECTConfigError, String(error));
    return error;
  }
  assert.fail('no ECTConfigError');
}

describe('verifier options', () => {
  test('an unknown option is an ECTConfigError naming it and the closest valid name', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ audiences: AUD }, 'options.audiences', 'options.audience'],
      [{ minlevel: 1 }, 'options.minlevel', 'options.minLevel'],
      [{ clockTolerence: 5 }, 'options.clockTolerence', 'options.clockTolerance'],
      [{ recrod: {} }, 'options.recrod', 'options.record'],
    ];
    for (const [extra, setting, closest] of cases) {
      const error = configError(() => createVerifier({ audience: AUD, keys: KEYS, ...extra }));
      assert.equal(error.setting, setting);
      assert.match(error.message, new RegExp(`did you mean ${closest.replace('.', '\\.')}\\?$`));
    }
  });

  test('an unknown DAG option is named under options.dag', () => {
    const dag = { store: new MemoryECTStore(), parital: true };
    const error = configError(() => createVerifier({ audience: AUD, keys: KEYS, dag }));
    assert.equal(error.setting, 'options.dag.parital');
    assert.match(error.message, /did you mean options\.dag\.partial\?/);
  });

  test('LED-7: the seven flat ledger options of 0.1.0 are refused, naming record.*', () => {
    const ledger = new Ledger();
    const moved: [Record<string, unknown>, string][] = [
      [{ ledger }, 'record.ledger'],
      [{ ledgerMode: 'async' }, 'record.mode'],
      [{ ledgerTimeoutMs: 10 }, 'record.timeoutMs'],
      [{ ledgerFailure: 'degrade' }, 'record.failure'],
      [{ ledgerRetries: 1 }, 'record.retries'],
      [{ ledgerRetryDelayMs: 1 }, 'record.retryDelayMs'],
      [{ onLedgerFailure: () => undefined }, 'record.onFailure'],
    ];
    for (const [extra, place] of moved) {
      const [name] = Object.keys(extra);
      const error = configError(() => createVerifier({ audience: AUD, keys: KEYS, ...extra }));
      assert.equal(error.setting, `options.${name!}`);
      assert.match(error.message, new RegExp(`is now options\\.${place.replace('.', '\\.')}$`));
    }
  });

  test('VER-13, LED-7: record is checked: names, ledger, mode, members of a mode', () => {
    const ledger = new Ledger();
    const build = (record: unknown): ECTConfigError =>
      configError(() => createVerifier({ audience: AUD, keys: KEYS, record } as VerifyOptions));
    const typo = build({ ledger, timeout: 10 });
    assert.equal(typo.setting, 'options.record.timeout');
    assert.match(typo.message, /did you mean options\.record\.timeoutMs\?$/);
    assert.equal(build({}).setting, 'options.record.ledger');
    assert.equal(build(ledger).setting, 'options.record', 'a bare Ledger is not the record object');
    assert.equal(build({ ledger, mode: 'later' }).setting, 'options.record.mode');
    assert.equal(build({ ledger, failure: 'ignore' }).setting, 'options.record.failure');
    assert.equal(build({ ledger, timeoutMs: 0 }).setting, 'options.record.timeoutMs');
    for (const name of ['retries', 'retryDelayMs', 'onFailure']) {
      const error = build({ ledger, [name]: name === 'onFailure' ? () => undefined : 1 });
      assert.equal(error.setting, `options.record.${name}`);
      assert.match(error.message, /applies only with mode "async"/);
    }
    const failure = build({ ledger, mode: 'async', failure: 'degrade' });
    assert.equal(failure.setting, 'options.record.failure');
    assert.match(failure.message, /applies only with mode "sync"/);
  });

  test('VER-13, LED-7: record defaults: sync, 2000 ms, reject; async 3 retries', () => {
    const ledger = new Ledger();
    const normalized = (options: VerifyOptions): ReturnType<typeof normalizeOptions> =>
      normalizeOptions(options, () => undefined);
    const sync = normalized({ audience: AUD, keys: KEYS, record: { ledger } });
    assert.equal(sync.record?.ledger, ledger);
    const { mode, timeoutMs, failure } = sync.record ?? {};
    assert.deepEqual([mode, timeoutMs, failure], ['sync', 2000, 'reject']);
    const record = { ledger, mode: 'async' as const };
    const retry = normalized({ audience: AUD, keys: KEYS, record }).record?.retry;
    assert.deepEqual([retry?.retries, retry?.delayMs, retry?.timeoutMs], [3, 250, 2000]);
    assert.equal(normalized({ audience: AUD, keys: KEYS }).record, undefined);
  });

  test('no key source from level 2 up, where no signed token could pass: refused', async () => {
    for (const minLevel of [undefined, 2] as const) {
      const options = minLevel === undefined ? { audience: AUD } : { audience: AUD, minLevel };
      const error = configError(() => createVerifier(options));
      assert.equal(error.setting, 'options.keys');
      assert.match(error.message, /could never accept a signed token/);
    }
    await assert.rejects(verifyECT('x.y.z', { audience: AUD, replay: false }), ECTConfigError);
  });

  test('a JWK Set without keys from level 2 up: refused at construction; at level 1 it is fine', () => {
    for (const minLevel of [undefined, 2] as const) {
      const keys = { keys: [] };
      const options =
        minLevel === undefined ? { audience: AUD, keys } : { audience: AUD, keys, minLevel };
      const error = configError(() => createVerifier(options));
      assert.equal(error.setting, 'options.keys');
      assert.match(error.message, /^options\.keys: the JWK Set has no keys: .*could never accept/);
    }
    assert.ok(createVerifier({ audience: AUD, keys: { keys: [] }, minLevel: 1 }));
  });

  test('without keys, minimum level 1 (unsigned tokens only) is a valid setup', () => {
    const normalized = (options: VerifyOptions): number =>
      normalizeOptions(options, () => undefined).minLevel;
    assert.equal(normalized({ audience: AUD, minLevel: 1 }), 1);
    assert.equal(normalized({ audience: AUD, keys: KEYS }), 2);
  });
});
