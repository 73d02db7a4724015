/**
 * Shared fixtures of the HTTP tests: keys, tokens, real loopback servers for every adapter
 * (port 0), a raw HTTP client that can send repeated field lines, and the rejection suite that
 * every adapter must pass.
 */
import { strict as assert } from 'node:assert';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { createECT, type ECTInput } from '../../src/create/create.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { localJWKSet } from '../../src/identity/jwks.js';
import type { KeySource, VerifyContext } from '../../src/identity/key-source.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import { hashBytes } from '../../src/format/hash.js';
import { createVerifier, type Verifier } from '../../src/verify/verify.js';
import type { VerifyOptions } from '../../src/verify/options.js';
import {
  createECTFetch,
  type ECTContext,
  type ECTMiddlewareOptions,
  type ProblemDetails,
} from '../../src/http/index.js';

export const CALLER = 'spiffe://example.org/caller';
export const SERVER = 'spiffe://example.org/server';
export const callerKeys = generateKeyPair({ kid: 'caller-key' });
export const serverKeys = generateKeyPair({ kid: 'server-key' });
export const attackerKeys = generateKeyPair({ kid: 'caller-key' });
/** The ledger's Ed25519 key: it signs checkpoints and receipts (LED-5, LED-8). */
export const ledgerKeys = generateKeyPair({ alg: 'EdDSA', kid: 'ledger' });
export const LEDGER_ORIGIN = 'example.org/ect-ledger';

/** A key source trusting the caller (bound to its iss) that records the VerifyContext it sees. */
export function recordingKeys(seen: VerifyContext[]): KeySource {
  const inner = localJWKSet({ keys: [callerKeys.publicJwk] }, { issuers: [{ exact: CALLER }] });
  return { resolve: (request) => (seen.push(request.context), inner.resolve(request)) };
}

/** The server's verifier: trusts the caller, records into a ledger signed with `ledgerKeys`. */
export function serverVerifier(
  seen: VerifyContext[] = [],
  extra: Partial<VerifyOptions> = {},
): Verifier {
  const ledger = new Ledger({ key: ledgerKeys.privateJwk, origin: LEDGER_ORIGIN });
  const keys = recordingKeys(seen);
  return createVerifier({ audience: SERVER, keys, record: { ledger }, ...extra });
}

/** A caller ECT for the server. */
export function callerToken(
  claims: Partial<ECTInput> = {},
  options: { key?: object } = {},
): string {
  return createECT(
    { iss: CALLER, aud: SERVER, exec_act: 'send_task', ...claims },
    { key: (options.key ?? callerKeys.privateJwk) as never },
  );
}

/** The client wrapper of the caller, verifying response ECTs of the server. */
export function callerFetch(): ReturnType<typeof createECTFetch> {
  return createECTFetch({
    identity: { iss: CALLER, key: callerKeys.privateJwk },
    verifier: {
      audience: CALLER,
      keys: localJWKSet({ keys: [serverKeys.publicJwk] }, { issuers: [{ exact: SERVER }] }),
    },
    responseBinding: true,
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
}

/** Sends one request with exactly the given field lines (arrays become repeated lines). */
export function send(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: string | Buffer;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...init.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Asserts an HTTP-2 problem response with the given code. */
export function assertProblem(response: RawResponse, code: string, status = 403): ProblemDetails {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(response.text) as ProblemDetails;
  assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'status', 'title', 'type']);
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(problem.type, `urn:ect:error:${code}`);
  assert.equal(typeof problem.title, 'string');
  assert.doesNotMatch(problem.detail, /at .*\(|Error:|\n/); // no stack, no exception text
  return problem;
}

/** A running server on 127.0.0.1, port 0. */
export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on a random loopback port. */
export async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Serves a Hono app (its `fetch`) over node:http with Hono's own Node adapter. */
export function serveHono(fetch: (request: Request) => Response | Promise<Response>): Server {
  const listener = getRequestListener(fetch);
  return createServer((req, res) => void listener(req, res));
}

/** Serves a Fetch API handler over node:http (Node 20 has no built-in one); field lines are appended as sent. */
export function serveFetch(handler: (request: Request) => Promise<Response>): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(hasBody
        ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }
        : {}),
    });
    void handler(request).then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
}

/**
 * What every adapter's test app offers, over the same core options:
 * - POST /task: ECT required, body binding (limit 1 KiB), answers `{ jti, body }` (the parsed
 *   JSON body as the framework's parser saw it) with a response ECT (HTTP-5);
 * - POST /optional: ECT accepted but not required, answers `{ verified }`.
 */
