/**
 * `ect ledger …`: the verifiable audit ledger from the command line (LED-8 to LED-10).
 *
 * - `verify URL` re-derives every stored row, the tree and the checkpoints; `--checkpoint` and
 *   `--receipt` (repeatable) anchor it to what clients kept (LED-10).
 * - `checkpoint URL`, `vkey URL`: the latest signed checkpoint, the verifier key line.
 * - `prove URL --seq N`: a C2SP tlog-proof against the latest checkpoint (LED-9).
 * - `consistency URL --from SIZE [--to SIZE]`: one base64 hash a line (LED-10).
 * - `export URL`: JSON lines with the exact entry text (LED-2).
 * - `migrate URL`: a hash-chain ledger of the first release becomes a tree.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configFromEnv, readKeyFile } from '../../config/env.js';
import { ECTConfigError } from '../../errors.js';
import { formatEntry } from '../../ledger/entry.js';
import type { IntegrityAnchor } from '../../ledger/integrity.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { LedgerEntry } from '../../ledger/types.js';
import { encodeBase64Std } from '../../tlog/note.js';
import { collect, parseSequence, parseTreeSize } from '../args.js';
import { EXIT_INVALID, EXIT_VALID, json, type Io } from '../io.js';
import { withProgress } from '../progress.js';
import { ledgerFlags, openLedgerFromFlags } from '../verifier-options.js';
import { readAnchor } from './anchors.js';

/** One entry as exported: the exact leaf text (LED-2), the token and its decoded claims. */
function exported(entry: LedgerEntry): Record<string, unknown> {
  return {
    seq: entry.seq,
    level: entry.level,
    recordedAt: entry.recordedAt,
    jti: entry.jti,
    wid: entry.wid ?? null,
    token: entry.token,
    entry: formatEntry(entry),
    claims: entry.claims,
  };
}

/** A verifier key given inline, or the path of a file holding one. */
export function readVkey(value: string, setting: string): string {
  if (existsSync(value)) {
    const text = readFileSync(value, 'utf8').trim();
    if (text.length === 0) throw new ECTConfigError(setting, `${value} is empty`);
    return text;
  }
  if (!value.includes('+')) {
    throw new ECTConfigError(
      setting,
      `${JSON.stringify(value)} is neither a file nor a verifier key (name+hash+key)`,
    );
  }
  return value.trim();
}

/** Opens a stored ledger to read it (no key: read-only). */
async function openToRead(url: string): Promise<Ledger> {
  return openLedgerFromFlags(url, { mustExist: true });
}

async function withLedger(url: string, work: (ledger: Ledger) => Promise<void>): Promise<void> {
  const ledger = await openToRead(url);
  try {
    await work(ledger);
  } finally {
    await ledger.close();
  }
}

