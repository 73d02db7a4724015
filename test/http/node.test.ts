import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { ectNodeHandler } from '../../src/http/index.js';
import { adapterSuite, answerTask, listen, send } from './support.js';

async function readAll(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('node:http adapter', () => {
  adapterSuite('node:http', async ({ task, optional }) => {
    const taskHandler = ectNodeHandler(async (req, res, ect) => {
      // The handler reads the body itself after body binding read it: the bytes were put back.
      const body = answerTask(ect, JSON.parse(await readAll(req)));
      res.setHeader('content-type', 'application/json');
      res.end(body);
    }, task);
    const optionalHandler = ectNodeHandler((_req, res, ect) => {
      res.end(JSON.stringify({ verified: ect.verified !== undefined }));
    }, optional);
    return listen(
      createServer((req, res) =>
        req.url === '/task' ? taskHandler(req, res) : optionalHandler(req, res),
      ),
    );
  });

  test('node:http: a throwing handler answers a bare 500 problem and reports the error to onError', async () => {
    const errors: unknown[] = [];
    const handler = ectNodeHandler(
      () => {
        throw new Error('secret internal detail');
      },
      {
        verifier: { audience: 'x', minLevel: 1 },
        required: false,
        onError: (error) => errors.push(error),
      },
    );
    const app = await listen(createServer(handler));
    try {
      const response = await send(app.url, { body: '{}' });
      assert.equal(response.status, 500);
      assert.doesNotMatch(response.text, /secret/);
      assert.equal(errors.length, 1);
    } finally {
      await app.close();
    }
  });
});
