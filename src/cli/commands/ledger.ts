/**
 * `ect ledger verify URL` (recompute the hash chain, name the first bad entry) and
 * `ect ledger export URL [--wid ID]` (entries as JSON lines).
 * @module
 */
import type { Command } from 'commander';
import type { LedgerEntry } from '../../ledger/types.js';
import { parseSeconds } from '../args.js';
import { EXIT_INVALID, EXIT_VALID, json, type Io } from '../io.js';
import { openLedgerFromFlags } from '../verifier-options.js';

/** One entry as exported: every stored member, the token exactly as received. */
function exported(entry: LedgerEntry): Record<string, unknown> {
  return {
    seq: entry.seq,
    jti: entry.jti,
    wid: entry.wid ?? null,
    level: entry.level,
    recordedAt: new Date(entry.recordedAt).toISOString(),
    tokenHash: entry.tokenHash,
    prevHash: entry.prevHash,
    entryHash: entry.entryHash,
    claims: entry.claims,
    token: entry.token,
  };
}

export function registerLedger(program: Command, io: Io, setExit: (code: number) => void): void {
  const ledger = program.command('ledger').description('check or export an audit ledger (memory:, sqlite:PATH, postgres://…)');

  ledger
    .command('verify')
    .description('recompute the hash chain from the first entry; exit 0 intact, 1 with the first bad entry named')
    .argument('<url>', 'ledger URL: sqlite:PATH or postgres://…')
    .option('--json', 'print {"ok", "checked", "firstBad"}')
    .addHelpText('after', '\nExample:\n  ect ledger verify sqlite:./audit.db\n')
    .action(async (url: string, flags: { json?: boolean }) => {
      const opened = await openLedgerFromFlags(url, undefined, 'ledger', { mustExist: true });
      try {
        const report = await opened.verifyIntegrity();
        if (flags.json) io.stdout(json(report));
        else if (report.ok) io.stdout(`ledger intact: ${report.checked} entries, hash chain verified\n`);
        else io.stdout(`LEDGER BROKEN at entry ${report.firstBad!.seq}: ${report.firstBad!.reason} (${report.checked} entries before it verify)\n`);
        setExit(report.ok ? EXIT_VALID : EXIT_INVALID);
      } finally {
        await opened.close();
      }
    });

  ledger
    .command('export')
    .description('print entries as JSON lines: one workflow with --wid, else every entry from --from on')
    .argument('<url>', 'ledger URL')
    .option('--wid <id>', 'only this workflow')
    .option('--from <seq>', 'first sequence number (default 1)', parseSeconds)
    .addHelpText('after', '\nExample:\n  ect ledger export sqlite:./audit.db --wid 0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10\n')
    .action(async (url: string, flags: { wid?: string; from?: number }) => {
      const opened = await openLedgerFromFlags(url, undefined, 'ledger', { mustExist: true });
      try {
        if (flags.wid !== undefined) {
          for (const entry of await opened.workflowEntries(flags.wid)) io.stdout(`${JSON.stringify(exported(entry))}\n`);
        } else {
          for await (const entry of opened.entries(flags.from ?? 1)) io.stdout(`${JSON.stringify(exported(entry))}\n`);
        }
        setExit(EXIT_VALID);
      } finally {
        await opened.close();
      }
    });
}
