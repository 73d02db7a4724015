/**
 * LED-11 with real witness processes (`ect witness serve`) on loopback: a ledger configured with
 * witnesses attaches their cosignatures to its checkpoints; a witness that is down delays its
 * cosignature but never blocks or loses an entry; a forked view of the log (same origin and key,
 * other entries) is refused; verification requires k of n witnesses.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair, importPublicKey } from '../../src/crypto/keys.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { parseNote, ed25519VerifierKey } from '../../src/tlog/note.js';
import { useTestServers } from '../helpers/servers.js';
import { startWitnessProcess, type WitnessProcess } from '../witness/fixtures.js';
import { appendBatches, AUD, chainOfTokens, issuer, ledgerKey, storedLedger } from './support.js';

const env = useTestServers({ tempDir: 'ect-ledger-witness-' });
/** One log per test: a witness keeps one view per origin, so tests must not share one. */
const ORIGINS = [
  'example.org/ledger-a',
  'example.org/ledger-b',
  'example.org/ledger-c',
  'example.org/ledger-d',
];
const LOG_VKEYS = ORIGINS.map((name) =>
  ed25519VerifierKey({ name, publicKey: importPublicKey(ledgerKey.publicJwk) }),
);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Witness {
  readonly name: string;
  readonly port: number;
  readonly args: string[];
  process: WitnessProcess;
}

async function startWitness(name: string): Promise<Witness> {
  const keyFile = join(env.dir, `${name.replaceAll('/', '_')}.key.json`);
  writeFileSync(keyFile, JSON.stringify(generateKeyPair({ alg: 'EdDSA' }).privateJwk));
  const port = await freePort();
  const args = [
    '--key',
    keyFile,
    '--state',
    `sqlite:${join(env.dir, `${name.replaceAll('/', '_')}.db`)}`,
    '--port',
    String(port),
    '--name',
    name,
    ...LOG_VKEYS.flatMap((v) => ['--log', v]),
  ];
  return { name, port, args, process: await startWitnessProcess(args) };
}

/** The witness names whose cosignature lines the latest checkpoint carries. */
async function cosigners(ledger: Ledger): Promise<string[]> {
  const note = (await ledger.checkpoint())!.note;
  const origin = note.split('\n', 1)[0];
  return parseNote({ note })
    .signatures.map((s) => s.name)
    .filter((n) => n !== origin)
    .sort();
}

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`never happened: ${what}`);
}

