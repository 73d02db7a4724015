/**
 * Shared pieces of the identity tests: a fixed clock, token factory, verifier assertions that run
 * the full procedure (`createVerifier`) and check the exact code, and a loopback HTTP server that
 * counts requests.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createECT, type CreateOptions } from '../../src/create/create.js';
import { ECTError, type ECTErrorCode } from '../../src/errors.js';
import { rejectsWith } from '../helpers/fixtures.js';
import type { KeySource, VerifyContext } from '../../src/identity/key-source.js';
import { createVerifier, type VerifiedECT } from '../../src/verify/verify.js';

/** Verification time of the tests, Unix seconds (2030-01-01T00:00:00Z). */
export const NOW = 1_893_456_000;
export const AUD = 'spiffe://example.org/verifier';

/** An L2 ECT issued at `now` by `iss`. */
export function ect(iss: string, options: CreateOptions & { now?: number } = {}): string {
  const now = options.now ?? NOW;
  return createECT(
    { iss, aud: AUD, exec_act: 'review_spec', jti: randomUUID() },
    { now, ...options },
  );
}

/** Verifies with the full procedure (no replay cache), the key source under test, at `now`. */
export function verify(
  keys: KeySource,
  token: string,
  options: { context?: VerifyContext; now?: number } = {},
): Promise<VerifiedECT> {
  const verifier = createVerifier({ audience: AUD, keys, replay: false, now: options.now ?? NOW });
  return verifier.verify(token, options.context);
}

/** Asserts that verification fails with exactly `code`; returns the error. */
export async function rejects(
  keys: KeySource,
  token: string,
  code: ECTErrorCode,
  options: { context?: VerifyContext; now?: number; message?: RegExp } = {},
): Promise<ECTError> {
  const caught = await rejectsWith(verify(keys, token, options), code);
  if (options.message !== undefined) assert.match(caught.message, options.message);
  return caught;
}

/** Asserts that verification succeeds; returns the result. */
export async function accepts(
  keys: KeySource,
  token: string,
  options: { context?: VerifyContext; now?: number } = {},
): Promise<VerifiedECT> {
  try {
    return await verify(keys, token, options);
  } catch (error) {
    assert.fail(
      `expected the token to verify, got ${(error as ECTError).code ?? ''}: ${(error as Error).message}`,
    );
  }
}

/** A loopback HTTP server that counts requests. */
export interface TestServer {
  readonly url: string;
  readonly requests: () => number;
  /** Stops listening and drops every connection (a server that "goes down"). */
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1, port 0. */
export async function startServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestServer> {
  let count = 0;
  const server = createServer((request, response) => {
    count++;
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server answering `body()` as JSON on every path. */
export function jsonServer(body: () => unknown): Promise<TestServer> {
  return startServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body()));
  });
}
