/**
 * A reader that closes its end of the pipe early (`ect … | head -1`) ends the command quietly:
 * no EPIPE stack trace, and the status a shell reports for a program ended by SIGPIPE (141).
 * Real processes: the command line runs in a child process piped into `head`.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createECT } from '../../src/create/create.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { cli } from './run.js';

const A = 'spiffe://example.org/agent-a';
const B = 'spiffe://example.org/agent-b';
const MAIN = join(process.cwd(), 'src', 'cli', 'main.ts');
let dir: string;
let jwks: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-pipe-'));
  jwks = join(dir, 'a.jwks.json');
  const keygen = await cli(['keygen', '--out', join(dir, 'a.key.json'), '--jwks-out', jwks]);
  assert.equal(keygen.code, 0, keygen.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Piped {
  readonly status: number;
  readonly first: string;
  readonly stderr: string;
}

/** Runs `ect ARGS | head -N` in bash; the status is ect's own (PIPESTATUS). */
function pipedIntoHead(args: readonly string[], lines: number): Piped {
  const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const ect = `'${process.execPath}' --import tsx '${MAIN}' ${quoted}`;
  const script = `${ect} 2>"$ERR" | head -${lines}; echo "status=\${PIPESTATUS[0]}"`;
  const err = join(dir, 'stderr.txt');
  const run = spawnSync('bash', ['-c', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
    env: { ...process.env, ERR: err },
  });
  assert.equal(run.status, 0, run.stderr);
  const status = Number(/status=(\d+)\n$/.exec(run.stdout)?.[1]);
  const first = run.stdout.replace(/status=\d+\n$/, '');
  return { status, first, stderr: spawnSync('cat', [err], { encoding: 'utf8' }).stdout };
}

test('verify --batch F | head -1: the first report, then a quiet end (status 141)', () => {
  // 20,000 reports (about 3 MB) overflow any pipe buffer long before the batch ends.
  const batch = join(dir, 'batch.txt');
  const lines = Array.from({ length: 20_000 }, (_, i) => `not-a-token-${i}`);
  writeFileSync(batch, `${lines.join('\n')}\n`);
  const r = pipedIntoHead(['verify', '--batch', batch, '--jwks', jwks, '--audience', B], 1);
  assert.equal(r.stderr, '', 'nothing on standard error');
  assert.equal(r.status, 141);
  const shown = r.first.trim().split('\n');
  assert.equal(shown.length, 1);
  assert.equal((JSON.parse(shown[0]!) as { code: string }).code, 'ECT_MALFORMED');
});

test('ledger export URL | head -2: two entries, then a quiet end (status 141)', async () => {
  const agent = generateKeyPair();
  const agentJwks = join(dir, 'agent.jwks.json');
  writeFileSync(agentJwks, JSON.stringify({ keys: [agent.publicJwk] }));
  const ledgerKey = join(dir, 'ledger.key.json');
  assert.equal((await cli(['keygen', '--alg', 'EdDSA', '--out', ledgerKey])).code, 0);
  const claims = { iss: A, aud: B, exec_act: 'step' };
  const tokens = Array.from({ length: 3000 }, () => createECT(claims, { key: agent.privateJwk }));
  const batch = join(dir, 'signed.txt');
  writeFileSync(batch, `${tokens.join('\n')}\n`);
  const db = join(dir, 'ledger.db');
  const record = await cli([
    'verify',
    '--batch',
    batch,
    '--jwks',
    agentJwks,
    '--audience',
    B,
    '--ledger',
    `sqlite:${db}`,
    '--ledger-key',
    ledgerKey,
    '--ledger-origin',
    'example.org/pipe-test',
  ]);
  assert.equal(record.code, 0, record.stderr);
  const r = pipedIntoHead(['ledger', 'export', `sqlite:${db}`], 2);
  assert.equal(r.stderr, '', 'nothing on standard error');
  assert.equal(r.status, 141);
  assert.deepEqual(
    r.first
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seq: number }).seq),
    [1, 2],
  );
});

test('a reader that stays to the end sees the whole output and status 0', () => {
  const batch = join(dir, 'small.txt');
  writeFileSync(batch, 'not-a-token\n');
  const r = pipedIntoHead(['verify', '--batch', batch, '--jwks', jwks, '--audience', B], 10);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.first.trim().split('\n').length, 1);
});
