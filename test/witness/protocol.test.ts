/**
 * The tlog-witness protocol (c2sp.org/tlog-witness) against a real `ect witness serve` process on
 * loopback, with checkpoints signed by a test log and consistency proofs built by the naive
 * RFC 9162 recursion: every status of add-checkpoint, the monitoring endpoint, a restart, and
 * concurrent requests (also through two processes sharing one state file).
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { parseCheckpoint } from '../../src/tlog/checkpoint.js';
import { cosignatureTime } from '../../src/tlog/cosignature.js';
import { ed25519NoteSigner, openNote, parseVerifierKey } from '../../src/tlog/note.js';
import {
  requestCosignature,
  WitnessRequestError,
  type CosignatureAnswer,
} from '../../src/witness/client.js';
import { originHash } from '../../src/witness/state.js';
import {
  addCheckpointBody as body,
  postRaw,
  startWitnessProcess,
  TestLog,
  type WitnessProcess,
} from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-witness-'));
const keyFile = join(dir, 'witness.key.json');
const statePath = join(dir, 'witness.db');
const NAME = 'witness.example/w1';
const log = new TestLog('example.com/log');
const other = new TestLog('example.com/other');
let witness: WitnessProcess;

function serveArgs(extra: readonly string[] = []): string[] {
  const state = `sqlite:${statePath}`;
  return ['--key', keyFile, '--state', state, '--port', '0', '--name', NAME, ...extra];
}

async function ask(
  oldSize: number,
  checkpoint: string,
  proof: Uint8Array[] = [],
): Promise<CosignatureAnswer> {
  return requestCosignature({ url: witness.url, oldSize, proof, checkpoint, timeoutMs: 10_000 });
}

async function post(oldSize: number, proof: Uint8Array[], note: string): Promise<number> {
  return (await postRaw(witness.url, body(oldSize, proof, note))).status;
}

/** The monitoring endpoint of `url` for `origin`. */
async function monitor(
  origin: string,
  url = witness.url,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/${originHash({ origin })}/checkpoint`);
  return { status: response.status, text: await response.text() };
}

/** The size of the checkpoint the witness serves for the test log. */
async function servedSize(url = witness.url): Promise<number> {
  return Number((await monitor(log.origin, url)).text.split('\n')[1]);
}

before(async () => {
  writeFileSync(keyFile, JSON.stringify(generateKeyPair({ alg: 'EdDSA' }).privateJwk));
  witness = await startWitnessProcess(serveArgs(['--log', log.vkey, '--log', other.vkey]));
});

after(async () => {
  await witness?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tlog-witness protocol against a witness process', () => {
  test('LED-11: the process prints its URL and a cosignature vkey (type 0x04, its name)', () => {
    assert.match(witness.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(parseVerifierKey({ vkey: witness.vkey }).name, NAME);
    const material = Buffer.from(witness.vkey.split('+').slice(2).join('+'), 'base64');
    assert.equal(material[0], 0x04);
  });

  test('LED-11: no checkpoint is served before the first cosignature (404)', async () => {
    assert.equal((await monitor(log.origin)).status, 404);
  });

  test('LED-11: the first checkpoint, from old size 0, is cosigned (200), verifiably', async () => {
    log.grow(3);
    const note = log.checkpoint();
    const answer = await ask(0, note);
    assert.ok(answer.kind === 'cosigned');
    assert.equal(answer.lines.length, 1);
    const cosigned = `${note}${answer.lines.map((l) => `${l}\n`).join('')}`;
    const verifiers = [parseVerifierKey({ vkey: witness.vkey })];
    const opened = openNote({ note: cosigned, verifiers });
    assert.equal(opened.verified.length, 1);
    const time = cosignatureTime({ signature: opened.verified[0]!.signature });
    assert.ok(Math.abs(time - Date.now() / 1000) < 60, `time ${time}`);
  });

  test('LED-11: the monitoring endpoint serves the log signature and the cosignature', async () => {
    const served = await monitor(log.origin);
    assert.equal(served.status, 200);
    const verifiers = [log.vkey, witness.vkey].map((vkey) => parseVerifierKey({ vkey }));
    const opened = openNote({ note: served.text, verifiers });
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      [log.origin, NAME],
    );
    assert.equal(parseCheckpoint({ text: opened.text }).size, 3);
  });

  test('LED-11: a consistent growth with its proof is cosigned', async () => {
    log.grow(4);
    assert.equal((await ask(3, log.checkpoint(), log.proof(3))).kind, 'cosigned');
    assert.equal(await servedSize(), 7);
  });

  test('LED-11: the same checkpoint again (old size = size, same root) is cosigned', async () => {
    assert.equal((await ask(7, log.checkpoint())).kind, 'cosigned');
  });

  test('LED-11: a stale old size gets 409 with the latest size as text/x.tlog.size', async () => {
    log.grow(2);
    const raw = await postRaw(witness.url, body(3, log.proof(3), log.checkpoint()));
    assert.equal(raw.status, 409);
    assert.equal(raw.type, 'text/x.tlog.size');
    assert.equal(raw.text, '7\n');
    assert.deepEqual(await ask(0, log.checkpoint()), { kind: 'conflict', size: 7 });
    assert.equal((await ask(7, log.checkpoint(), log.proof(7))).kind, 'cosigned');
  });

  test('LED-11: a forked view gets 422: same size with another root', async () => {
    const forked = log.checkpoint({ root: new Uint8Array(32).fill(7) });
    assert.equal(await post(9, [], forked), 422);
  });

  test('LED-11: a forked view gets 422: a growth whose proof does not verify', async () => {
    log.grow(3);
    const proof = log.proof(9);
    proof[0] = new Uint8Array(32).fill(1);
    assert.equal(await post(9, proof, log.checkpoint()), 422);
    const wrongRoot = log.checkpoint({ root: new Uint8Array(32).fill(3) });
    assert.equal(await post(9, log.proof(9), wrongRoot), 422);
    assert.equal(await post(9, [], log.checkpoint()), 422);
    // Nothing of it was cosigned: the witness still holds size 9 and the honest growth passes.
    assert.equal(await servedSize(), 9);
    assert.equal((await ask(9, log.checkpoint(), log.proof(9))).kind, 'cosigned');
  });

  test('LED-11: 422 for a proof from old size 0, and size 0 without the empty root', async () => {
    other.grow(2);
    assert.equal(await post(0, [new Uint8Array(32)], other.checkpoint()), 422);
    assert.equal(await post(0, [], other.checkpoint({ size: 0, root: new Uint8Array(32) })), 422);
    assert.equal(await post(0, [], other.checkpoint({ size: 0 })), 200);
  });

  test('LED-11: 403 for a checkpoint without a valid signature of the log key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const impostor = ed25519NoteSigner({ name: log.origin, privateKey });
    const unsigned = log.checkpoint({ signer: impostor });
    assert.equal(await post(12, [], unsigned), 403);
    // A line of the known key (same name and key ID) whose signature fails.
    const note = log.checkpoint();
    const at = note.lastIndexOf('— ') + 40;
    const broken = `${note.slice(0, at)}${note[at] === 'A' ? 'B' : 'A'}${note.slice(at + 1)}`;
    assert.equal(await post(12, [], broken), 403);
    await assert.rejects(ask(12, unsigned), (error: unknown) => {
      assert.ok(error instanceof WitnessRequestError);
      assert.equal(error.status, 403);
      assert.ok(error.message.includes(witness.url));
      return true;
    });
  });

  test('LED-11: 404 for an unknown origin', async () => {
    const stranger = new TestLog('example.com/stranger').grow(1);
    assert.equal(await post(0, [], stranger.checkpoint()), 404);
    await assert.rejects(ask(0, stranger.checkpoint()), /404/);
  });

  test('LED-11: 400 for an old size above the checkpoint size and malformed bodies', async () => {
    const current = log.checkpoint();
    assert.equal(await post(log.size + 1, [], current), 400);
    const bodies = [
      '',
      `old 01\n\n${current}`,
      'old 1\n',
      `old 12\nnot-base64\n\n${current}`,
      'old 0\n\nnot a note\n',
      `new 0\n\n${current}`,
    ];
    for (const text of bodies) {
      assert.equal((await postRaw(witness.url, text)).status, 400, JSON.stringify(text));
    }
  });

  test('LED-11: concurrent requests from one old size: one cosigned, the rest 409', async () => {
    const from = 12;
    assert.equal(await servedSize(), from);
    log.grow(10);
    const sizes = Array.from({ length: 10 }, (_, i) => from + i + 1);
    const answers = await Promise.all(
      sizes.map((size) => {
        const text = body(from, log.proof(from, size), log.checkpoint({ size }));
        return postRaw(witness.url, text);
      }),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    const size = await servedSize();
    assert.ok(size > from);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      assert.equal(answer.status, 409);
      assert.equal(answer.text, `${size}\n`);
    }
    // Catch up to the full size for the next tests.
    assert.equal((await ask(size, log.checkpoint(), log.proof(size))).kind, 'cosigned');
  });

  test('LED-11: a restart keeps the logs and the latest checkpoints (no --log)', async () => {
    const before = (await monitor(log.origin)).text;
    assert.equal(await witness.stop(), 0);
    witness = await startWitnessProcess(serveArgs());
    assert.equal((await monitor(log.origin)).text, before);
    assert.deepEqual(await ask(0, log.checkpoint()), { kind: 'conflict', size: log.size });
    const from = log.size;
    log.grow(5);
    assert.equal((await ask(from, log.checkpoint(), log.proof(from))).kind, 'cosigned');
  });

  test('LED-11: two processes on one state file cannot roll the size back', async () => {
    const second = await startWitnessProcess(serveArgs());
    try {
      const from = log.size;
      log.grow(20);
      const urls = [witness.url, second.url];
      const sizes = Array.from({ length: 20 }, (_, i) => from + i + 1);
      const answers = await Promise.all(
        sizes.map((size, i) => {
          const text = body(from, log.proof(from, size), log.checkpoint({ size }));
          return postRaw(urls[i % 2]!, text);
        }),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
      const winner = await servedSize();
      for (const url of urls) assert.equal(await servedSize(url), winner);
      // A late request from the old size is refused by both: the size never goes back.
      const late = body(from, log.proof(from, from + 1), log.checkpoint({ size: from + 1 }));
      for (const url of urls) {
        const stale = await postRaw(url, late);
        assert.equal(stale.status, 409);
        assert.equal(stale.text, `${winner}\n`);
      }
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
