/**
 * The witness handler and client in-process: what the protocol test does not reach through a
 * process (body bound, methods, paths, evidence, the clock, a failing state) and the client's
 * errors (timeouts, refused connections, answers that are not the protocol's).
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cosignatureSigner, cosignatureTime } from '../../src/tlog/cosignature.js';
import { TlogError } from '../../src/tlog/errors.js';
import { parseNote } from '../../src/tlog/note.js';
import { requestCosignature, WitnessRequestError } from '../../src/witness/client.js';
import { startWitnessServer, type RunningWitness } from '../../src/witness/server.js';
import { openWitnessState, originHash, type WitnessState } from '../../src/witness/state.js';
import { addCheckpointBody, postRaw, TestLog } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-witness-server-'));
const T = 1_700_000_000;
const log = new TestLog('example.com/log');
const errors: unknown[] = [];
let state: WitnessState;
let witness: RunningWitness;

before(async () => {
  state = await openWitnessState({ path: join(dir, 'state.db') });
  state.addLog({ origin: log.origin, vkey: log.vkey });
  const { privateKey } = generateKeyPairSync('ed25519');
  const clock = (): number => T * 1000;
  const cosigner = cosignatureSigner({ name: 'witness.example/w1', privateKey, clock });
  witness = await startWitnessServer({
    host: '127.0.0.1',
    port: 0,
    cosigner,
    state,
    clock,
    maxBodyBytes: 4096,
    onError: (error) => errors.push(error),
  });
});

after(async () => {
  await witness.close();
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request, to send what fetch would not (a chunked body without length, odd methods). */
async function raw(options: {
  method: string;
  path: string;
  body?: Buffer;
  chunked?: boolean;
}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const url = new URL(options.path, witness.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (!options.chunked) req.setHeader('content-length', options.body.length);
      req.write(options.body);
    }
    req.end();
  });
}

describe('witness server in-process', () => {
  test('LED-11: the cosignature carries the cosigner clock; the note is served', async () => {
    log.grow(2);
    const answer = await requestCosignature({
      url: `${witness.url}/`,
      oldSize: 0,
      proof: [],
      checkpoint: log.checkpoint(),
      timeoutMs: 5000,
    });
    assert.ok(answer.kind === 'cosigned');
    const note = `${log.checkpoint()}${answer.lines[0]}\n`;
    const line = parseNote({ note }).signatures[1]!;
    assert.equal(cosignatureTime({ signature: line.signature }), T);
    const served = await fetch(`${witness.url}/${originHash({ origin: log.origin })}/checkpoint`);
    assert.equal(served.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await served.text(), note);
  });

  test('LED-11: a body above the bound gets 413, with or without a declared length', async () => {
    const big = Buffer.alloc(5000, 'a');
    const path = '/add-checkpoint';
    assert.equal((await raw({ method: 'POST', path, body: big })).status, 413);
    assert.equal((await raw({ method: 'POST', path, body: big, chunked: true })).status, 413);
  });

  test('LED-11: wrong methods get 405 with Allow; other paths 404; invalid UTF-8 400', async () => {
    const get = await raw({ method: 'GET', path: '/add-checkpoint' });
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    const checkpointPath = `/${originHash({ origin: log.origin })}/checkpoint`;
    const post = await raw({ method: 'POST', path: checkpointPath });
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET');
    for (const path of ['/', '/checkpoint', `/${'A'.repeat(64)}/checkpoint`, '/add-checkpoint/x']) {
      assert.equal((await raw({ method: 'GET', path })).status, 404, path);
    }
    const body = Buffer.concat([Buffer.from('old 0\n\n'), Buffer.from([0xff, 0xfe, 0x0a])]);
    assert.equal((await raw({ method: 'POST', path: '/add-checkpoint', body })).status, 400);
  });

  test('LED-11: a validly signed, inconsistent checkpoint is kept as evidence (422)', async () => {
    const forked = log.checkpoint({ root: new Uint8Array(32).fill(9) });
    const body = addCheckpointBody(2, [], forked);
    assert.equal((await postRaw(witness.url, body)).status, 422);
    const kept = state.evidence({ origin: log.origin });
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.request, body);
    assert.equal(kept[0]!.receivedAt, T * 1000);
    assert.match(kept[0]!.reason, /not consistent with size 2/);
    // 409 and 403 are not evidence.
    await postRaw(witness.url, addCheckpointBody(1, [], log.checkpoint()));
    assert.equal(state.evidence({ origin: log.origin }).length, 1);
  });

  test('LED-11: an unexpected failure answers 500 and is reported', async () => {
    const broken = await openWitnessState({ path: join(dir, 'broken.db') });
    broken.addLog({ origin: log.origin, vkey: log.vkey });
    const seen: unknown[] = [];
    const { privateKey } = generateKeyPairSync('ed25519');
    const server = await startWitnessServer({
      host: '127.0.0.1',
      port: 0,
      cosigner: cosignatureSigner({ name: 'w', privateKey }),
      state: broken,
      onError: (error) => seen.push(error),
    });
    try {
      broken.close();
      const answer = await postRaw(server.url, addCheckpointBody(0, [], log.checkpoint()));
      assert.equal(answer.status, 500);
      assert.equal(answer.text, 'internal error\n');
      assert.equal(seen.length, 1);
    } finally {
      await server.close();
    }
  });
});

