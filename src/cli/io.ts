/**
 * The command line's contact with the outside: an `Io` object (so tests run commands in-process),
 * exit codes, and reading tokens and files. The process's standard output may be a pipe whose
 * reader goes away (`ect verify --batch F | head -1`): that ends the command quietly, here, once.
 * @module
 */
import { ECTConfigError } from '../errors.js';
import { readConfigFile } from '../config/env.js';
import { CLEAR_LINE, type ProgressStream } from './progress.js';
import { writeNewFiles } from './write-files.js';

/**
 * Exit codes of every command: 0 valid, 1 invalid, 2 usage or configuration, 3 operational
 * failure (a store that cannot be reached, an unexpected internal error): the token was not
 * judged, so 3 never means "invalid".
 */
export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
export const EXIT_OPERATIONAL = 3;

/** The exit codes as every command's `--help` lists them. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 valid, 1 invalid, 2 usage or configuration, 3 operational failure.';

// Error codes that say a store could not answer: an operational failure, not a verdict.
const OPERATIONAL_CODES: ReadonlySet<string> = new Set([
  'ECT_LEDGER_UNAVAILABLE',
  'ECT_REPLAY_STORE_UNAVAILABLE',
]);

/** Whether an error code says a store could not be reached or used (exit 3, not 1). */
export function isOperationalCode(code: string | null | undefined): boolean {
  return code !== null && code !== undefined && OPERATIONAL_CODES.has(code);
}

/** Where a command reads and writes. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly env: Record<string, string | undefined>;
  /**
   * Where long commands draw their progress (src/cli/progress.ts): the process's standard error,
   * drawn on only when it is a terminal. Absent (no progress) when commands run in-process.
   */
  readonly progress?: ProgressStream;
}

/**
 * Exit status of a command whose output reader went away: 128 + SIGPIPE, what a shell reports for
 * a program ended by that signal (`cat`, `grep`), visible under `set -o pipefail`.
 */
export const EXIT_OUTPUT_CLOSED = 141;

/** Thrown by the process's `Io.stdout` once the reader of standard output has gone (EPIPE). */
export class OutputClosedError extends Error {
  override readonly name = 'OutputClosedError';

  constructor() {
    super('standard output was closed by its reader');
  }
}

function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE';
}

/** The process's `Io`, which also says whether standard output's reader went away. */
export interface ProcessIo extends Io {
  readonly outputClosed: () => boolean;
}

/**
 * A writer to a process stream. The stream's `error` event is taken here, so a closed pipe never
 * becomes an uncaught EPIPE with a stack trace. On standard output the next write throws
 * `OutputClosedError`, which stops the command (stores are closed on the way out); on standard
 * error, where the command's last words go, the text is dropped.
 */
function streamWriter(
  stream: NodeJS.WriteStream,
  options: { readonly onClose: 'throw' | 'drop' },
): { write: (text: string) => void; closed: () => boolean } {
  let closed = false;
  let failure: Error | undefined;
  stream.on('error', (error: Error) => {
    if (!isBrokenPipe(error)) failure ??= error;
    else if (!closed) {
      closed = true;
      // A reader gone after the command's last write: report it as the shell would.
      if (options.onClose === 'throw') process.exitCode = EXIT_OUTPUT_CLOSED;
    }
  });
  const check = (): void => {
    // A write to a pipe fails synchronously on Linux: `errored` is set before the event fires.
    if (!closed && isBrokenPipe(stream.errored)) closed = true;
    if (failure !== undefined && options.onClose === 'throw') throw failure;
    if (closed && options.onClose === 'throw') throw new OutputClosedError();
  };
  return {
    write: (text) => {
      check();
      if (closed) return;
      stream.write(text);
      check();
    },
    closed: () => closed,
  };
}

/**
 * The process's own streams and environment. A progress line on the terminal is erased before
 * other text goes to the same terminal (the next progress update draws it again below).
 */
export function processIo(): ProcessIo {
  const out = streamWriter(process.stdout, { onClose: 'throw' });
  const err = streamWriter(process.stderr, { onClose: 'drop' });
  let progressShown = false;
  const progress: ProgressStream = {
    isTTY: process.stderr.isTTY === true,
    get columns(): number | undefined {
      return process.stderr.columns;
    },
    write: (text) => {
      err.write(text);
      progressShown = text !== CLEAR_LINE;
    },
  };
  const clearProgress = (terminal: boolean): void => {
    if (!progressShown || !terminal) return;
    progressShown = false;
    err.write(CLEAR_LINE);
  };
  return {
    stdout: (text) => {
      clearProgress(process.stdout.isTTY === true);
      out.write(text);
    },
    stderr: (text) => {
      clearProgress(true);
      err.write(text);
    },
    progress,
    outputClosed: out.closed,
    readStdin: async () => {
      if (process.stdin.isTTY)
        throw new ECTConfigError(
          'stdin',
          'nothing to read: pass the token as an argument or pipe it in',
        );
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
  };
}

/** A token from the argument, or from standard input for `-` or no argument. Surrounding white space is dropped. */
export async function readTokenArgument(arg: string | undefined, io: Io): Promise<string> {
  const raw = arg === undefined || arg === '-' ? await io.readStdin() : arg;
  const token = raw.trim();
  if (token.length === 0)
    throw new ECTConfigError(
      'TOKEN',
      'no token given (pass it as an argument, or - to read standard input)',
    );
  return token;
}

/** Lines of a file (or standard input for `-`), without empty lines and `#` comments. */
export async function readLines(source: string, io: Io, setting: string): Promise<string[]> {
  const text = source === '-' ? await io.readStdin() : readConfigFile(source, setting);
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/**
 * Writes a file atomically (see `writeNewFiles`); refuses to overwrite an existing one unless
 * `force` (nothing is lost by accident).
 */
export function writeNewFile(
  path: string,
  content: string,
  options: { force: boolean; mode?: number; setting: string },
): void {
  const file = { path, content, setting: options.setting };
  writeNewFiles([options.mode === undefined ? file : { ...file, mode: options.mode }], options);
}

/** Pretty JSON with a final newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
