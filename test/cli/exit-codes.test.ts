/**
 * Exit codes: 0 valid, 1 invalid, 2 usage or configuration, 3 operational failure (a store that
 * cannot be reached, an unexpected internal error), listed in every command's --help; messages
 * that name the right thing, text that ends with a newline, and one JSON shape for inspect.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { exitCodeAfter, type VerifyReport } from '../../src/cli/report.js';
import { cli } from './run.js';

const A = 'spiffe://example.org/agent-a';
const B = 'spiffe://example.org/agent-b';
const EXIT_LINE =
  'Exit codes: 0 valid, 1 invalid, 2 usage or configuration, 3 operational failure.';
let dir: string;
let jwks: string;
let token: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-exit-'));
  const key = join(dir, 'a.key.json');
  jwks = join(dir, 'a.jwks.json');
  assert.equal((await cli(['keygen', '--out', key, '--jwks-out', jwks])).code, 0);
  const created = await cli(['create', '--key', key, '--iss', A, '--aud', B, '--exec-act', 'x']);
  token = created.stdout.trim();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The command names listed under "Commands:" in a help text. */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1] ?? '';
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const name = /^ {2}([a-z][\w-]*)/.exec(line)?.[1];
    if (name !== undefined && name !== 'help') names.push(name);
  }
  return names;
}

describe('exit codes', () => {
  test('every command and subcommand lists the four exit codes in its --help, which has single blank lines and ends with one newline', async () => {
    const queue: string[][] = [[]];
    const seen: string[] = [];
    while (queue.length > 0) {
      const path = queue.shift()!;
      const r = await cli([...path, '--help']);
      assert.equal(r.code, 0, path.join(' '));
      assert.ok(r.stdout.endsWith(`\n\n${EXIT_LINE}\n`), `ect ${path.join(' ')} --help`);
      assert.doesNotMatch(r.stdout, /\n\n\n/, `ect ${path.join(' ')} --help: two blank lines`);
      seen.push(path.join(' '));
      for (const name of commandsIn(r.stdout)) queue.push([...path, name]);
    }
    for (const command of ['verify', 'dag audit', 'ledger export', 'keygen', 'demo']) {
      assert.ok(seen.includes(command), command);
    }
  });

  test('a replay cache that cannot be reached is an operational failure (3)', async () => {
    const replay = 'redis://127.0.0.1:1';
    const r = await cli(['verify', token, '--jwks', jwks, '--audience', B, '--replay', replay]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^ect: ECT_REPLAY_STORE_UNAVAILABLE: /);
  });

  test('a ledger that cannot be reached is an operational failure (3)', async () => {
    const ledger = 'postgres://ect@127.0.0.1:1/audit';
    const r = await cli(['verify', token, '--jwks', jwks, '--audience', B, '--ledger', ledger]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^ect: ECT_LEDGER_UNAVAILABLE: /);
    const wid = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
    assert.equal((await cli(['dag', 'audit', '--ledger', ledger, '--wid', wid])).code, 3);
  });

  test('a token a store could not record makes the run exit 3, ahead of invalid ones', () => {
    const report = (valid: boolean, code: VerifyReport['code']): VerifyReport => ({
      valid,
      code,
      message: '',
      level: null,
      header: null,
      claims: null,
      legacy: false,
    });
    const exitCodeOf = (reports: VerifyReport[]): number => reports.reduce(exitCodeAfter, 0);
    assert.equal(exitCodeOf([report(true, null)]), 0);
    assert.equal(exitCodeOf([report(true, null), report(false, 'ECT_EXPIRED')]), 1);
    assert.equal(
      exitCodeOf([report(false, 'ECT_EXPIRED'), report(false, 'ECT_LEDGER_UNAVAILABLE')]),
      3,
    );
    assert.equal(exitCodeOf([report(false, 'ECT_LEDGER_UNAVAILABLE'), report(true, null)]), 3);
    assert.equal(exitCodeOf([report(false, 'ECT_REPLAY_STORE_UNAVAILABLE')]), 3);
  });

  test('an unexpected internal error is an operational failure (3), without a stack trace', async () => {
    let stderr = '';
    const io = {
      stdout: (): void => undefined,
      stderr: (text: string): void => void (stderr += text),
      readStdin: async (): Promise<string> => Promise.reject(new Error('disk on fire')),
      env: {},
    };
    const code = await runCli(['verify', '-', '--jwks', jwks, '--audience', B], io);
    assert.equal(code, 3);
    assert.equal(stderr, 'ect: unexpected error: disk on fire (set ECT_DEBUG=1 for details)\n');
  });

  test('verify without any key source is a usage error (2) naming the flags', async () => {
    const r = await cli(['verify', token, '--audience', B]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^ect: --jwks: no key to verify signatures with: give --jwks FILE or --trust FILE/,
    );
    const unsigned = await cli(['verify', token, '--audience', B, '--min-level', '1', '--json']);
    assert.equal(unsigned.code, 1, 'level 1 needs no key; the signed token is then unresolvable');
    assert.equal((JSON.parse(unsigned.stdout) as { code: string }).code, 'ECT_KEY_UNRESOLVED');
  });
});

describe('messages and output', () => {
  test('ledger export --from takes a sequence number (from 1), and says so', async () => {
    for (const from of ['0', '1.5', 'yesterday']) {
      const r = await cli(['ledger', 'export', 'memory:', '--from', from]);
      assert.equal(r.code, 2, from);
      assert.match(r.stderr, /expected a sequence number/);
      assert.doesNotMatch(r.stderr, /seconds/);
    }
  });

  test('dag render and dag audit text ends with a newline', async () => {
    const file = join(dir, 'tokens.txt');
    writeFileSync(file, `${token}\n`);
    for (const args of [
      ['dag', 'audit', file],
      ['dag', 'render', file],
      ['dag', 'render', file, '--format', 'dot'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.endsWith('\n'), args.join(' '));
    }
  });

  test('inspect prints the same JSON keys with and without --json', async () => {
    const plain = await cli(['inspect', token]);
    const asJson = await cli(['inspect', token, '--json']);
    assert.equal(plain.code, 0);
    assert.deepEqual(Object.keys(JSON.parse(plain.stdout) as object), [
      'verified',
      'level',
      'header',
      'claims',
    ]);
    assert.equal(plain.stdout, asJson.stdout);
    const bad = await cli(['inspect', 'abc.def']);
    assert.equal(bad.code, 1);
    assert.deepEqual(Object.keys(JSON.parse(bad.stdout) as object), [
      'verified',
      'code',
      'message',
    ]);
    assert.equal(bad.stdout, (await cli(['inspect', 'abc.def', '--json'])).stdout);
  });
});
