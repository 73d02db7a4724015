/**
 * Property-based fuzzing of the security boundary (fast-check). The CI run uses bounded run counts;
 * `FC_NUM_RUNS=<n> node scripts/fuzz.mjs` runs the same properties with many more (see
 * scripts/fuzz.mjs). A failure prints the seed; replay it with FC_SEED=<seed>.
 *
 * What is proven:
 * - a valid token changed anywhere (characters of the wire form, members of the header or the
 *   payload) is never accepted, unless the change is a no-op (VER-6, FMT-3, CLM-12);
 * - random input never makes the verifier throw anything but an ECTError with a section 11 code;
 * - signed tokens with hostile headers or claims are accepted exactly when the profile's rules (an
 *   independent model in support.ts) say so, and otherwise fail with the code the model predicts;
 * - the HTTP middleware answers every random header value with 403 problem+json or 2xx;
 * - the DAG validator never accepts a cycle and never walks more than its ancestor limit.
 */
import { strict as assert } from 'node:assert';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createECT,
  createVerifier,
  ECTError,
  MemoryECTStore,
  validateDag,
  verifyECT,
  type Algorithm,
  type DagNode,
  type ECTStore,
} from '../../src/index.js';
import { ectNodeHandler } from '../../src/http/node.js';
import { AUD, ISS, NOW, jwksOf, keyPair, uuid, verifyOptions } from '../helpers/fixtures.js';
import { CODES, expectedForClaims, fcParams, hostileClaimsArb, validClaimsArb } from './support.js';

const ALGS: readonly Algorithm[] = ['ES256', 'EdDSA', 'PS256'];
const KEYS = jwksOf(...ALGS.map((alg) => keyPair(alg)));
const opts = verifyOptions({ keys: KEYS });
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Verifies and returns 'ACCEPT' or the error; fails the property on any non-ECTError exception. */
async function outcome(token: string, options = opts): Promise<'ACCEPT' | ECTError> {
  try {
    await verifyECT(token, options);
    return 'ACCEPT';
  } catch (error) {
    if (!(error instanceof ECTError))
      throw new Error(
        `non-ECTError thrown for ${JSON.stringify(token.slice(0, 200))}: ${String(error)}`,
        { cause: error },
      );
    if (!CODES.has(error.code)) throw new Error(`unknown code ${error.code}`, { cause: error });
    return error;
  }
}

// A few valid tokens per algorithm, made once (PS256 signing is slow).
const seedTokens: string[] = [];
before(() => {
  const samples = fc.sample(validClaimsArb, { numRuns: 12, seed: 7 });
  samples.forEach((claims, i) =>
    seedTokens.push(
      createECT(claims as never, { key: keyPair(ALGS[i % ALGS.length]).privateJwk, now: NOW }),
    ),
  );
});

const tokenIndex = fc.nat({ max: 11 });

// Character-level mutations of the wire form.
const mutationArb = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    ch: fc.oneof(
      fc.constantFrom(...B64URL),
      fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\u0000', 'é'),
    ),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    ch: fc.oneof(fc.constantFrom(...B64URL), fc.constantFrom('.', '=', ' ')),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('bitflip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('swap-segments' as const),
    a: fc.nat({ max: 2 }),
    b: fc.nat({ max: 2 }),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    from: fc.nat({ max: 11 }),
    segment: fc.nat({ max: 2 }),
  }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat() }),
);

function mutate(token: string, m: Record<string, unknown> & { kind: string }): string {
  if (token.length === 0) return token;
  const at = (n: unknown): number => (n as number) % token.length;
  switch (m.kind) {
    case 'replace': {
      const i = at(m['at']);
      return token.slice(0, i) + (m['ch'] as string) + token.slice(i + 1);
    }
    case 'insert': {
      const i = at(m['at']);
      return token.slice(0, i) + (m['ch'] as string) + token.slice(i);
    }
    case 'delete': {
      const i = at(m['at']);
      return token.slice(0, i) + token.slice(i + (m['n'] as number));
    }
    case 'truncate':
      return token.slice(0, at(m['at']));
    case 'bitflip': {
      const i = at(m['at']);
      const v = B64URL.indexOf(token[i]!);
      if (v < 0) return token;
      return token.slice(0, i) + B64URL[v ^ (1 << (m['bit'] as number))] + token.slice(i + 1);
    }
    case 'swap-segments': {
      const s = token.split('.');
      const a = m['a'] as number;
      const b = m['b'] as number;
      [s[a], s[b]] = [s[b]!, s[a]!];
      return s.join('.');
    }
    case 'splice': {
      const s = token.split('.');
      const other = seedTokens[m['from'] as number]!.split('.');
      const k = m['segment'] as number;
      s[k] = other[k]!;
      return s.join('.');
    }
    case 'case': {
      const i = at(m['at']);
      const c = token[i]!;
      const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      return token.slice(0, i) + flipped + token.slice(i + 1);
    }
    default:
      return token;
  }
}

