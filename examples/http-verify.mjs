// Verify ECTs over HTTP with the node:http middleware: the caller sends its ECT in the
// Execution-Context header, the server checks it before the handler runs and answers with an ECT
// of its own. Run: node examples/http-verify.mjs (after npm run build)
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createVerifier, generateKeyPair } from 'wimse-ect';
import { createECTFetch, ectNodeHandler } from 'wimse-ect/http';

const caller = generateKeyPair();
const service = generateKeyPair();

// The service: a request without a valid ECT is answered 403 and never reaches the handler.
const handler = ectNodeHandler(
  (request, response, ect) => {
    const claims = ect.verified?.claims;
    const body = `checked ${claims?.exec_act} of ${claims?.iss}`;
    ect.respond({ exec_act: 'check_order', body }); // the service's ECT: pred = the caller's task
    response.setHeader('content-type', 'text/plain');
    response.end(body);
  },
  {
    verifier: createVerifier({
      audience: 'spiffe://example.org/orders',
      keys: { keys: [caller.publicJwk] },
    }),
    responder: { iss: 'spiffe://example.org/orders', key: service.privateJwk },
  },
);
const server = createServer(handler).listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${server.address().port}/orders`;

try {
  // The caller: the wrapper signs an ECT for each request and verifies the one that comes back.
  const ectFetch = createECTFetch({
    identity: { iss: 'spiffe://example.org/shop', key: caller.privateJwk },
    verifier: createVerifier({
      audience: 'spiffe://example.org/shop',
      keys: { keys: [service.publicJwk] },
    }),
  });
  const { response, claims, responseECT } = await ectFetch(url, {
    method: 'POST',
    body: '{"order":42}',
    ect: { aud: 'spiffe://example.org/orders', exec_act: 'place_order' },
  });
  console.log(`${response.status} ${await response.text()}`);
  const linked = responseECT?.claims.pred[0] === claims.jti;
  console.log(`response ECT: ${responseECT?.claims.exec_act}, follows the request: ${linked}`);

  // Without an ECT the service refuses, with a problem body naming the profile's code.
  const refused = await fetch(url, { method: 'POST', body: '{}' });
  console.log(`without an ECT: ${refused.status} ${(await refused.json()).code}`);
} finally {
  server.close();
}
