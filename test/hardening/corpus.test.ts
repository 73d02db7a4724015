/**
 * The adversarial corpus (test/vectors/adversarial/*.json): hostile tokens, each with the exact
 * section 11 code a verifier must answer, or ACCEPT for the control cases that show the corpus
 * verifier is set up right (so that the hostile cases fail for their own reason). One test per case;
 * its title names the profile rules and the case.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createVerifier,
  ECT_ERROR_CODES,
  ECTError,
  localJWKSet,
  MemoryReplayStore,
  ReceiptError,
  verifyECT,
  verifyReceipt,
  type JWKSet,
  type OneShotVerifyOptions,
} from '../../src/index.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'adversarial');

interface CorpusCase {
  readonly name: string;
  readonly rules: readonly string[];
  readonly description: string;
  readonly token: string;
  readonly expected: string;
  readonly options?: Record<string, unknown> & {
    issuers?: ({ exact: string } | { prefix: string })[];
  };
}
interface CorpusFile {
  readonly category: string;
  readonly description: string;
  readonly cases: readonly CorpusCase[];
}

const context = JSON.parse(readFileSync(join(DIR, 'context.json'), 'utf8')) as {
  now: number;
  audience: string;
  trustedKeys: JWKSet['keys'];
};
const files = readdirSync(DIR)
  .filter((name) => name.endsWith('.json') && name !== 'context.json' && name !== 'keys.json')
  .sort()
  .map((name) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as CorpusFile);
const trusted: JWKSet = { keys: context.trustedKeys };
const unbound = localJWKSet(trusted);

function optionsFor(c: CorpusCase): OneShotVerifyOptions {
  const { issuers, ...rest } = c.options ?? {};
  return {
    audience: context.audience,
    keys: issuers === undefined ? unbound : localJWKSet(trusted, { issuers }),
    now: context.now,
    replay: false,
    ...rest,
  };
}

// HDR-5: nothing in a token may make the verifier fetch anything.
const realFetch = globalThis.fetch;
const fetched: string[] = [];
before(() => {
  globalThis.fetch = async (input: unknown) => {
    fetched.push(String(input));
    throw new Error('the corpus verifier must not fetch');
  };
});
after(() => {
  globalThis.fetch = realFetch;
});

test('the corpus is complete: every case names rules and expects a section 11 code or ACCEPT', () => {
  const all = files.flatMap((f) => f.cases);
  assert.ok(all.length >= 300, `only ${all.length} cases`);
  for (const c of all) {
    assert.ok(c.rules.length > 0, c.name);
    assert.ok(
      c.expected === 'ACCEPT' || (ECT_ERROR_CODES as readonly string[]).includes(c.expected),
      `${c.name}: ${c.expected}`,
    );
  }
});

for (const file of files) {
  describe(`adversarial corpus: ${file.category} (${file.description})`, () => {
    for (const c of file.cases) {
      const title = `${c.rules.join(', ')}: ${c.name} → ${c.expected === 'ACCEPT' ? 'accepted (control)' : c.expected}`;
      test(title, async () => {
        let outcome: unknown;
        try {
          await verifyECT(c.token, optionsFor(c));
          outcome = 'ACCEPT';
        } catch (error) {
          outcome = error;
        }
        if (c.expected === 'ACCEPT') {
          assert.equal(
            outcome,
            'ACCEPT',
            `${c.description}\nexpected acceptance, got ${outcome instanceof Error ? `${(outcome as ECTError).code}: ${outcome.message}` : String(outcome)}`,
          );
          return;
        }
        assert.ok(
          outcome instanceof ECTError,
          `${c.description}\nexpected ${c.expected}, got ${outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : String(outcome)}`,
        );
        assert.equal(
          outcome.code,
          c.expected,
          `${c.description}\nexpected ${c.expected}, got ${outcome.code}: ${outcome.message}`,
        );
      });
    }
  });
}

test('HDR-5: no case of the corpus made the verifier fetch anything (jku, x5u are never dereferenced)', () => {
  assert.deepEqual(fetched, []);
});

describe('signature malleability and cross-JWT confusion (RPL-1, LED-5; RFC 8725 §3.12)', () => {
  const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  const es256 = context.trustedKeys.find((k) => (k as { kid?: string }).kid === 'test-ES256')!;

  function twin(token: string): string {
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const sValue = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const flipped = Buffer.from((N - sValue).toString(16).padStart(64, '0'), 'hex');
    return `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), flipped]).toString('base64url')}`;
  }

  test('RPL-1, RFC8725-3.4: an ES256 signature made malleable (s -> n - s) is a second valid encoding of the same token; the replay cache keys on (wid, jti), so the twin is ECT_REPLAY', async () => {
    const control = files.flatMap((f) => f.cases).find((c) => c.name === 'b64 true')!;
    const original = control.token;
    const copy = twin(original);
    assert.notEqual(copy, original);
    // Both encodings verify on their own: ECDSA (RFC 7518 §3.4) does not require low-S.
    await verifyECT(copy, optionsFor(control));
    const verifier = createVerifier({
      audience: context.audience,
      keys: unbound,
      now: context.now,
      replay: new MemoryReplayStore(),
    });
    await verifier.verify(original);
    await assert.rejects(
      verifier.verify(copy),
      (error: unknown) => error instanceof ECTError && error.code === 'ECT_REPLAY',
    );
  });

  test("LED-5, RFC8725-3.12: an ECT signed with a ledger's key is not a receipt: verifyReceipt refuses its typ", () => {
    const control = files.flatMap((f) => f.cases).find((c) => c.name === 'b64 true')!;
    assert.throws(
      () => verifyReceipt({ jws: control.token, key: es256 }),
      (error: unknown) => error instanceof ReceiptError && /typ/.test(error.message),
    );
  });
});
