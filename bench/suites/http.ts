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

async function load(url: string, tokens: readonly string[], seconds: number): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: 32,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'execution-context': tokens[next++ % tokens.length]! } }) }],
  });
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} answers were not 2xx (tokens ran out or were refused)`);
  return result.requests.average;
}

export async function httpSuite(options: { seconds: number; rounds: number }): Promise<Row[]> {
  const key = generateKeyPair();
  // More tokens than the run can use: a reused token would be a (refused) replay.
  const tokens = Array.from({ length: 40_000 * options.seconds }, () => createECT({ iss: 'spiffe://example.org/client', aud: 'spiffe://example.org/server', exec_act: 'call' }, { key: key.privateJwk }));
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('../http-server.ts', import.meta.url).pathname], { env: { ...process.env, BENCH_JWKS: JSON.stringify({ keys: [key.publicJwk] }) }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const base = `http://127.0.0.1:${chunk.toString().trim()}`;
    const plain: number[] = [];
    const ect: number[] = [];
    let offset = 0;
    for (let round = 0; round < options.rounds; round++) {
      plain.push(await load(`${base}/plain`, tokens, options.seconds));
      const share = tokens.slice(offset, offset + tokens.length / options.rounds);
      offset += share.length;
      ect.push(await load(`${base}/ect`, share, options.seconds));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const withEct = median(ect);
    const without = median(plain);
    return [{ suite: 'http', case: 'GET with ECT middleware (ES256 verify, replay cache), 32 connections', value: withEct, unit: 'req/s', ratio: withEct / without, baseline: `same route without middleware ${Math.round(without)}/s` }];
  } finally {
    child.kill('SIGTERM');
  }
}
