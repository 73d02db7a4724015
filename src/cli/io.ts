/**
 * The command line's contact with the outside: an `Io` object (so tests run commands in-process),
 * exit codes, and reading tokens and files.
 * @module
 */
import { existsSync, writeFileSync } from 'node:fs';
import { ECTConfigError } from '../errors.js';
import { readConfigFile } from '../config/env.js';

/** Exit codes of every command: 0 valid, 1 invalid, 2 usage error. */
export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Where a command reads and writes. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly env: Record<string, string | undefined>;
}

/** The process's own streams and environment. */
export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      if (process.stdin.isTTY) throw new ECTConfigError('stdin', 'nothing to read: pass the token as an argument or pipe it in');
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
  if (token.length === 0) throw new ECTConfigError('TOKEN', 'no token given (pass it as an argument, or - to read standard input)');
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

/** Writes a file; refuses to overwrite an existing one unless `force` (nothing is lost by accident). */
export function writeNewFile(path: string, content: string, options: { force: boolean; mode?: number; setting: string }): void {
  if (!options.force && existsSync(path)) throw new ECTConfigError(options.setting, `${path} exists; pass --force to overwrite it`);
  try {
    writeFileSync(path, content, { mode: options.mode ?? 0o644 });
  } catch (error) {
    throw new ECTConfigError(options.setting, `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Pretty JSON with a final newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
