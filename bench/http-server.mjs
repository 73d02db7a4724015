/**
 * The server side of the HTTP benchmark, run as its own process so that it has a core to itself:
 * `/plain` answers at once; `/ect` answers after the ECT middleware (full verification with the
 * in-memory replay cache); `/ect-async` the same with `asyncCrypto` (signature checks on libuv's
 * thread pool, the setting for a busy server). Prints its port on stdout. Plain JavaScript on the built package
 * (`npm run bench` builds first), as a service runs it: no TypeScript loader in the measurement.
 * @module
 */
import { createServer } from 'node:http';
import { createVerifier } from '../dist/index.js';
import { ectNodeHandler } from '../dist/http/index.js';

const jwks = JSON.parse(process.env['BENCH_JWKS'] ?? '{}');
const verifier = createVerifier({ audience: 'spiffe://example.org/server', keys: jwks });
const ok = (_request, response) =>
  void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
const ect = ectNodeHandler(ok, { verifier });
const ectAsync = ectNodeHandler(ok, {
  verifier: createVerifier({
    audience: 'spiffe://example.org/server',
    keys: jwks,
    asyncCrypto: true,
  }),
});
const server = createServer((request, response) => {
  if (request.url === '/ect') return ect(request, response);
  if (request.url === '/ect-async') return ectAsync(request, response);
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
