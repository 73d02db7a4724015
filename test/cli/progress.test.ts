/**
 * Progress of long commands (src/cli/progress.ts): drawn on standard error only when it is a
 * terminal, at most ten times a second, with counts and a rate, and erased at the end; nothing at
 * all on a pipe or a file. Unit tests with a fake terminal and clock, the five long commands with
 * a fake terminal and a plain stream, and real processes on a pipe and on a pseudo-terminal.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import {
  CLEAR_LINE,
  progressText,
  startProgress,
  withProgress,
  type ProgressStream,
} from '../../src/cli/progress.js';

interface FakeStream extends ProgressStream {
  readonly writes: string[];
}

function fakeStream(options: { isTTY: boolean; columns?: number }): FakeStream {
  const writes: string[] = [];
  return {
    isTTY: options.isTTY,
    columns: options.columns,
    writes,
    write: (text) => writes.push(text),
  };
}

describe('progress line', () => {
  test('drawn at once, then at most every 100 ms: count, total, rate; done erases it', () => {
    let now = 1000;
    const stream = fakeStream({ isTTY: true });
    const clock = (): number => now;
    const progress = startProgress({ stream, label: 'verify', unit: 'tokens', total: 4000, clock });
    progress.set(1);
    for (let i = 2; i <= 500; i++) progress.set(i);
    now += 99;
    progress.add(); // 501, 99 ms after the first draw: not yet
    assert.deepEqual(stream.writes, [`${CLEAR_LINE}verify: 1 / 4,000 tokens (0%)`]);
    now += 1;
    progress.add(); // 502 after 100 ms: 5,020 a second
    assert.equal(stream.writes[1], `${CLEAR_LINE}verify: 502 / 4,000 tokens (12%), 5,020/s`);
    progress.done();
    progress.done();
    progress.set(4000);
    assert.deepEqual(stream.writes.slice(2), [CLEAR_LINE]);
  });

  test('without a total: count and rate; the line is cut to the terminal width', () => {
    const text = progressText({
      label: 'ledger verify',
      unit: 'entries',
      count: 12_345,
      total: undefined,
      elapsedMs: 2000,
    });
    assert.equal(text, 'ledger verify: 12,345 entries, 6,173/s');
    const stream = fakeStream({ isTTY: true, columns: 20 });
    startProgress({ stream, label: 'ledger verify', unit: 'entries' }).set(12_345);
    assert.equal(stream.writes[0], `${CLEAR_LINE}ledger verify: 12,3`);
  });

  test('nothing at all on a stream that is not a terminal, or without a stream', async () => {
    for (const stream of [fakeStream({ isTTY: false }), undefined]) {
      const progress = startProgress({ stream, label: 'x', unit: 'entries', intervalMs: 0 });
      progress.set(1);
      progress.add(5);
      progress.done();
      await withProgress({ stream, label: 'x', unit: 'entries' }, async (p) => p.set(3));
      if (stream !== undefined) assert.deepEqual(stream.writes, []);
    }
  });

  test('withProgress erases the line also when the work throws', async () => {
    const stream = fakeStream({ isTTY: true });
    await assert.rejects(
      withProgress({ stream, label: 'x', unit: 'entries' }, async (p) => {
        p.set(1);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(stream.writes.at(-1), CLEAR_LINE);
  });
});

describe('long commands show progress on a terminal only', () => {
  const A = 'spiffe://example.org/agent-a';
  const B = 'spiffe://example.org/agent-b';
  const WID = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
  let dir: string;
  let jwks: string;
  let batch: string;
  let url: string;

  async function run(
    argv: readonly string[],
    stream: ProgressStream,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: Io = {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: async () => '',
      env: {},
      progress: stream,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ect-cli-progress-'));
    const key = join(dir, 'a.key.json');
    jwks = join(dir, 'a.jwks.json');
    const ledgerKey = join(dir, 'ledger.key.json');
    const plain = fakeStream({ isTTY: false });
    assert.equal((await run(['keygen', '--out', key, '--jwks-out', jwks], plain)).code, 0);
    assert.equal((await run(['keygen', '--out', ledgerKey, '--alg', 'EdDSA'], plain)).code, 0);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const made = await run(
        ['create', '--key', key, '--iss', A, '--aud', B, '--exec-act', `step-${i}`, '--wid', WID],
        plain,
      );
      tokens.push(made.stdout.trim());
    }
    batch = join(dir, 'batch.txt');
    writeFileSync(batch, tokens.join('\n'));
    url = `sqlite:${join(dir, 'audit.db')}`;
    const ledger = [
      '--ledger',
      url,
      '--ledger-key',
      ledgerKey,
      '--ledger-origin',
      'example.org/ect-ledger',
    ];
    const recorded = await run(
      ['verify', '--batch', batch, '--jwks', jwks, '--audience', B, ...ledger],
      plain,
    );
    assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
    assert.deepEqual(plain.writes, []);
    const vkey = await run(['ledger', 'vkey', url], plain);
    writeFileSync(join(dir, 'ledger.vkey'), vkey.stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const commands: [string, () => string[], RegExp][] = [
    [
      'verify --batch',
      () => ['verify', '--batch', batch, '--jwks', jwks, '--audience', B],
      /verify: \d \/ 5 tokens/,
    ],
    ['ledger verify', () => ['ledger', 'verify', url], /ledger verify: \d entries/],
    ['ledger export', () => ['ledger', 'export', url], /ledger export: \d entries/],
    [
      'bundle export',
      () => ['bundle', 'export', url, '--wid', WID, '--out', join(dir, 'w.bundle.json'), '--force'],
      /bundle export: \d \/ 5 proofs/,
    ],
    [
      'bundle verify',
      () => [
        'bundle',
        'verify',
        join(dir, 'w.bundle.json'),
        '--ledger-vkey',
        join(dir, 'ledger.vkey'),
        '--jwks',
        jwks,
      ],
      /bundle verify: \d \/ 5 entries/,
    ],
  ];
  for (const [name, argv, line] of commands) {
    test(`${name}: a progress line on a terminal, erased at the end; none elsewhere`, async () => {
      const terminal = fakeStream({ isTTY: true, columns: 120 });
      const shown = await run(argv(), terminal);
      assert.equal(shown.code, 0, shown.stdout + shown.stderr);
      assert.ok(terminal.writes.length >= 2, JSON.stringify(terminal.writes));
      assert.match(terminal.writes[0]!, line);
      assert.equal(terminal.writes.at(-1), CLEAR_LINE);
      const plain = fakeStream({ isTTY: false });
      const quiet = await run(argv(), plain);
      assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
      assert.deepEqual(plain.writes, []);
      // The command's own output is the same with and without the progress line.
      assert.equal(
        quiet.stdout.replace(/"(recordedAt|exportedAt)":\d+/g, ''),
        shown.stdout.replace(/"(recordedAt|exportedAt)":\d+/g, ''),
      );
    });
  }

  const main = join(process.cwd(), 'src', 'cli', 'main.ts');

  test('a real process: stderr on a pipe gets no progress', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', main, 'ledger', 'verify', url], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, '');
    assert.match(child.stdout, /^ledger intact: 5 entries/);
  });

  test('a real process on a terminal (script(1)): drawn, erased before the result', (t) => {
    const which = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' });
    if (which.status !== 0) {
      t.skip('script(1) is not installed');
      return;
    }
    const command = [process.execPath, '--import', 'tsx', main, 'ledger', 'verify', url]
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stdout);
    assert.match(child.stdout, /ledger verify: \d entries/);
    // The progress line is erased before the report: the report starts a clean line.
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequence is what it checks
    assert.match(child.stdout, /\r\x1b\[2Kledger intact: 5 entries/);
  });
});
