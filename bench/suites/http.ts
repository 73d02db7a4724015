/**
 * Requests per second of a route behind the ECT middleware against the same route without it, on
 * loopback, with autocannon in this process and the server in a child process (one core each).
 * Every request carries a fresh token (the replay cache would refuse a repeated one). Issue 12
 * compares the route with the composed limit 1 / (1/bare route + 1/raw verify): what the route
 * would serve if the middleware cost nothing but one `node:crypto` ES256 verification.
 * @module
 */
import { spawn } from 'node:child_process';
import { verify, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { importPublicKey } from '../../src/crypto/keys.js';
import { createECT, generateKeyPair } from '../../src/index.js';
import type { Row } from '../measure.js';

/** Sends exactly one request per token (a fixed amount, so no token is ever sent twice); requests/s. */
async function load(url: string, tokens: readonly string[]): Promise<number> {
  let next = 0;
  // Timed to the last response: autocannon resolves (and sets its `finish`) on its one-second
  // ticker, which turned 30,000 requests into rates of 30,000 / 2, 4 or 6 s.
  const start = process.hrtime.bigint();
  let last = start;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: 32,
        amount: tokens.length,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, 'execution-context': tokens[next++]! },
            }),
          },
        ],
      },
      (error: unknown, done) =>
        error === null || error === undefined
          ? resolve(done)
          : reject(error instanceof Error ? error : new Error('autocannon failed')),
    );
    instance.on('response', () => void (last = process.hrtime.bigint()));
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} answers were not 2xx, ${result.errors} errors`);
  return result.requests.total / (Number(last - start) / 1e9);
}

/** Raw `node:crypto.verify` of ES256 JWS signatures (P-1363 form), verifications per second. */
function rawVerifyRate(tokens: readonly string[], key: KeyObject): number {
  const inputs = tokens.map((token) => {
    const [header, payload, signature] = token.split('.');
    return {
      data: Buffer.from(`${header}.${payload}`, 'latin1'),
      signature: Buffer.from(signature!, 'base64url'),
    };
  });
  const start = process.hrtime.bigint();
  for (const { data, signature } of inputs) {
    if (!verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature))
      throw new Error('a benchmark token did not verify');
  }
  return inputs.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function httpSuite(options: { requests: number; rounds: number }): Promise<Row[]> {
  const key = generateKeyPair();
  // One fresh token per request of the ECT route: a reused token would be a (refused) replay.
  const tokens = Array.from({ length: options.requests * options.rounds }, () =>
    createECT(
      { iss: 'spiffe://example.org/client', aud: 'spiffe://example.org/server', exec_act: 'call' },
      { key: key.privateJwk },
    ),
  );
  const asyncTokens = Array.from({ length: options.requests * options.rounds }, () =>
    createECT(
      { iss: 'spiffe://example.org/client', aud: 'spiffe://example.org/server', exec_act: 'call' },
      { key: key.privateJwk },
    ),
  );
  const child = spawn(process.execPath, [new URL('../http-server.mjs', import.meta.url).pathname], {
    env: { ...process.env, BENCH_JWKS: JSON.stringify({ keys: [key.publicJwk] }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const base = `http://127.0.0.1:${chunk.toString().trim()}`;
    const plain: number[] = [];
    const ect: number[] = [];
    const ectAsync: number[] = [];
    const raw: number[] = [];
    const rawRoute: number[] = [];
    const publicKey = importPublicKey(key.publicJwk);
    for (let round = 0; round < options.rounds; round++) {
      const share = tokens.slice(round * options.requests, (round + 1) * options.requests);
      plain.push(await load(`${base}/plain`, share)); // the same header bytes, ignored by the bare route
      ect.push(await load(`${base}/ect`, share));
      // Fresh tokens: the route has its own replay cache, but a token is sent once per run.
      ectAsync.push(
        await load(
          `${base}/ect-async`,
          asyncTokens.slice(round * options.requests, (round + 1) * options.requests),
        ),
      );
      raw.push(rawVerifyRate(share.slice(0, 10_000), publicKey));
      rawRoute.push(await load(`${base}/raw`, share));
    }
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const withEct = median(ect);
    const withAsync = median(ectAsync);
    const without = median(plain);
    const verifies = median(raw);
    const limit = 1 / (1 / without + 1 / verifies);
    const measuredLimit = median(rawRoute);
    return [
      {
        suite: 'http',
        case: 'GET with ECT middleware (ES256 verify, replay cache), 32 connections',
        value: withEct,
        unit: 'req/s',
        ratio: withEct / without,
        baseline: `same route without middleware ${Math.round(without)}/s`,
      },
      {
        suite: 'http',
        case: 'the same route against the composed limit 1 / (1/bare route + 1/raw ES256 verify)',
        value: withEct,
        unit: 'req/s',
        ratio: withEct / limit,
        baseline: `limit ${Math.round(limit)}/s (raw node:crypto.verify ${Math.round(verifies)}/s)`,
        target: '≥ 0.85',
        pass: withEct / limit >= 0.85,
      },
      {
        suite: 'http',
        case: 'the same with asyncCrypto (signature checks on the thread pool), against the same limit',
        value: withAsync,
        unit: 'req/s',
        ratio: withAsync / limit,
        baseline: `limit ${Math.round(limit)}/s`,
        target: '≥ 0.85',
        pass: withAsync / limit >= 0.85,
      },
      {
        suite: 'http',
        case: 'the default route against a route doing only the raw verify, under the same load',
        value: withEct,
        unit: 'req/s',
        ratio: withEct / measuredLimit,
        baseline: `raw-verify route ${Math.round(measuredLimit)}/s`,
      },
    ];
  } finally {
    child.kill('SIGTERM');
  }
}