describe('witness client errors', () => {
  let silent: Server;
  let silentUrl: string;
  let canned: Server;
  let cannedUrl: string;
  let reply: { status: number; body: string } = { status: 200, body: '' };

  before(async () => {
    silent = createServer(() => undefined);
    canned = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
      });
    });
    for (const server of [silent, canned]) {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    }
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    cannedUrl = `http://127.0.0.1:${(canned.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const server of [silent, canned]) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  const ask = (url: string, timeoutMs = 2000): ReturnType<typeof requestCosignature> =>
    requestCosignature({ url, oldSize: 0, proof: [], checkpoint: log.checkpoint(), timeoutMs });

  function named(
    pattern: RegExp,
    status: number | undefined,
    url: string,
  ): (error: unknown) => boolean {
    return (error: unknown): boolean => {
      assert.ok(error instanceof WitnessRequestError, String(error));
      assert.equal(error.status, status);
      assert.ok(error.message.includes(`${url}/add-checkpoint`), error.message);
      assert.match(error.message, pattern);
      return true;
    };
  }

  test('LED-11: a witness that does not answer in time', async () => {
    const timedOut = named(/no answer within 300 ms/, undefined, silentUrl);
    await assert.rejects(ask(silentUrl, 300), timedOut);
  });

  test('LED-11: a witness that refuses the connection', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    await assert.rejects(ask(url), named(/request failed/, undefined, url));
  });

  test('LED-11: answers outside the protocol name the status and the witness', async () => {
    const cases: [{ status: number; body: string }, RegExp][] = [
      [{ status: 200, body: '' }, /not newline-terminated/],
      [{ status: 200, body: 'hello\n' }, /malformed line/],
      [{ status: 200, body: '— w AAAAAAA=' }, /not newline-terminated/],
      [{ status: 409, body: 'seven\n' }, /409 answer without a tree size/],
      [{ status: 409, body: '07\n' }, /409 answer without a tree size/],
      [{ status: 500, body: 'on fire\nsecond line' }, /500 Internal Server Error: on fire$/],
      [{ status: 422, body: '' }, /422 Unprocessable Entity$/],
    ];
    for (const [answer, pattern] of cases) {
      reply = answer;
      await assert.rejects(ask(cannedUrl), named(pattern, answer.status, cannedUrl));
    }
    reply = { status: 200, body: '— w AAAAAAA=\n— v BBBBBBA=\n' };
    const lines = ['— w AAAAAAA=', '— v BBBBBBA='];
    assert.deepEqual(await ask(cannedUrl), { kind: 'cosigned', lines });
    reply = { status: 409, body: '12\n' };
    assert.deepEqual(await ask(cannedUrl), { kind: 'conflict', size: 12 });
  });

  test('LED-11: the client refuses to send what no witness accepts', async () => {
    const checkpoint = log.checkpoint();
    const bad = [
      { oldSize: -1, proof: [], checkpoint },
      { oldSize: 1, proof: Array.from({ length: 64 }, () => new Uint8Array(32)), checkpoint },
      { oldSize: 1, proof: [new Uint8Array(31)], checkpoint },
      { oldSize: 0, proof: [], checkpoint: 'not a note' },
    ];
    for (const options of bad) {
      await assert.rejects(
        requestCosignature({ url: cannedUrl, timeoutMs: 1000, ...options }),
        (e: unknown) => e instanceof TlogError && e.code === 'TLOG_MALFORMED',
      );
    }
  });
});
