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
import { createVerifier, verifyECT } from '../../src/verify/verify.js';
import { MemoryECTStore } from '../../src/dag/memory-store.js';

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
      [{ ledgerTimeout: 10 }, 'options.ledgerTimeout', 'options.ledgerTimeoutMs'],
    ];
    for (const [extra, setting, closest] of cases) {
      const error = configError(() => createVerifier({ audience: AUD, keys: KEYS, ...extra }));
      assert.equal(error.setting, setting);
      assert.match(error.message, new RegExp(`did you mean ${closest.replace('.', '\\.')}\\?$`));
    }
  });

  test('an unknown DAG option is named under options.dag', () => {
    const dag = { store: new MemoryECTStore(), parital: true };
    const error = configError(() => createVerifier({ audience: AUD, keys: KEYS, dag } as never));
    assert.equal(error.setting, 'options.dag.parital');
    assert.match(error.message, /did you mean options\.dag\.partial\?/);
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

  test('without keys, minimum level 1 (unsigned tokens only) is a valid setup', () => {
    assert.equal(createVerifier({ audience: AUD, minLevel: 1 }).options.minLevel, 1);
    assert.equal(createVerifier({ audience: AUD, keys: KEYS }).options.minLevel, 2);
  });
});
