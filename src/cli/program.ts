/**
 * The `ect` program: its commands, and the translation of every outcome into an exit code
 * (0 valid, 1 invalid, 2 usage or configuration, 3 operational failure) and a message without a
 * stack trace. This is the one place where thrown errors become exit codes.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { ECTConfigError, isECTError } from '../errors.js';
import { optionalPackageError } from '../optional.js';
import { registerCreate } from './commands/create.js';
import { registerDag } from './commands/dag.js';
import { registerDemo } from './commands/demo.js';
import { registerExplore } from './commands/explore.js';
import { registerInspect } from './commands/inspect.js';
import { registerKeygen } from './commands/keygen.js';
import { registerLedger } from './commands/ledger.js';
import { registerVerify } from './commands/verify.js';
import { registerBundle } from './commands/bundle.js';
import { registerWitness } from './commands/witness.js';
import {
  EXIT_CODES_HELP,
  EXIT_INVALID,
  EXIT_OPERATIONAL,
  EXIT_OUTPUT_CLOSED,
  EXIT_USAGE,
  EXIT_VALID,
  isOperationalCode,
  OutputClosedError,
  type Io,
} from './io.js';

/** Registers one command on the program. */
export type CommandRegistrar = (program: Command, io: Io, setExit: (code: number) => void) => void;

const COMMANDS: readonly CommandRegistrar[] = [
  registerKeygen,
  registerCreate,
  registerVerify,
  registerInspect,
  registerDag,
  registerLedger,
  registerBundle,
  registerWitness,
  registerExplore,
  registerDemo,
];

/**
 * A writer that keeps at most one blank line between the pieces written through it (commander
 * writes a help text, its `after` text and the exit codes separately, each with its own breaks).
 */
function oneBlankLine(write: (text: string) => void): (text: string) => void {
  let trailing = 0;
  return (text) => {
    const lead = /^\n*/.exec(text)![0].length;
    const keep = Math.max(0, Math.min(lead, 2 - trailing));
    const out = '\n'.repeat(keep) + text.slice(lead).replace(/\n{3,}/g, '\n\n');
    if (out.length === 0) return;
    const end = /\n*$/.exec(out)![0].length;
    trailing = end === out.length ? trailing + end : end;
    write(out);
  };
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('ect')
    .description(
      'Execution Context Tokens (draft-nennemann-wimse-ect-01): create, verify, inspect, audit',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    // Help is written in pieces (command, examples, exit codes): one blank line between them.
    .configureOutput({ writeOut: oneBlankLine(io.stdout), writeErr: io.stderr })
    .addHelpText(
      'after',
      '\nEnvironment: ECT_ISSUER, ECT_AUDIENCE, ECT_KEY_FILE, ECT_JWKS_FILE, ECT_MIN_LEVEL, … (see the README).',
    )
    // 'afterAll': the help of the program and of every command and subcommand.
    .addHelpText('afterAll', `\n${EXIT_CODES_HELP}`);
  for (const register of COMMANDS) register(program, io, setExit);
  return program;
}

/** Runs the command line on `argv` (without the node and script paths); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT_VALID;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // The reader of the output went away (`| head`): stop quietly, as a shell expects.
    if (error instanceof OutputClosedError) return EXIT_OUTPUT_CLOSED;
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with exit code 0; usage mistakes are 2.
      return error.exitCode === 0 ? EXIT_VALID : EXIT_USAGE;
    }
    // A driver imported statically by a backend arrives as a resolution error: same one line.
    const config = error instanceof ECTConfigError ? error : optionalPackageError(error);
    if (config !== undefined) {
      io.stderr(`ect: ${config.message}\n`);
      return EXIT_USAGE;
    }
    if (isECTError(error)) {
      io.stderr(`ect: ${error.code}: ${error.message}\n`);
      // A store that could not be opened or used judged no token: operational, not invalid.
      return isOperationalCode(error.code) ? EXIT_OPERATIONAL : EXIT_INVALID;
    }
    const detail = io.env['ECT_DEBUG']
      ? `\n${(error as Error)?.stack ?? String(error)}`
      : ' (set ECT_DEBUG=1 for details)';
    io.stderr(`ect: unexpected error: ${(error as Error)?.message ?? String(error)}${detail}\n`);
    return EXIT_OPERATIONAL;
  }
}
