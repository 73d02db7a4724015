/**
 * The server side of the HTTP benchmark, run as its own process so that it has a core to itself:
 * `/plain` answers at once; `/raw` after only `node:crypto.verify` of the header's JWS signature
 * (the composed limit, measured under the same load); `/ect` after the ECT middleware (full
 * verification with the in-memory replay cache); `/ect-async` the same with `asyncCrypto`
 * (signature checks on libuv's thread pool, the setting for a busy server). Prints its port on
 * stdout. Plain JavaScript on the built package (`npm run bench` builds first), as a service runs
 * it: no TypeScript loader in the measurement.
 * @module
 */
import { createPublicKey, verify } from 'node:crypto';
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
const rawKey = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
/** Only the signature check: split the compact JWS, decode the signature, verify. */
function raw(request, response) {
  const jws = String(request.headers['execution-context']);
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  const input = Buffer.from(jws.slice(0, dot), 'latin1');
  const options = { key: rawKey, dsaEncoding: 'ieee-p1363' };
  const valid = verify('sha256', input, options, signature);
  response.writeHead(valid ? 200 : 403, { 'content-type': 'text/plain' }).end('ok');
}
const server = createServer((request, response) => {
  if (request.url === '/raw') return raw(request, response);
  if (request.url === '/ect') return ect(request, response);
  if (request.url === '/ect-async') return ectAsync(request, response);
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
