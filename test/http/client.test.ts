import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import { ECTError } from '../../src/errors.js';
import { hashBytes } from '../../src/format/hash.js';
import { parseToken } from '../../src/format/parse.js';
import { createECTFetch } from '../../src/http/client.js';
import { CALLER, callerFetch, callerKeys, listen, SERVER, serverKeys } from './support.js';

/** A server answering with a hand-made response ECT, to test what the client accepts. */
async function withServer(
  answer: (
    req: IncomingMessage,
    res: ServerResponse,
    callerJti: string,
    headers: IncomingMessage['headers'],
  ) => void,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const app = await listen(
    createServer((req, res) => {
      const token = String(req.headers['execution-context']);
      const jti = String(parseToken(token).payload['jti']);
      req.resume();
      req.on('end', () => answer(req, res, jti, req.headers));
    }),
  );
  try {
    await run(app.url);
  } finally {
    await app.close();
  }
}

function responseToken(pred: string[], body: string): string {
  return createECT(
    { iss: SERVER, aud: CALLER, exec_act: 'answer', pred, out_hash: hashBytes(body) },
    { key: serverKeys.privateJwk },
  );
}

const codeIs = (code: string) => (error: unknown) =>
  error instanceof ECTError && error.code === code;

describe('client fetch wrapper', () => {
  test('HTTP-4, CLM-9: the caller ECT carries out_hash = SHA-256 of the body it sends; a WIT travels beside it (IDB-3)', async () => {
    let seen: IncomingMessage['headers'] = {};
    await withServer(
      (_req, res, _jti, headers) => {
        seen = headers;
        res.end('{}');
      },
      async (url) => {
        const client = createECTFetch({
          identity: { iss: CALLER, key: callerKeys.privateJwk },
          workloadIdentityToken: 'a.b.c',
        });
        const result = await client(url, {
          method: 'POST',
          body: new TextEncoder().encode('{"x":1}'),
          ect: { aud: SERVER, exec_act: 'send', wid: '6f1c5a44-0d2b-4f5e-9a3b-1c2d3e4f5a6b' },
        });
        assert.equal(result.claims.out_hash, hashBytes('{"x":1}'));
        assert.equal(result.claims.iss, CALLER);
        assert.equal(seen['execution-context'], result.token);
        assert.equal(seen['workload-identity-token'], 'a.b.c');
        assert.equal(result.responseToken, undefined);
        assert.equal(result.responseECT, undefined);
      },
    );
  });

  test('HTTP-5: a response ECT whose pred lacks the request task is refused with ECT_CLAIM_INVALID', async () => {
    await withServer(
      (_req, res) => {
        res.setHeader(
          'execution-context',
          responseToken(['0b8e7c1e-3f5d-4a8b-9c2d-1e2f3a4b5c6d'], 'ok'),
        );
        res.end('ok');
      },
      async (url) => {
        await assert.rejects(
          callerFetch()(url, { method: 'POST', body: 'x', ect: { aud: SERVER, exec_act: 'send' } }),
          codeIs('ECT_CLAIM_INVALID'),
        );
      },
    );
  });

  test('HTTP-5: a response body that does not match the response ECT out_hash is refused with ECT_CLAIM_INVALID', async () => {
    await withServer(
      (_req, res, jti) => {
        res.setHeader('execution-context', responseToken([jti], 'original'));
        res.end('tampered');
      },
      async (url) => {
        await assert.rejects(
          callerFetch()(url, { method: 'POST', body: 'x', ect: { aud: SERVER, exec_act: 'send' } }),
          codeIs('ECT_CLAIM_INVALID'),
        );
      },
    );
  });

  test('HTTP-5, HTTP-1: two response ECTs are refused with ECT_MALFORMED', async () => {
    await withServer(
      (_req, res, jti) => {
        res.setHeader('execution-context', [
          responseToken([jti], 'ok'),
          responseToken([jti], 'ok'),
        ]);
        res.end('ok');
      },
      async (url) => {
        await assert.rejects(
          callerFetch()(url, { method: 'POST', body: 'x', ect: { aud: SERVER, exec_act: 'send' } }),
          codeIs('ECT_MALFORMED'),
        );
      },
    );
  });

  test('HTTP-5, CLM-5: a matching response ECT is returned verified, its pred naming the request task in either case', async () => {
    for (const form of [(jti: string) => jti, (jti: string) => jti.toUpperCase()]) {
      await withServer(
        (_req, res, jti) => {
          res.setHeader('execution-context', responseToken([form(jti)], 'done'));
          res.end('done');
        },
        async (url) => {
          const result = await callerFetch()(url, {
            method: 'POST',
            body: 'x',
            ect: { aud: SERVER, exec_act: 'send' },
          });
          assert.deepEqual(result.responseECT?.claims.pred, [form(result.claims.jti)]);
          assert.equal(await result.response.text(), 'done');
        },
      );
    }
  });
});
