/**
 * `ect witness serve` and `ect witness vkey`: help with an example, the verifier key, and every
 * configuration mistake reported on one line with exit code 2.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateKeyPair, jwkThumbprint } from '../../src/crypto/keys.js';
import { parseVerifierKey } from '../../src/tlog/note.js';
import { cli } from '../cli/run.js';
import { addCheckpointBody, postRaw, startWitnessProcess, TestLog } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-witness-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const edPair = generateKeyPair({ alg: 'EdDSA' });
const key = join(dir, 'witness.key.json');
writeFileSync(key, JSON.stringify(edPair.privateJwk));
const ecKey = join(dir, 'es256.key.json');
writeFileSync(ecKey, JSON.stringify(generateKeyPair({ alg: 'ES256' }).privateJwk));
const log = new TestLog('example.com/log');

async function usageError(argv: string[], pattern: RegExp): Promise<void> {
  const result = await cli(argv);
  assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, pattern);
}

describe('ect witness', () => {
  test('LED-11: --help answers for witness, serve and vkey, with an example', async () => {
    for (const command of [['witness'], ['witness', 'serve'], ['witness', 'vkey']]) {
      const result = await cli([...command, '--help']);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /Usage: ect witness/);
      if (command.length === 2) assert.match(result.stdout, /Example:\n {2}ect /);
    }
  });

  test('LED-11: vkey prints the cosignature key (default name from the thumbprint)', async () => {
    const byDefault = await cli(['witness', 'vkey', '--key', key]);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    const verifier = parseVerifierKey({ vkey: byDefault.stdout.trim() });
    assert.equal(verifier.name, `ect-witness/${jwkThumbprint(edPair.publicJwk)}`);
    const named = await cli(['witness', 'vkey', '--key', key, '--name', 'witness.example/w1']);
    assert.match(named.stdout, /^witness\.example\/w1\+[0-9a-f]{8}\+B/);
  });

  test('LED-11: configuration mistakes are one line and exit 2', async () => {
    const state = `sqlite:${join(dir, 'state.db')}`;
    const serve = ['witness', 'serve', '--key', key, '--state', state, '--port', '0'];
    await usageError(['witness', 'vkey', '--key', ecKey], /--key: a witness key is Ed25519/);
    await usageError(['witness', 'vkey', '--key', join(dir, 'none.json')], /--key: cannot read/);
    await usageError(['witness', 'vkey', '--key', key, '--name', 'a+b'], /--name:/);
    await usageError(['witness', 'serve', '--state', state, '--port', '0'], /--key/);
    await usageError([...serve.slice(0, -1), '70000'], /port from 0 to 65535/);
    await usageError([...serve.slice(0, -1), 'http'], /port from 0 to 65535/);
    const noScheme = ['witness', 'serve', '--key', key, '--state', 'witness.db', '--port', '0'];
    await usageError(noScheme, /--state: expected sqlite:PATH/);
    await usageError([...serve, '--log', 'example.com/log+00000000+AAAA'], /^ect: --log: .*\n$/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, not even close to one, really not');
    const junkState = [...serve.slice(0, 4), '--state', `sqlite:${junk}`, '--port', '0'];
    const damaged = /^ect: state: .*junk\.db is not a usable witness state: .*\n$/;
    await usageError([...junkState, '--log', log.vkey], damaged);
  });

  test('LED-11: a port in use is a configuration error', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = String((busy.address() as AddressInfo).port);
      const state = `sqlite:${join(dir, 'busy.db')}`;
      const argv = ['witness', 'serve', '--key', key, '--state', state, '--port', port];
      const inUse = /--port: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/;
      await usageError([...argv, '--log', log.vkey], inUse);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  test('LED-11: serve stops cleanly on SIGINT (exit 0)', async () => {
    const state = `sqlite:${join(dir, 'sigint.db')}`;
    const args = ['--key', key, '--state', state, '--port', '0', '--log', log.vkey];
    const witness = await startWitnessProcess(args);
    assert.equal(await witness.stop('SIGINT'), 0);
    assert.match(witness.stderr(), /SIGINT, stopping/);
  });

  test('LED-11: a witness started without any known log serves, answers 404 until a log is given, and says so', async () => {
    const state = `sqlite:${join(dir, 'empty-state.db')}`;
    const witness = await startWitnessProcess(['--key', key, '--state', state, '--port', '0']);
    try {
      const answer = await postRaw(witness.url, addCheckpointBody(0, [], log.grow(1).checkpoint()));
      assert.equal(answer.status, 404);
      assert.match(witness.stderr(), /no log is known yet/);
    } finally {
      await witness.stop();
    }
  });
});