export function registerLedger(program: Command, io: Io, setExit: (code: number) => void): void {
  const ledger = program
    .command('ledger')
    .description('check, prove and export a verifiable audit ledger (sqlite:PATH, postgres://…)');

  ledger
    .command('verify')
    .description(
      're-derive every stored row, the Merkle tree and the signed checkpoints; exit 0 intact, 1 with the first problem named',
    )
    .argument('<url>', 'ledger URL: sqlite:PATH or postgres://…')
    .option(
      '--ledger-vkey <vkey>',
      "the ledger's verifier key (or a file holding it) as you know it; default: the stored one",
    )
    .option(
      '--checkpoint <file>',
      'a signed checkpoint you kept (repeatable): the ledger must still contain it (LED-10)',
      collect,
    )
    .option(
      '--receipt <file>',
      'a receipt you kept (JWS, tlog-proof, or a line of `ect verify --json` output; repeatable)',
      collect,
    )
    .option(
      '--witness-vkey <vkey>',
      'a witness cosignature key you trust (or a file; repeatable, LED-11)',
      collect,
    )
    .option(
      '--min-witnesses <n>',
      'how many of them must have cosigned the latest checkpoint (default: all given)',
      parseTreeSize,
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Examples:
  ect ledger verify sqlite:./audit.db
  ect ledger verify sqlite:./audit.db --ledger-vkey ledger.vkey --checkpoint kept.checkpoint
  ect ledger verify postgres://ect@db/audit --witness-vkey witness.vkey --min-witnesses 1
`,
    )
    .action(
      async (
        url: string,
        flags: {
          ledgerVkey?: string;
          checkpoint?: string[];
          receipt?: string[];
          witnessVkey?: string[];
          minWitnesses?: number;
          json?: boolean;
        },
      ) => {
        const anchors: IntegrityAnchor[] = [
          ...(flags.checkpoint ?? []).map((file) => readAnchor({ file, kind: 'checkpoint' })),
          ...(flags.receipt ?? []).map((file) => readAnchor({ file, kind: 'receipt' })),
        ];
        const witnessVkeys = (flags.witnessVkey ?? []).map((v) => readVkey(v, '--witness-vkey'));
        if (flags.minWitnesses !== undefined && flags.minWitnesses > witnessVkeys.length) {
          throw new ECTConfigError(
            '--min-witnesses',
            `asks for ${flags.minWitnesses} witnesses but ${witnessVkeys.length} --witness-vkey given`,
          );
        }
        await withLedger(url, async (opened) => {
          const progress = { stream: io.progress, label: 'ledger verify', unit: 'entries' };
          const report = await withProgress(progress, (shown) =>
            opened.verifyIntegrity({
              anchors,
              witnessVkeys,
              ...(flags.ledgerVkey === undefined
                ? {}
                : { ledgerVkey: readVkey(flags.ledgerVkey, '--ledger-vkey') }),
              ...(flags.minWitnesses === undefined ? {} : { minWitnesses: flags.minWitnesses }),
              onProgress: shown.set,
            }),
          );
          if (flags.json) io.stdout(json(report));
          else if (report.ok) {
            io.stdout(
              `ledger intact: ${report.checked} entries, tree size ${report.size}, root ${report.root}; ` +
                `${report.checkpoints} signed checkpoints, ${report.anchors} anchors, ` +
                `${report.cosignatures} cosignatures verified\n`,
            );
          } else {
            const bad = report.firstBad!;
            const where = [
              bad.table,
              bad.seq === undefined ? undefined : `entry ${bad.seq}`,
              bad.column === undefined ? undefined : `column ${bad.column}`,
            ]
              .filter(Boolean)
              .join(', ');
            io.stdout(
              `LEDGER BROKEN (${where}): ${bad.reason} (${report.checked} entries before it verify)\n`,
            );
          }
          setExit(report.ok ? EXIT_VALID : EXIT_INVALID);
        });
      },
    );

  ledger
    .command('checkpoint')
    .description('print the latest signed checkpoint (C2SP signed note, with witness cosignatures)')
    .argument('<url>', 'ledger URL')
    .addHelpText('after', `\nExample:\n  ect ledger checkpoint sqlite:./audit.db > kept.checkpoint`)
    .action(async (url: string) => {
      await withLedger(url, async (opened) => {
        const checkpoint = await opened.checkpoint();
        if (checkpoint === undefined)
          throw new ECTConfigError(
            'ledger',
            `the ledger at ${url} has no entries and so no checkpoint yet`,
          );
        io.stdout(checkpoint.note);
        setExit(EXIT_VALID);
      });
    });

  ledger
    .command('vkey')
    .description(
      "print the ledger's verifier key line (C2SP signed-note vkey of its checkpoint key)",
    )
    .argument('<url>', 'ledger URL')
    .addHelpText('after', `\nExample:\n  ect ledger vkey sqlite:./audit.db > ledger.vkey`)
    .action(async (url: string) => {
      await withLedger(url, async (opened) => {
        const vkey = await opened.vkey();
        if (vkey === undefined)
          throw new ECTConfigError(
            'ledger',
            `the ledger at ${url} has no key yet (nothing was recorded)`,
          );
        io.stdout(`${vkey}\n`);
        setExit(EXIT_VALID);
      });
    });

  ledger
    .command('prove')
    .description(
      'print the inclusion proof of one entry against the latest checkpoint (C2SP tlog-proof, LED-9)',
    )
    .argument('<url>', 'ledger URL')
    .requiredOption('--seq <n>', 'the sequence number of the entry (1 is the first)', parseSequence)
    .addHelpText(
      'after',
      `\nExample:\n  ect ledger prove sqlite:./audit.db --seq 42 > entry-42.tlog-proof`,
    )
    .action(async (url: string, flags: { seq: number }) => {
      await withLedger(url, async (opened) => {
        io.stdout(await opened.prove({ seq: flags.seq }));
        setExit(EXIT_VALID);
      });
    });

  ledger
    .command('consistency')
    .description(
      'print the RFC 9162 consistency proof between two tree sizes, one base64 hash a line (LED-10)',
    )
    .argument('<url>', 'ledger URL')
    .requiredOption('--from <size>', 'the older tree size (a number of entries)', parseTreeSize)
    .option('--to <size>', "the newer tree size (default: the ledger's size)", parseTreeSize)
    .addHelpText(
      'after',
      `\nExample:\n  ect ledger consistency sqlite:./audit.db --from 100 --to 250`,
    )
    .action(async (url: string, flags: { from: number; to?: number }) => {
      await withLedger(url, async (opened) => {
        const proof = await opened.proveConsistency({
          from: flags.from,
          ...(flags.to === undefined ? {} : { to: flags.to }),
        });
        io.stdout(proof.map((h) => `${encodeBase64Std(h)}\n`).join(''));
        setExit(EXIT_VALID);
      });
    });

  ledger
    .command('export')
    .description(
      'print entries as JSON lines (seq, level, token, the exact entry text, claims): one workflow with --wid, else every entry from --from on',
    )
    .argument('<url>', 'ledger URL')
    .option('--wid <id>', 'only this workflow')
    .option('--from <seq>', 'first sequence number (default 1)', parseSequence)
    .addHelpText(
      'after',
      `\nExample:\n  ect ledger export sqlite:./audit.db --wid 0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10`,
    )
    .action(async (url: string, flags: { wid?: string; from?: number }) => {
      await withLedger(url, async (opened) => {
        if (flags.wid !== undefined) {
          for (const entry of await opened.workflowEntries(flags.wid))
            io.stdout(`${JSON.stringify(exported(entry))}\n`);
        } else {
          const progress = { stream: io.progress, label: 'ledger export', unit: 'entries' };
          await withProgress(progress, async (shown) => {
            for await (const entry of opened.entries(flags.from ?? 1)) {
              io.stdout(`${JSON.stringify(exported(entry))}\n`);
              shown.add();
            }
          });
        }
        setExit(EXIT_VALID);
      });
    });

  ledger
    .command('migrate')
    .description(
      'upgrade a hash-chain ledger of the first release to the verifiable ledger, keeping every entry',
    )
    .argument('<url>', 'ledger URL: sqlite:PATH or postgres://…')
    .option('--ledger-key <file>', "the ledger's Ed25519 key (default: $ECT_LEDGER_KEY_FILE)")
    .option(
      '--ledger-origin <origin>',
      'the checkpoint origin, e.g. example.org/ect-ledger (default: $ECT_LEDGER_ORIGIN)',
    )
    .addHelpText(
      'after',
      `\nExample:\n  ect ledger migrate sqlite:./audit.db --ledger-key ledger.key.json --ledger-origin example.org/ect-ledger`,
    )
    .action(async (url: string, flags: { ledgerKey?: string; ledgerOrigin?: string }) => {
      const env = configFromEnv(io.env);
      const { keyFile, keySetting, origin } = ledgerFlags(flags, env);
      if (keyFile === undefined)
        throw new ECTConfigError(
          '--ledger-key',
          'the migration signs the first checkpoint: give the ledger key',
        );
      if (origin === undefined)
        throw new ECTConfigError(
          '--ledger-origin',
          'the migrated ledger needs a checkpoint origin',
        );
      const { parseLedgerUrl } = await import('../../stores/open.js');
      const location = parseLedgerUrl(url);
      if (location.kind === 'memory')
        throw new ECTConfigError('ledger URL', 'an in-memory ledger has nothing to migrate');
      const { migrateLedger } = await import('../../ledger/migrate.js');
      const result = await migrateLedger({
        location,
        key: readKeyFile(keyFile, keySetting),
        origin,
      });
      io.stdout(
        `migrated ${result.entries} entries; tree size ${result.entries}, root ${result.root}\n`,
      );
      setExit(EXIT_VALID);
    });
}
