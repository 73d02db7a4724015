/**
 * `ect demo`: the multi-agent workflow over HTTP on loopback (src/demo), recorded in a ledger: by
 * default a new SQLite file in the system's temporary folder (in memory when the optional
 * better-sqlite3 is not installed), with receipts signed by a fresh ledger key. Exit 0 when every
 * step went as expected.
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { configFromEnv } from '../../config/env.js';
import { generateKeyPair } from '../../crypto/keys.js';
import type { Ledger } from '../../ledger/ledger.js';
import { isInstalled } from '../../optional.js';
import { levelParser } from '../args.js';
import { EXIT_INVALID, EXIT_VALID, json, type Io } from '../io.js';
import { openLedgerFromFlags } from '../verifier-options.js';

/**
 * A new SQLite file in the temporary folder; in memory when better-sqlite3 (an optional package)
 * is not installed, so `npx wimse-ect demo` runs anywhere.
 */
function defaultLedgerUrl(io: Io): string {
  if (isInstalled({ name: 'better-sqlite3' })) {
    return `sqlite:${join(mkdtempSync(join(tmpdir(), 'ect-demo-')), 'ledger.db')}`;
  }
  io.stderr('note: better-sqlite3 is not installed, so the ledger is kept in memory (memory:)\n');
  return 'memory:';
}

interface DemoFlags {
  ledger?: string;
  ledgerKey?: string;
  ledgerOrigin?: string;
  minLevel?: 1 | 2 | 3;
  json?: boolean;
}

export function registerDemo(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description(
      'run a multi-agent workflow over HTTP on loopback: WIMSE identities, verified ECTs, an L3 ledger with receipts, a refused replay, the audited DAG',
    )
    .option(
      '--ledger <url>',
      'where to record: sqlite:PATH, postgres://…, memory: (default: a new SQLite file in the temporary folder; $ECT_LEDGER)',
    )
    .option(
      '--ledger-key <file>',
      "the ledger's Ed25519 key for checkpoints and receipts (default: a fresh key)",
    )
    .option(
      '--ledger-origin <origin>',
      'the checkpoint origin of a new ledger (default: demo.invalid/ect-ledger)',
    )
    .option(
      '--min-level <n>',
      "every agent's minimum level, 1, 2 or 3 (default 2)",
      levelParser([1, 2, 3]),
    )
    .option('--json', 'print the result as JSON instead of the step-by-step story')
    .addHelpText(
      'after',
      '\nExamples:\n  ect demo\n  ect demo --ledger sqlite:./demo.db && ect ledger verify sqlite:./demo.db\n',
    )
    .action(async (flags: DemoFlags) => {
      const env = configFromEnv(io.env);
      const url = flags.ledger ?? env.ledgerUrl ?? defaultLedgerUrl(io);
      const keyFile = flags.ledgerKey ?? env.ledgerKeyFile;
      const origin = flags.ledgerOrigin ?? env.ledgerOrigin ?? 'demo.invalid/ect-ledger';
      let ledger: Ledger;
      if (keyFile !== undefined) ledger = await openLedgerFromFlags(url, { keyFile, origin });
      else {
        const { openLedger } = await import('../../stores/open.js');
        const key = generateKeyPair({ alg: 'EdDSA', kid: 'demo-ledger' }).privateJwk;
        ledger = await openLedger(url, { key: key as never, origin });
      }
      try {
        const { runDemo } = await import('../../demo/index.js');
        const lines: string[] = [];
        const result = await runDemo({
          ledger,
          print: (line) => (flags.json ? lines.push(line) : io.stdout(`${line}\n`)),
          ...(flags.minLevel === undefined ? {} : { minLevel: flags.minLevel }),
        });
        if (flags.json) io.stdout(json({ ...result, ledger: url }));
        else {
          io.stdout(`\nledger: ${url}\n`);
          // A ledger in memory is gone with this process: nothing to check afterwards.
          if (url !== 'memory:') {
            io.stdout(`  check it:  npx ect ledger verify ${url}\n`);
            io.stdout(
              `  draw it:   npx ect dag render --ledger ${url} --wid ${result.workflowId} --format mermaid\n`,
            );
          }
        }
        setExit(result.ok ? EXIT_VALID : EXIT_INVALID);
      } finally {
        await ledger.close();
      }
    });
}
