/**
 * `ect bundle export URL --wid ID --out FILE` and `ect bundle verify FILE --ledger-vkey VKEY`:
 * evidence bundles (LED-12), made from a ledger and checked offline (no database, no network).
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configFromEnv } from '../../config/env.js';
import { ECTConfigError } from '../../errors.js';
import { collect, parseTreeSize } from '../args.js';
import { EXIT_INVALID, EXIT_VALID, json, writeNewFile, type Io } from '../io.js';
import { withProgress } from '../progress.js';
import { keysFromFlags, openLedgerFromFlags } from '../verifier-options.js';
import { readVkey } from './ledger.js';

interface ExportFlags {
  wid: string;
  out: string;
  jwks?: string;
  trust?: string;
  force?: boolean;
}

interface VerifyFlags {
  ledgerVkey: string;
  witnessVkey?: string[];
  minWitnesses?: number;
  jwks?: string;
  trust?: string;
  json?: boolean;
}

export function registerBundle(program: Command, io: Io, setExit: (code: number) => void): void {
  const bundle = program
    .command('bundle')
    .description(
      'evidence bundles: a workflow with its proofs, checkpoint and keys, checked offline (LED-12)',
    );

  bundle
    .command('export')
    .description(
      "write one workflow's entries, inclusion proofs, cosigned checkpoint and issuer keys to a file",
    )
    .argument('<url>', 'ledger URL: sqlite:PATH or postgres://…')
    .requiredOption('--wid <id>', 'the workflow to export')
    .requiredOption('--out <file>', 'the bundle file to write')
    .option('--jwks <file>', "the issuers' JWK Set to carry along (public keys only are written)")
    .option('--trust <file>', 'a trust configuration (not carried along: the auditor gives it)')
    .option('--force', 'overwrite --out')
    .addHelpText(
      'after',
      `\nExample:\n  ect bundle export sqlite:./audit.db --wid 0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10 --out workflow.bundle.json --jwks agents.jwks.json`,
    )
    .action(async (url: string, flags: ExportFlags) => {
      const keys = await keysFromFlags(flags, configFromEnv(io.env));
      const ledger = await openLedgerFromFlags(url, { mustExist: true });
      try {
        const { exportBundle } = await import('../../bundle/export.js');
        const { formatBundle } = await import('../../bundle/format.js');
        const progress = { stream: io.progress, label: 'bundle export', unit: 'proofs' };
        const jwks = keys?.jwks === undefined ? {} : { jwks: keys.jwks };
        const made = await withProgress(progress, (shown) =>
          exportBundle({ ledger, wid: flags.wid, ...jwks, onProgress: shown.set }),
        );
        writeNewFile(flags.out, formatBundle(made), {
          force: flags.force === true,
          setting: '--out',
        });
        io.stderr(`wrote ${flags.out}: ${made.entries.length} entries of workflow ${flags.wid}\n`);
        setExit(EXIT_VALID);
      } finally {
        await ledger.close();
      }
    });

  bundle
    .command('verify')
    .description(
      'check a bundle offline: checkpoint signature, witnesses, every inclusion proof, every token at its recorded time, the DAG',
    )
    .argument('<file>', 'the bundle file')
    .requiredOption(
      '--ledger-vkey <vkey>',
      "the ledger's verifier key (or a file holding it), as you know it",
    )
    .option(
      '--witness-vkey <vkey>',
      'a witness cosignature key you trust (or a file; repeatable)',
      collect,
    )
    .option(
      '--min-witnesses <n>',
      'how many of them must have cosigned (default: all given)',
      parseTreeSize,
    )
    .option(
      '--jwks <file>',
      "the issuers' JWK Set (default: the keys in the bundle, reported as not trusted)",
    )
    .option(
      '--trust <file>',
      'trust configuration: JWK sets per issuer, X.509 anchors (docs/trust.md)',
    )
    .option('--json', 'print {"ok", "entries", "items": [...]}')
    .addHelpText(
      'after',
      `\nExamples:\n  ect bundle verify workflow.bundle.json --ledger-vkey ledger.vkey --jwks agents.jwks.json\n  ect bundle verify workflow.bundle.json --ledger-vkey ledger.vkey --witness-vkey w1.vkey --witness-vkey w2.vkey --min-witnesses 1 --json`,
    )
    .action(async (file: string, flags: VerifyFlags) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new ECTConfigError(
          'bundle',
          `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
      const witnessVkeys = (flags.witnessVkey ?? []).map((v) => readVkey(v, '--witness-vkey'));
      if (flags.minWitnesses !== undefined && flags.minWitnesses > witnessVkeys.length) {
        throw new ECTConfigError(
          '--min-witnesses',
          `asks for ${flags.minWitnesses} witnesses but ${witnessVkeys.length} --witness-vkey given`,
        );
      }
      const keys = await keysFromFlags(flags, {});
      const { verifyBundle } = await import('../../bundle/verify.js');
      const progress = { stream: io.progress, label: 'bundle verify', unit: 'entries' };
      const report = await withProgress(progress, (shown) =>
        verifyBundle({
          bundle: text,
          ledgerVkey: readVkey(flags.ledgerVkey, '--ledger-vkey'),
          witnessVkeys,
          ...(flags.minWitnesses === undefined ? {} : { minWitnesses: flags.minWitnesses }),
          ...(keys === undefined ? {} : { keys: keys.source }),
          onProgress: shown.set,
        }),
      );
      if (flags.json) io.stdout(json(report));
      else {
        for (const item of report.items) {
          const mark = !item.ok ? 'FAIL' : item.warning ? 'WARN' : 'ok  ';
          const where = item.seq === undefined ? item.item : `${item.item} ${item.seq}`;
          io.stdout(
            `${mark} ${where}: ${item.code === undefined ? '' : `${item.code}: `}${item.message}\n`,
          );
        }
        io.stdout(
          report.ok ? `bundle verified: ${report.entries} entries\n` : 'BUNDLE DOES NOT VERIFY\n',
        );
      }
      setExit(report.ok ? EXIT_VALID : EXIT_INVALID);
    });
}