describe('mutations of valid tokens are never accepted (VER-6, FMT-3, CLM-12)', () => {
  test('VER-6, FMT-1: the seed tokens (ES256, EdDSA, PS256, every claim combination) verify', async () => {
    for (const token of seedTokens) assert.equal(await outcome(token), 'ACCEPT');
  });

  test('VER-6, FMT-3: 1-3 character-level mutations of a valid token are rejected with a section 11 code unless they are a no-op', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenIndex,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        async (i, mutations) => {
          const original = seedTokens[i]!;
          const mutated = mutations.reduce((t, m) => mutate(t, m as never), original);
          const result = await outcome(mutated);
          // Splicing all of another token's segments in rebuilds that (valid) token: also a no-op.
          if (seedTokens.includes(mutated)) return result === 'ACCEPT';
          return result !== 'ACCEPT';
        },
      ),
      fcParams(400),
    );
  });

  test('VER-6, CLM-12: changing, adding or removing one payload member, keeping header and signature, is rejected unless the payload text is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenIndex,
        fc.constantFrom(
          'iss',
          'aud',
          'iat',
          'exp',
          'jti',
          'exec_act',
          'pred',
          'wid',
          'inp_hash',
          'out_hash',
          'ect_ext',
          'x',
        ),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        async (i, member, value) => {
          const [h, p, s] = seedTokens[i]!.split('.') as [string, string, string];
          const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<
            string,
            unknown
          >;
          if (value === undefined) delete payload[member];
          else payload[member] = value;
          const p2 = Buffer.from(JSON.stringify(payload)).toString('base64url');
          const result = await outcome(`${h}.${p2}.${s}`);
          return p2 === p
            ? result === 'ACCEPT'
            : result !== 'ACCEPT' && result.code === 'ECT_SIGNATURE_INVALID';
        },
      ),
      fcParams(300),
    );
  });

  test('VER-4, VER-6: changing, adding or removing one header member, keeping payload and signature, is rejected unless the header text is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenIndex,
        fc.constantFrom('alg', 'typ', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u', 'cty', 'x'),
        fc.option(
          fc.oneof(
            fc.jsonValue({ maxDepth: 1 }),
            fc.constantFrom(
              'ES256',
              'EdDSA',
              'PS256',
              'none',
              'HS256',
              'exec+jwt',
              'test-ES256',
              'test-EdDSA',
            ),
          ),
          { nil: undefined },
        ),
        async (i, member, value) => {
          const [h, p, s] = seedTokens[i]!.split('.') as [string, string, string];
          const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<
            string,
            unknown
          >;
          if (value === undefined) delete header[member];
          else header[member] = value;
          const h2 = Buffer.from(JSON.stringify(header)).toString('base64url');
          const result = await outcome(`${h2}.${p}.${s}`);
          return h2 === h ? result === 'ACCEPT' : result !== 'ACCEPT';
        },
      ),
      fcParams(300),
    );
  });
});

