/**
 * The server side of the HTTP benchmark, run as its own process so that it has a core to itself:
 * `/plain` answers at once; `/ect` answers after the ECT middleware (full verification with the
 * in-memory replay cache). Prints its port on stdout.
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, type JWKSet } from '../src/index.js';
import { ectNodeHandler } from '../src/http/index.js';

const jwks = JSON.parse(process.env['BENCH_JWKS'] ?? '{}') as JWKSet;
const verifier = createVerifier({ audience: 'spiffe://example.org/server', keys: jwks });
const ect = ectNodeHandler(
  (_request, response) => void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  { verifier },
);
const server = createServer((request, response) => {
  if (request.url === '/ect') return ect(request, response);
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
