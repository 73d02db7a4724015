/**
 * Issue 6 item 7: requests per second of a route behind the ECT middleware against the same route
 * without it, on loopback, with autocannon in this process and the server in a child process (one
 * core each). Every request carries a fresh token (the replay cache would refuse a repeated one).
 * @module
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { createECT, generateKeyPair } from '../../src/index.js';
import type { Row } from '../measure.js';

/** Sends exactly one request per token (a fixed amount, so no token is ever sent twice); requests/s. */
async function load(url: string, tokens: readonly string[]): Promise<number> {
  let next = 0;
  const result = await autocannon({
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
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} answers were not 2xx, ${result.errors} errors`);
  // `duration` is rounded to 10 ms; the start and finish times are exact.
  return result.requests.total / ((result.finish.getTime() - result.start.getTime()) / 1000);
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
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../http-server.ts', import.meta.url).pathname],
    {
      env: { ...process.env, BENCH_JWKS: JSON.stringify({ keys: [key.publicJwk] }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const base = `http://127.0.0.1:${chunk.toString().trim()}`;
    const plain: number[] = [];
    const ect: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const share = tokens.slice(round * options.requests, (round + 1) * options.requests);
      plain.push(await load(`${base}/plain`, share)); // the same header bytes, ignored by the bare route
      ect.push(await load(`${base}/ect`, share));
    }
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const withEct = median(ect);
    const without = median(plain);
    return [
      {
        suite: 'http',
        case: 'GET with ECT middleware (ES256 verify, replay cache), 32 connections',
        value: withEct,
        unit: 'req/s',
        ratio: withEct / without,
        baseline: `same route without middleware ${Math.round(without)}/s`,
      },
    ];
  } finally {
    child.kill('SIGTERM');
  }
}