describe('random input never crashes the verifier (VER-1, VER-2)', () => {
  const l1Options = verifyOptions({ keys: KEYS, minLevel: 1 });
  const segment = fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 120 });
  const randomTokenArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'binary-ascii', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.')),
    fc
      .tuple(fc.jsonValue(), fc.jsonValue(), fc.uint8Array({ maxLength: 300 }))
      .map(([h, p, s]) =>
        [JSON.stringify(h) ?? '', JSON.stringify(p) ?? '', s]
          .map((x) => Buffer.from(x as never).toString('base64url'))
          .join('.'),
      ),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
    fc.object().map((o) => Buffer.from(JSON.stringify(o)).toString('base64url')),
  );

  test('VER-1, VER-2: random strings, bytes, segments and JSON values yield only ECTErrors with section 11 codes, at minimum level 2 and 1', async () => {
    await fc.assert(
      fc.asyncProperty(randomTokenArb, async (token) => {
        const strict = await outcome(token);
        const lax = await outcome(token, l1Options);
        // At level 2 nothing random is accepted; at level 1 only what the claim model accepts.
        if (strict === 'ACCEPT') return false;
        if (lax === 'ACCEPT') {
          const claims = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<
            string,
            unknown
          >;
          return expectedForClaims(claims) === 'ACCEPT';
        }
        return true;
      }),
      fcParams(1000),
    );
  });

  test('VER-2: non-string tokens (numbers, objects, null, buffers) are ECT_MALFORMED', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.uint8Array().map((b) => Buffer.from(b)),
        ),
        async (value) => {
          if (typeof value === 'string') return true;
          const result = await outcome(value as never);
          return result !== 'ACCEPT' && result.code === 'ECT_MALFORMED';
        },
      ),
      fcParams(200),
    );
  });
});

describe('signed hostile headers and claims: accepted exactly when the profile says so (VER-4, VER-7 ... VER-10)', () => {
  const headerArb = fc.record(
    {
      alg: fc.constantFrom(
        'ES256',
        'ES256',
        'es256',
        'none',
        'HS256',
        'EdDSA',
        'ES384',
        '',
        null,
        7,
      ),
      typ: fc.constantFrom(
        'exec+jwt',
        'EXEC+JWT',
        'application/exec+jwt',
        'wimse-exec+jwt',
        'JWT',
        'exec+jwt ',
        'еxec+jwt',
        'application/',
        '',
        null,
      ),
      kid: fc.constantFrom(
        'test-ES256',
        'test-ES256',
        'test-EdDSA',
        'TEST-ES256',
        '../test-ES256',
        '',
        1,
      ),
      crit: fc.constantFrom(['b64'], [], ['exp'], 'x'),
      b64: fc.constantFrom(true, false, 'true', null),
      jku: fc.constant('https://attacker.example/jwks.json'),
      jwk: fc.constant({ kty: 'oct', k: 'AAAA' }),
      cty: fc.constantFrom('JWT', 'json'),
    },
    { requiredKeys: [] },
  );

  function headerModel(h: Record<string, unknown>): string {
    const typ = h['typ'];
    const typOk =
      typeof typ === 'string' &&
      /^[\x20-\x7e]+$/.test(typ) &&
      ['exec+jwt', 'wimse-exec+jwt'].includes(typ.toLowerCase().replace(/^application\//, ''));
    if (!typOk) return 'ECT_TYP_INVALID';
    if (
      typeof h['alg'] !== 'string' ||
      !['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512'].includes(h['alg'])
    )
      return 'ECT_ALG_NOT_ALLOWED';
    if (h['crit'] !== undefined || (h['b64'] !== undefined && h['b64'] !== true))
      return 'ECT_CRIT_UNSUPPORTED';
    // The token is signed with the ES256 key: only alg ES256 with kid test-ES256 finds that key.
    if (h['alg'] !== 'ES256' || h['kid'] !== 'test-ES256')
      return h['kid'] === 'test-EdDSA' && h['alg'] === 'EdDSA'
        ? 'ECT_SIGNATURE_INVALID'
        : 'ECT_KEY_UNRESOLVED';
    return 'ACCEPT';
  }

  test('HDR-1 ... HDR-5, VER-4, VER-5: a random header signed by the trusted ES256 key gets exactly the code of the header rules', async () => {
    const { createPrivateKey, sign } = await import('node:crypto');
    const key = createPrivateKey({ key: keyPair('ES256').privateJwk, format: 'jwk' });
    const payload = Buffer.from(
      JSON.stringify({
        iss: ISS,
        aud: AUD,
        iat: NOW,
        exp: NOW + 600,
        jti: uuid(1),
        exec_act: 'review_spec',
        pred: [],
      }),
    ).toString('base64url');
    await fc.assert(
      fc.asyncProperty(headerArb, async (h) => {
        const input = `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${payload}`;
        const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString(
          'base64url',
        );
        const result = await outcome(`${input}.${sig}`);
        const expected = headerModel(h);
        assert.equal(result === 'ACCEPT' ? 'ACCEPT' : result.code, expected, JSON.stringify(h));
      }),
      fcParams(400),
    );
  });

  test('VER-7, VER-9, VER-10, CLM-1 ... CLM-10: random claims signed by a trusted key get exactly the code of the claim model (or are accepted when it accepts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileClaimsArb,
        fc.constantFrom<Algorithm>('ES256', 'EdDSA'),
        async (claims, alg) => {
          const { createPrivateKey, sign } = await import('node:crypto');
          const key = createPrivateKey({ key: keyPair(alg).privateJwk, format: 'jwk' });
          const text = JSON.stringify(claims);
          const input = `${Buffer.from(JSON.stringify({ alg, typ: 'exec+jwt', kid: `test-${alg}` })).toString('base64url')}.${Buffer.from(text).toString('base64url')}`;
          const sig = sign(
            alg === 'EdDSA' ? null : 'sha256',
            Buffer.from(input),
            alg === 'EdDSA' ? key : { key, dsaEncoding: 'ieee-p1363' },
          ).toString('base64url');
          const result = await outcome(`${input}.${sig}`);
          const expected = expectedForClaims(JSON.parse(text) as Record<string, unknown>);
          assert.equal(result === 'ACCEPT' ? 'ACCEPT' : result.code, expected, text.slice(0, 500));
        },
      ),
      fcParams(600),
    );
  });

  test('VER-7, FMT-2: the same claims as L1 tokens under minimum level 1 get the same codes', async () => {
    const l1 = verifyOptions({ keys: KEYS, minLevel: 1 });
    await fc.assert(
      fc.asyncProperty(hostileClaimsArb, async (claims) => {
        const text = JSON.stringify(claims);
        const result = await outcome(Buffer.from(text).toString('base64url'), l1);
        assert.equal(
          result === 'ACCEPT' ? 'ACCEPT' : result.code,
          expectedForClaims(JSON.parse(text) as Record<string, unknown>),
          text.slice(0, 500),
        );
      }),
      fcParams(600),
    );
  });
});

