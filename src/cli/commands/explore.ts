/**
 * `ect explore LEDGER_URL` and `ect explore --bundle FILE`: the audit explorer, a local, read-only
 * web page over a ledger (opened without its key) or one evidence bundle. It prints its URL, and
 * on a non-loopback address the token it requires, then serves until SIGINT or SIGTERM.
 * @module
 */
import type { Command } from 'commander';
import { configFromEnv } from '../../config/env.js';
import { ECTConfigError } from '../../errors.js';
import { redactUrl } from '../../redact-url.js';
import { TlogError } from '../../tlog/errors.js';
import { ledgerVerifier } from '../../ledger/checkpoints.js';
import { parsePort } from '../args.js';
import { EXIT_VALID, type Io } from '../io.js';
import { listenForSignals } from '../signals.js';
import { keysFromFlags, openLedgerFromFlags } from '../verifier-options.js';
import { readVkey } from './ledger.js';

interface ExploreFlags {
  bundle?: string;
  host: string;
  port: number;
  jwks?: string;
  trust?: string;
  ledgerVkey?: string;
}

/** The auditor's ledger verifier key, checked now so a bad one is a usage error. */
function auditorVkey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const vkey = readVkey(value, '--ledger-vkey');
  try {
    ledgerVerifier(vkey);
  } catch (error) {
    if (error instanceof TlogError) throw new ECTConfigError('--ledger-vkey', error.message);
    throw error;
  }
  return vkey;
}

async function explore(url: string | undefined, flags: ExploreFlags, io: Io): Promise<void> {
  if ((url === undefined) === (flags.bundle === undefined)) {
    throw new ECTConfigError('explore', 'give a ledger URL or --bundle FILE (one of them)');
  }
  const keys = await keysFromFlags(flags, configFromEnv(io.env));
  const description =
    flags.trust !== undefined
      ? `trust configuration ${flags.trust}`
      : flags.jwks !== undefined
        ? `JWK Set ${flags.jwks}`
        : keys === undefined
          ? 'none given: token signatures are not checked (--jwks or --trust)'
          : 'from the environment (ECT_JWKS_FILE or ECT_TRUST)';
  const ledgerVkey = auditorVkey(flags.ledgerVkey);
  const { tokenChecker } = await import('../../explorer/server/token-check.js');
  const tokens = tokenChecker({ keys: keys?.source, description });
  const { explorerAssets } = await import('../../explorer/server/assets.js');
  await explorerAssets();
  const common = ledgerVkey === undefined ? {} : { ledgerVkey };
  let source;
  if (flags.bundle !== undefined) {
    const { bundleSource } = await import('../../explorer/server/bundle-source.js');
    source = bundleSource({
      file: flags.bundle,
      tokens,
      ...(keys === undefined ? {} : { keys: keys.source }),
      ...common,
    });
  } else {
    if (/^memory:/i.test(url!)) {
      throw new ECTConfigError(
        'ledger URL',
        'memory: is empty in a new process: nothing to explore',
      );
    }
    const ledger = await openLedgerFromFlags(url!, { mustExist: true });
    const { ledgerSource } = await import('../../explorer/server/ledger-source.js');
    const jwks = keys?.jwks === undefined ? {} : { jwks: keys.jwks };
    source = ledgerSource({ ledger, tokens, location: redactUrl(url!), ...jwks, ...common });
  }
  const { startExplorer } = await import('../../explorer/server/server.js');
  const signals = listenForSignals();
  try {
    const onError = (error: unknown): void =>
      io.stderr(`ect explore: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    const server = await startExplorer({
      source,
      host: flags.host,
      port: flags.port,
      onError,
    }).catch(async (error: unknown) => {
      await source.close();
      const where = `${flags.host}:${flags.port}`;
      throw new ECTConfigError('--port', `cannot listen on ${where}: ${(error as Error).message}`);
    });
    io.stdout(`url ${server.url}\n`);
    if (server.token !== undefined) {
      io.stdout(`token ${server.token}\nopen ${server.url}?token=${server.token}\n`);
      io.stderr(
        'ect explore: listening on a non-loopback address: the token is required and shown ' +
          'only now; traffic is plain HTTP (prefer an SSH tunnel to 127.0.0.1)\n',
      );
    }
    const signal = await signals.received;
    io.stderr(`ect explore: ${signal}, stopping\n`);
    await server.close();
  } finally {
    signals.dispose();
  }
}

export function registerExplore(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('explore')
    .description(
      'audit explorer: a local, read-only web page over a ledger or an evidence bundle, ' +
        'checking every proof in the browser',
    )
    .argument('[url]', 'ledger URL: sqlite:PATH or postgres://… (opened without its key)')
    .option('--bundle <file>', 'explore one evidence bundle instead of a ledger')
    .option(
      '--host <address>',
      'address to listen on (not loopback: a token is required)',
      '127.0.0.1',
    )
    .option('--port <n>', 'TCP port (0: a free one; the URL is printed)', parsePort, 0)
    .option('--jwks <file>', "the issuers' JWK Set: token signatures are checked with it")
    .option('--trust <file>', 'trust configuration: JWK sets per issuer, X.509 anchors')
    .option(
      '--ledger-vkey <vkey>',
      "the ledger's verifier key as you know it (or a file holding it); default: the ledger's own",
    )
    .addHelpText(
      'after',
      '\nPrints "url <URL>" on standard output (and "token <T>" and "open <URL>?token=<T>" on a\n' +
        'non-loopback address), then serves until SIGINT or SIGTERM. See docs/explorer.md.\n' +
        '\nExamples:\n  ect explore sqlite:./audit.db --jwks agents.jwks.json\n' +
        '  ect explore --bundle workflow.bundle.json --ledger-vkey ledger.vkey --port 7390\n',
    )
    .action(async (url: string | undefined, flags: ExploreFlags) => {
      await explore(url, flags, io);
      setExit(EXIT_VALID);
    });
}