describe('LED-11 witnesses', () => {
  let w1: Witness;
  let w2: Witness;
  before(async () => {
    [w1, w2] = await Promise.all([
      startWitness('witness.example/w1'),
      startWitness('witness.example/w2'),
    ]);
  });
  after(async () => {
    await Promise.all([w1?.process.stop(), w2?.process.stop()]);
  });

  test('LED-11: every committed checkpoint is cosigned by both witnesses; k of n verifies', async () => {
    const stored = storedLedger({ kind: 'sqlite', dir: env.dir });
    const ledger = await stored.open({
      origin: ORIGINS[0]!,
      witnesses: [{ url: w1.process.url, vkey: w1.process.vkey }, { url: w2.process.url }],
    });
    await appendBatches(ledger, chainOfTokens(9), [2, 3, 4]);
    await ledger.settleWitnesses();
    assert.deepEqual(await cosigners(ledger), [w1.name, w2.name]);
    const vkeys = [w1.process.vkey, w2.process.vkey];
    assert.equal((await ledger.verifyIntegrity({ witnessVkeys: vkeys })).ok, true);
    const stranger = generateKeyPair({ alg: 'EdDSA' });
    const { cosignatureVerifierKey } = await import('../../src/tlog/cosignature.js');
    const third = cosignatureVerifierKey({
      name: 'witness.example/w3',
      publicKey: importPublicKey(stranger.publicJwk),
    });
    assert.equal(
      (await ledger.verifyIntegrity({ witnessVkeys: [...vkeys, third] })).ok,
      false,
      '3 of 3 fails',
    );
    assert.equal(
      (await ledger.verifyIntegrity({ witnessVkeys: [...vkeys, third], minWitnesses: 2 })).ok,
      true,
      '2 of 3',
    );
    await ledger.close();
  });

  test('LED-11: a witness that is down delays its cosignature but blocks and loses no entry', async () => {
    const stored = storedLedger({ kind: 'sqlite', dir: env.dir });
    const ledger = await stored.open({
      origin: ORIGINS[1]!,
      witnesses: [{ url: w1.process.url }, { url: w2.process.url, timeoutMs: 1000 }],
    });
    const tokens = chainOfTokens(6);
    await appendBatches(ledger, tokens, [2]);
    await ledger.settleWitnesses();
    await w2.process.stop();
    // Appends go on while w2 is down; only w1 cosigns.
    await appendBatches(ledger, tokens.slice(2), [2]);
    await ledger.settleWitnesses();
    assert.equal((await ledger.checkpoint())!.size, 4);
    assert.deepEqual(await cosigners(ledger), [w1.name]);
    assert.match(ledger.witnessStatus()[1]!.error ?? '', /w2|127\.0\.0\.1/);
    w2.process = await startWitnessProcess(w2.args);
    // The next checkpoint reaches it again, with one consistency proof from what it last saw.
    await appendBatches(ledger, tokens.slice(4), [2]);
    await eventually(
      async () => (await cosigners(ledger)).length === 2,
      'w2 cosigns after its restart',
    );
    assert.equal(
      (await ledger.verifyIntegrity({ witnessVkeys: [w1.process.vkey, w2.process.vkey] })).ok,
      true,
    );
    assert.equal(await ledger.size(), 6);
    await ledger.close();
  });

  test('LED-11: a forked view (same origin and key, other entries) is refused by the witness', async () => {
    const options = { origin: ORIGINS[2]!, witnesses: [{ url: w1.process.url }] };
    const honest = await storedLedger({ kind: 'sqlite', dir: env.dir }).open(options);
    const fork = await storedLedger({ kind: 'sqlite', dir: env.dir }).open(options);
    await appendBatches(honest, chainOfTokens(3), [3]);
    await honest.settleWitnesses();
    assert.deepEqual(await cosigners(honest), [w1.name]);
    // Same size, another root; then larger, not consistent with what the witness cosigned.
    for (const n of [3, 2]) {
      await appendBatches(fork, chainOfTokens(n), [n]);
      await fork.settleWitnesses();
      assert.deepEqual(await cosigners(fork), [], `fork of ${await fork.size()} entries cosigned`);
      assert.match(fork.witnessStatus()[0]!.error ?? '', /422|consistency|Unprocessable/i);
    }
    // The honest log goes on being cosigned.
    await appendBatches(honest, chainOfTokens(4), [4]);
    await eventually(
      async () => (await cosigners(honest)).length === 1 && (await honest.checkpoint())!.size === 7,
      'honest cosigned',
    );
    await Promise.all([honest.close(), fork.close()]);
  });

  test('LED-11: ect verify --ledger … --witness URL (and ECT_WITNESSES) gets the checkpoints cosigned', async () => {
    const { cli } = await import('../cli/run.js');
    const keyFile = join(env.dir, 'cli-ledger.key.json');
    writeFileSync(keyFile, JSON.stringify(ledgerKey.privateJwk));
    const jwks = join(env.dir, 'issuer.jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [issuer.publicJwk] }));
    const batch = join(env.dir, 'cli-batch.txt');
    const url = `sqlite:${join(env.dir, 'cli-witnessed.db')}`;
    writeFileSync(batch, chainOfTokens(3).join('\n'));
    const base = [
      'verify',
      '--batch',
      batch,
      '--dag',
      '--jwks',
      jwks,
      '--audience',
      AUD,
      '--ledger',
      url,
      '--ledger-key',
      keyFile,
      '--ledger-origin',
      ORIGINS[3]!,
    ];
    const r = await cli([...base, '--witness', w1.process.url], {
      env: { ECT_WITNESSES: w2.process.url },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const note = (await cli(['ledger', 'checkpoint', url])).stdout;
    const names = parseNote({ note }).signatures.map((s) => s.name);
    assert.ok(names.includes(w1.name), `${w1.name} cosigned: ${names.join(', ')}`);
    const verified = await cli(['ledger', 'verify', url, '--witness-vkey', w1.process.vkey]);
    assert.equal(verified.code, 0, verified.stdout);
  });
});