describe('HTTP middleware under random header values (HTTP-1, HTTP-2, HTTP-3)', () => {
  let server: Server;
  let port = 0;
  const verifier = createVerifier({ audience: AUD, keys: KEYS, now: NOW, minLevel: 1 });
  before(async () => {
    // Node's own header limit (16 KiB, answered 431 before any middleware runs) is raised so that
    // every value reaches the middleware.
    server = createServer(
      { maxHeaderSize: 64 * 1024 },
      ectNodeHandler(
        (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        },
        { verifier },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function send(
    values: string[] | undefined,
  ): Promise<{ status: number; type: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          headers:
            values === undefined
              ? {}
              : { 'Execution-Context': values.length === 1 ? values[0]! : values },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
  }

  // Field values Node's client can send: HTAB, visible ASCII, SP and obs-text (RFC 9110 §5.5).
  const fieldChar = fc.oneof(
    fc.constantFrom('\t', ' ', '.', ',', '=', '"'),
    fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  );
  const fieldValue = fc.oneof(
    fc.string({ unit: fieldChar, maxLength: 200 }),
    fc.string({ unit: fc.constantFrom(...B64URL, '.'), minLength: 1, maxLength: 200 }),
    fc.nat({ max: 11 }).map((i) => seedTokens[i]!),
    fc.tuple(fc.nat({ max: 11 }), fc.nat(), fc.constantFrom(...B64URL)).map(([i, at, ch]) => {
      const t = seedTokens[i]!;
      const k = at % t.length;
      return t.slice(0, k) + ch + t.slice(k + 1);
    }),
    fc.nat({ max: 11 }).map((i) => `${seedTokens[i]!}, ${seedTokens[(i + 1) % 12]!}`),
    fc.integer({ min: 8000, max: 9000 }).map((n) => 'A'.repeat(n)),
  );

  test('HTTP-1, HTTP-2: every random Execution-Context value (one line, several lines, none) gets 2xx or 403 application/problem+json with a code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.array(fieldValue, { minLength: 1, maxLength: 3 }), {
          nil: undefined,
          freq: 10,
        }),
        async (values) => {
          const response = await send(values);
          if (response.status >= 200 && response.status < 300)
            return values !== undefined && values.length === 1;
          assert.equal(response.status, 403, `${response.status} ${response.body}`);
          assert.equal(response.type, 'application/problem+json');
          const problem = JSON.parse(response.body) as { status: number; code: string };
          assert.equal(problem.status, 403);
          assert.ok(
            CODES.has(problem.code) || problem.code === 'EXECUTION_CONTEXT_MISSING',
            problem.code,
          );
          return true;
        },
      ),
      fcParams(150),
    );
  });
});

