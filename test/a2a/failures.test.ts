/**
 * What `wimse-ect/a2a` does when the agent, not the caller, is at fault: a replay cache that cannot
 * answer refuses the message with `ECT_REPLAY_STORE_UNAVAILABLE` as an internal error (RPL-3), a
 * verifier that throws something else is an internal error without detail, told to `onError`; and
 * how the subpath loads the SDK: only its types statically, so neither the main entry nor the
 * subpath loads it at import time.
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ectRejectionOf } from '../../src/a2a/index.js';
import { ECTError } from '../../src/errors.js';
import { createVerifier } from '../../src/verify/verify.js';
import {
  plannerClient,
  plannerKeys,
  REVIEWER,
  startAgent,
  userMessage,
  type Agent,
} from './support.js';

describe('A2A: failures that are not the caller’s', () => {
  let reason: 'unavailable' | 'broken' = 'unavailable';
  const reported: unknown[] = [];
  let agent: Agent;
  before(async () => {
    const replay = {
      async checkAndRecord(): Promise<boolean> {
        throw new ECTError('ECT_REPLAY_STORE_UNAVAILABLE', 'the replay store is down');
      },
    };
    const verifier = createVerifier({
      audience: REVIEWER,
      keys: { keys: [plannerKeys.publicJwk] },
      replay,
    });
    agent = await startAgent({
      verifier: {
        async verify(token, context) {
          if (reason === 'broken') throw new TypeError('a bug in the verifier');
          return verifier.verify(token, context);
        },
      },
      onError: (error) => reported.push(error),
    });
  });
  after(async () => {
    await agent.close();
  });

  async function failure(): Promise<{ envelopeCode: number; message: string }> {
    const client = await plannerClient(agent);
    return client.sendMessage(userMessage('x')).then(
      () => assert.fail('accepted'),
      (e: unknown) => e as { envelopeCode: number; message: string },
    );
  }

  test('RPL-3: a replay cache that is down refuses with ECT_REPLAY_STORE_UNAVAILABLE', async () => {
    reason = 'unavailable';
    const error = await failure();
    assert.equal(error.envelopeCode, -32603);
    assert.equal(ectRejectionOf(error)?.code, 'ECT_REPLAY_STORE_UNAVAILABLE');
    assert.equal(agent.seen.executed.length, 0);
  });

  test('another failure is an internal error without detail, told to onError', async () => {
    reason = 'broken';
    const error = await failure();
    assert.equal(error.envelopeCode, -32603);
    assert.equal(ectRejectionOf(error), undefined);
    assert.ok(!error.message.includes('a bug'), error.message);
    assert.ok(reported.some((e) => e instanceof TypeError));
    assert.equal(agent.seen.executed.length, 0);
  });
});

test('the SDK is imported only as types (loaded lazily), and not by the main entry', () => {
  const dir = join(process.cwd(), 'src', 'a2a');
  let imports = 0;
  for (const name of readdirSync(dir)) {
    const source = readFileSync(join(dir, name), 'utf8');
    for (const match of source.matchAll(/^import (type )?[^;]*?from '(@a2a-js\/[^']+)';/gms)) {
      assert.equal(match[1], 'type ', `${name} imports ${match[2]} at run time`);
      imports++;
    }
  }
  assert.ok(imports >= 5, `only ${imports} imports of the SDK were found: is the pattern right?`);
  const main = readFileSync(join(process.cwd(), 'src', 'index.ts'), 'utf8');
  assert.ok(!main.includes('./a2a'), 'the main entry exports the A2A integration');
});