export type AppFactory = (options: {
  task: ECTMiddlewareOptions;
  optional: ECTMiddlewareOptions;
}) => Promise<Running>;

/** The body a /task handler answers with, and the response ECT it sets. */
export function answerTask(ect: ECTContext, parsedBody: unknown): string {
  const body = JSON.stringify({ jti: ect.verified?.claims.jti, body: parsedBody });
  ect.respond({ exec_act: 'handle_task', body });
  return body;
}

/** The rejection and acceptance suite every adapter runs (HTTP-1 ... HTTP-5, WIMSE, receipts). */
export function adapterSuite(name: string, factory: AppFactory): void {
  const seen: VerifyContext[] = [];
  const verifier = serverVerifier(seen);
  const responder = { iss: SERVER, key: serverKeys.privateJwk };
  let app: Running;
  const start = async (): Promise<Running> =>
    (app ??= await factory({
      task: { verifier, bodyBinding: { maxBytes: 1024 }, responder },
      optional: { verifier, required: false },
    }));
  const post = async (
    path: string,
    token: string | string[] | undefined,
    body: string,
    headers: Record<string, string | string[]> = {},
  ): Promise<RawResponse> =>
    send(`${(await start()).url}${path}`, {
      body,
      headers: { ...(token === undefined ? {} : { 'execution-context': token }), ...headers },
    });
  const json = '{"spec":"v1"}';

  test.after(async () => app?.close());

  test(`${name} HTTP-4, HTTP-5: an accepted request reaches the handler with its parsed body; the response ECT round-trips; the receipt is sent`, async () => {
    const result = await callerFetch()(`${(await start()).url}/task`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
      ect: { aud: SERVER, exec_act: 'send_spec' },
    });
    assert.equal(result.response.status, 200);
    const answer = (await result.response.json()) as { jti: string; body: unknown };
    assert.equal(answer.jti, result.claims.jti);
    assert.deepEqual(answer.body, { spec: 'v1' });
    const response = result.responseECT!;
    assert.equal(response.claims.iss, SERVER);
    assert.deepEqual(response.claims.pred, [result.claims.jti]);
    assert.equal(response.claims.inp_hash, hashBytes(json));
    assert.equal(response.claims.exec_act, 'handle_task');
    // LED-5: the receipt of the request's token, checkable offline with the ledger's public key.
    const receipt = verifyReceipt({
      jws: result.response.headers.get('execution-context-receipt') ?? '',
      key: ledgerKeys.publicJwk,
      token: result.token,
    });
    assert.equal(receipt.tokenHash, hashBytes(result.token));
    assert.equal(receipt.jti, result.claims.jti);
    assert.equal(receipt.level, 3);
  });

  test(`${name} HTTP-2: a request without Execution-Context on a required route is 403 EXECUTION_CONTEXT_MISSING`, async () => {
    assertProblem(await post('/task', undefined, json), 'EXECUTION_CONTEXT_MISSING');
  });

  test(`${name} HTTP-2, VER-2: a malformed ECT is 403 ECT_MALFORMED`, async () => {
    assertProblem(await post('/task', 'abc.def', json), 'ECT_MALFORMED');
  });

  test(`${name} HTTP-2, VER-6: a bad signature is 403 ECT_SIGNATURE_INVALID`, async () => {
    assertProblem(
      await post(
        '/task',
        callerToken({ out_hash: hashBytes(json) }, { key: attackerKeys.privateJwk }),
        json,
      ),
      'ECT_SIGNATURE_INVALID',
    );
  });

  test(`${name} HTTP-2, VER-10: an expired ECT is 403 ECT_EXPIRED`, async () => {
    const now = Math.floor(Date.now() / 1000);
    assertProblem(
      await post(
        '/task',
        callerToken({ out_hash: hashBytes(json), iat: now - 400, exp: now - 200 }),
        json,
      ),
      'ECT_EXPIRED',
    );
  });

  test(`${name} HTTP-2, VER-9: an ECT for another audience is 403 ECT_AUDIENCE_MISMATCH`, async () => {
    assertProblem(
      await post(
        '/task',
        callerToken({ out_hash: hashBytes(json), aud: 'spiffe://example.org/other' }),
        json,
      ),
      'ECT_AUDIENCE_MISMATCH',
    );
  });

  test(`${name} HTTP-2, RPL-1: a replayed ECT is 403 ECT_REPLAY`, async () => {
    const token = callerToken({ out_hash: hashBytes(json) });
    assert.equal((await post('/task', token, json)).status, 200);
    assertProblem(await post('/task', token, json), 'ECT_REPLAY');
  });

  test(`${name} HTTP-4: a body whose SHA-256 is not out_hash is 403 ECT_CLAIM_INVALID, and the token is not used up`, async () => {
    const token = callerToken({ out_hash: hashBytes(json) });
    const problem = assertProblem(await post('/task', token, '{"spec":"v2"}'), 'ECT_CLAIM_INVALID');
    assert.match(problem.detail, /out_hash/);
    // Nothing was recorded for the refused request (section 5): the same token with its body passes.
    assert.equal((await post('/task', token, json)).status, 200);
  });

  test(`${name} HTTP-4: the verifier gets expect: { out_hash }, once per request`, async () => {
    seen.length = 0;
    const bound = (): string => callerToken({ out_hash: hashBytes(json) });
    assert.equal((await post('/task', bound(), json)).status, 200);
    assertProblem(await post('/task', bound(), '{"spec":"v2"}'), 'ECT_CLAIM_INVALID');
    assert.deepEqual(
      seen.map((context) => context.expect),
      [{ out_hash: hashBytes(json) }, { out_hash: hashBytes('{"spec":"v2"}') }],
    );
  });

  test(`${name} HTTP-4: a bound route refuses an ECT without out_hash with ECT_CLAIM_MISSING`, async () => {
    assertProblem(await post('/task', callerToken(), json), 'ECT_CLAIM_MISSING');
  });

  test(`${name} HTTP-4: a mismatched body with an otherwise bad token reports the token's own code first (ECT_EXPIRED)`, async () => {
    const now = Math.floor(Date.now() / 1000);
    assertProblem(
      await post(
        '/task',
        callerToken({ out_hash: hashBytes('other'), iat: now - 400, exp: now - 200 }),
        json,
      ),
      'ECT_EXPIRED',
    );
  });

  test(`${name} HTTP-4: a body over the binding limit is 413 BODY_TOO_LARGE`, async () => {
    const big = JSON.stringify({ spec: 'x'.repeat(2000) });
    assertProblem(
      await post('/task', callerToken({ out_hash: hashBytes(big) }), big),
      'BODY_TOO_LARGE',
      413,
    );
  });

  test(`${name} HTTP-3: an Execution-Context value over 8 KiB is 403 ECT_TOO_LARGE`, async () => {
    assertProblem(await post('/task', 'a'.repeat(8 * 1024 + 1), json), 'ECT_TOO_LARGE');
  });

  test(`${name} HTTP-1: two Execution-Context field lines are 403 ECT_MALFORMED`, async () => {
    const a = callerToken({ out_hash: hashBytes(json) });
    const b = callerToken({ out_hash: hashBytes(json) });
    assertProblem(await post('/task', [a, b], json), 'ECT_MALFORMED');
    // Neither token was used up.
    assert.equal((await post('/task', a, json)).status, 200);
  });

  test(`${name} HTTP-1: a comma-separated list in Execution-Context is 403 ECT_MALFORMED`, async () => {
    const a = callerToken({ out_hash: hashBytes(json) });
    const b = callerToken({ out_hash: hashBytes(json) });
    assertProblem(await post('/task', `${a}, ${b}`, json), 'ECT_MALFORMED');
  });

  test(`${name} HTTP-2: an optional route passes requests without an ECT and still verifies one that is sent`, async () => {
    assert.deepEqual(JSON.parse((await post('/optional', undefined, json)).text), {
      verified: false,
    });
    assert.deepEqual(JSON.parse((await post('/optional', callerToken(), json)).text), {
      verified: true,
    });
    assertProblem(await post('/optional', 'abc.def', json), 'ECT_MALFORMED');
  });

  test(`${name} IDB-3: the Workload-Identity-Token header reaches the verifier as the VerifyContext`, async () => {
    seen.length = 0;
    const response = await post('/optional', callerToken(), json, {
      'workload-identity-token': 'wit.jwt.value',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, [{ workloadIdentityToken: 'wit.jwt.value' }]);
    seen.length = 0;
    await post('/optional', callerToken(), json);
    assert.deepEqual(seen, [{}]);
  });
}