describe('DAG validation (DAG-1 ... DAG-4)', () => {
  /** A store wrapper that counts lookups. */
  function counting(store: MemoryECTStore): {
    store: ECTStore;
    lookups: () => number;
    reset: () => void;
  } {
    let n = 0;
    return {
      store: {
        get: (jti, wid) => (n++, store.get(jti, wid)),
        findByJti: (jti) => (n++, store.findByJti(jti)),
        isReferenced: (jti) => store.isReferenced(jti),
        listWorkflow: (wid) => store.listWorkflow(wid),
      },
      lookups: () => n,
      reset: () => {
        n = 0;
      },
    };
  }

  /** True when the stored graph (pred edges, one global scope) has a cycle. */
  function hasCycle(nodes: readonly DagNode[]): boolean {
    const byJti = new Map(nodes.map((n) => [n.jti, n]));
    const state = new Map<string, 1 | 2>();
    const visit = (jti: string): boolean => {
      const s = state.get(jti);
      if (s === 1) return true;
      if (s === 2) return false;
      state.set(jti, 1);
      for (const p of byJti.get(jti)?.pred ?? []) if (byJti.has(p) && visit(p)) return true;
      state.set(jti, 2);
      return false;
    };
    return nodes.some((n) => visit(n.jti));
  }

  test('DAG-4: random partial insertions (pred may name tasks that come later) never make the stored graph cyclic; lookups stay bounded by the ancestor limit', async () => {
    const POOL = 12;
    const stepArb = fc.record({
      j: fc.integer({ min: 1, max: POOL }),
      pred: fc.uniqueArray(fc.integer({ min: 1, max: POOL }), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (steps, maxAncestors) => {
          const memory = new MemoryECTStore();
          const { store, lookups, reset } = counting(memory);
          const accepted: DagNode[] = [];
          for (const step of steps) {
            const node: DagNode = {
              jti: uuid(step.j),
              iat: NOW,
              level: 2,
              pred: step.pred.filter((p) => p !== step.j).map(uuid),
            };
            reset();
            try {
              await validateDag(node, { store, partial: true, maxAncestors });
              memory.add(node);
              accepted.push(node);
            } catch (error) {
              assert.ok(
                error instanceof ECTError &&
                  ['ECT_DAG_DUPLICATE', 'ECT_DAG_CYCLE', 'ECT_DAG_LIMIT'].includes(error.code),
                String(error),
              );
            }
            // 2 lookups per pred entry, plus the walk: at most (limit + 1) expanded nodes of <= 3 preds.
            assert.ok(
              lookups() <= 1 + 2 * node.pred.length + 2 + 2 * 3 * (maxAncestors + 2),
              `${lookups()} lookups with limit ${maxAncestors}`,
            );
            assert.equal(
              hasCycle(accepted),
              false,
              JSON.stringify(
                accepted.map((n) => [n.jti.slice(-2), n.pred.map((p) => p.slice(-2))]),
              ),
            );
          }
        },
      ),
      fcParams(300),
    );
  });

  test('DAG-4: closing a chain of n tasks into a cycle is ECT_DAG_CYCLE when n <= limit and ECT_DAG_LIMIT beyond it; never accepted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        async (n, maxAncestors) => {
          const store = new MemoryECTStore();
          const x = uuid(10_000);
          // a1 -> x (unknown, partial), a2 -> a1, ..., an -> a(n-1); then x -> an closes the cycle.
          for (let i = 1; i <= n; i++) {
            const node: DagNode = {
              jti: uuid(i),
              iat: NOW,
              level: 2,
              pred: [i === 1 ? x : uuid(i - 1)],
            };
            await validateDag(node, { store, partial: true, maxAncestors: 10_000 });
            store.add(node);
          }
          let code: string | undefined;
          try {
            await validateDag(
              { jti: x, iat: NOW, level: 2, pred: [uuid(n)] },
              { store, partial: true, maxAncestors },
            );
          } catch (error) {
            code = (error as ECTError).code;
          }
          assert.equal(code, n <= maxAncestors ? 'ECT_DAG_CYCLE' : 'ECT_DAG_LIMIT');
        },
      ),
      fcParams(100),
    );
  });
});
