/**
 * `ect witness serve` (a tlog witness, c2sp.org/tlog-witness, cosigning the checkpoints of the
 * logs it knows with an Ed25519 cosignature/v1 key) and `ect witness vkey` (the verifier key
 * clients pin for it). The known logs and the latest cosigned checkpoints live in a SQLite state
 * file, so a restart keeps both.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { readKeyFile } from '../../config/env.js';
import { importPrivateKey, jwkThumbprint } from '../../crypto/keys.js';
import { ECTConfigError } from '../../errors.js';
import { cosignatureSigner, cosignatureVerifierKey } from '../../tlog/cosignature.js';
import { TlogError } from '../../tlog/errors.js';
import { isValidKeyName, parseVerifierKey } from '../../tlog/note.js';
import { startWitnessServer } from '../../witness/server.js';
import { openWitnessState } from '../../witness/state.js';
import { collect, parsePort } from '../args.js';
import { EXIT_VALID, type Io } from '../io.js';
import { listenForSignals } from '../signals.js';

interface KeyFlags {
  key: string;
  name?: string;
}

interface ServeFlags extends KeyFlags {
  state: string;
  port: number;
  host: string;
  log?: string[];
}

/** The witness key (Ed25519) and its cosigner name (default: from the key's thumbprint). */
function witnessKey(flags: KeyFlags): { privateKey: KeyObject; name: string } {
  const privateKey = importPrivateKey(readKeyFile(flags.key, '--key'), '--key');
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    const type = privateKey.asymmetricKeyType ?? 'unknown';
    const hint = 'ect keygen --alg EdDSA';
    throw new ECTConfigError('--key', `a witness key is Ed25519 (${hint}), not ${type}`);
  }
  const name = flags.name ?? `ect-witness/${jwkThumbprint(privateKey)}`;
  if (!isValidKeyName(name)) {
    throw new ECTConfigError('--name', `${JSON.stringify(name)} is empty or holds a space or +`);
  }
  return { privateKey, name };
}

/** The path of a `sqlite:PATH` state URL. */
function statePath(url: string): string {
  if (!url.startsWith('sqlite:') || url.length === 'sqlite:'.length) {
    throw new ECTConfigError('--state', `expected sqlite:PATH, got ${JSON.stringify(url)}`);
  }
  return url.slice('sqlite:'.length);
}

/** Each `--log` vkey with its origin (the key name, which a log's key name should match). */
function logKeys(vkeys: readonly string[]): { origin: string; vkey: string }[] {
  return vkeys.map((vkey) => {
    try {
      return { origin: parseVerifierKey({ vkey }).name, vkey };
    } catch (error) {
      if (error instanceof TlogError) throw new ECTConfigError('--log', error.message);
      throw error;
    }
  });
}

async function serve(flags: ServeFlags, io: Io): Promise<void> {
  const { privateKey, name } = witnessKey(flags);
  const path = statePath(flags.state);
  const logs = logKeys(flags.log ?? []);
  const state = await openWitnessState({ path });
  const signals = listenForSignals();
  try {
    for (const log of logs) state.addLog(log);
    const origins = [...new Set(state.logs().map((log) => log.origin))];
    const cosigner = cosignatureSigner({ name, privateKey });
    const onError = (error: unknown): void =>
      io.stderr(`ect witness: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    const server = await startWitnessServer({
      host: flags.host,
      port: flags.port,
      cosigner,
      state,
      onError,
    }).catch((error: unknown) => {
      const message = (error as Error).message;
      const where = `${flags.host}:${flags.port}`;
      throw new ECTConfigError('--port', `cannot listen on ${where}: ${message}`);
    });
    const vkey = cosignatureVerifierKey({ name, publicKey: privateKey });
    io.stdout(`url ${server.url}\nvkey ${vkey}\n`);
    io.stderr(
      origins.length === 0
        ? 'ect witness: no log is known yet, so every checkpoint is answered 404 Not Found ' +
            `until a log's vkey is given with --log VKEY; state ${path}\n`
        : `ect witness: cosigning for ${origins.join(', ')}; state ${path}\n`,
    );
    const signal = await signals.received;
    io.stderr(`ect witness: ${signal}, stopping\n`);
    await server.close();
  } finally {
    signals.dispose();
    state.close();
  }
}

export function registerWitness(program: Command, io: Io, setExit: (code: number) => void): void {
  const witness = program
    .command('witness')
    .description('a tlog witness (c2sp.org/tlog-witness): cosign checkpoints of known logs');

  witness
    .command('serve')
    .description('serve add-checkpoint and the latest cosigned checkpoints until SIGINT or SIGTERM')
    .requiredOption('--key <file>', 'Ed25519 private key (JWK as `ect keygen --alg EdDSA` writes)')
    .requiredOption('--state <url>', 'state database, sqlite:PATH (created when missing)')
    .requiredOption('--port <n>', 'TCP port (0: a free one; the URL is printed)', parsePort)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', 'cosigner name (default: ect-witness/<key thumbprint>)')
    .option(
      '--log <vkey>',
      'vkey of a log to cosign for; its name is the origin (repeatable; kept in the state)',
      collect,
    )
    .addHelpText(
      'after',
      '\nPrints "url <URL>" and "vkey <cosigner verifier key>" on standard output.\n' +
        '\nExample:\n  ect keygen --alg EdDSA --out witness.key.json\n' +
        '  ect witness serve --key witness.key.json --state sqlite:./witness.db --port 7380 \\\n' +
        '    --name witness.example/w1 --log example.com/log+1f2e3d4c+AXYZ…\n',
    )
    .action(async (flags: ServeFlags) => {
      await serve(flags, io);
      setExit(EXIT_VALID);
    });

  witness
    .command('vkey')
    .description('print the cosignature verifier key (vkey, type 0x04) of a witness key')
    .requiredOption('--key <file>', 'Ed25519 private key (JWK)')
    .option('--name <name>', 'cosigner name (default: ect-witness/<key thumbprint>)')
    .addHelpText(
      'after',
      '\nExample:\n  ect witness vkey --key witness.key.json --name witness.example/w1\n',
    )
    .action((flags: KeyFlags) => {
      const { privateKey, name } = witnessKey(flags);
      io.stdout(`${cosignatureVerifierKey({ name, publicKey: privateKey })}\n`);
      setExit(EXIT_VALID);
    });
}
