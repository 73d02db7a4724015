/**
 * Writing the files a command produces (key pairs, bundles) all or nothing. Each file is written
 * to a temporary file beside it, created with its final permissions and synced, and moved into
 * place only when every file of the command is written: a private key is never readable by
 * others, not even for a moment or when it replaces a file with looser permissions, and a
 * failure leaves every target as it was.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ECTConfigError } from '../errors.js';

/** One file to write. */
export interface NewFile {
  readonly path: string;
  readonly content: string;
  /** Permission bits of a new file (default 0o644; private keys 0o600). */
  readonly mode?: number;
  /** The option that named the path (`--out`), for messages. */
  readonly setting: string;
}

/** Options of `writeNewFiles`. */
export interface WriteNewFilesOptions {
  /** Replace existing files (default: an existing file is an error). */
  readonly force: boolean;
}

/** A file written to its temporary name, and the state of its target before the move. */
interface Staged {
  readonly file: NewFile;
  readonly temporary: string;
  /** A hard link to the file it replaces, to put back if a later move fails. */
  backup: string | undefined;
  placed: boolean;
}

function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function sibling(path: string, suffix: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.${suffix}`);
}

function removeQuietly(path: string | undefined): void {
  if (path === undefined) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to clean up.
  }
}

function writeError(file: NewFile, error: unknown): ECTConfigError {
  const reason = (error as Error).message;
  return new ECTConfigError(file.setting, `cannot write ${file.path}: ${reason}`, { cause: error });
}

/** Writes `content` to a new temporary file beside `file.path`, with its mode, synced. */
function stage(file: NewFile): Staged {
  const temporary = sibling(file.path, 'tmp');
  // 'wx': a new file, created with the final mode (never wider while it is written).
  const fd = openSync(temporary, 'wx', file.mode ?? 0o644);
  let written = false;
  try {
    writeFileSync(fd, file.content);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) removeQuietly(temporary);
  }
  return { file, temporary, backup: undefined, placed: false };
}

/** Moves a staged file into place: rename to replace, link to create (fails if one appeared). */
function place(staged: Staged, options: WriteNewFilesOptions): void {
  if (options.force) {
    if (statOf(staged.file.path) !== undefined) {
      staged.backup = sibling(staged.file.path, 'bak');
      try {
        linkSync(staged.file.path, staged.backup);
      } catch {
        staged.backup = undefined; // No hard links here: the replaced file cannot be put back.
      }
    }
    renameSync(staged.temporary, staged.file.path);
  } else {
    linkSync(staged.temporary, staged.file.path);
    unlinkSync(staged.temporary);
  }
  staged.placed = true;
}

/** Puts every target back as it was after a failed move. */
function rollBack(staged: readonly Staged[]): void {
  for (const entry of staged) {
    if (entry.placed && entry.backup !== undefined) renameSync(entry.backup, entry.file.path);
    else if (entry.placed) removeQuietly(entry.file.path);
    removeQuietly(entry.temporary);
    if (!entry.placed) removeQuietly(entry.backup);
  }
}

/**
 * Writes every file or none. Without `force` an existing file is an error (checked before
 * anything is written, and again atomically when each file is linked into place); a target that
 * is a folder is always an error. Throws `ECTConfigError` naming the option of the failing path.
 */
export function writeNewFiles(files: readonly NewFile[], options: WriteNewFilesOptions): void {
  for (const file of files) {
    const existing = statOf(file.path);
    if (existing?.isDirectory()) throw new ECTConfigError(file.setting, `${file.path} is a folder`);
    if (existing !== undefined && !options.force) {
      throw new ECTConfigError(file.setting, `${file.path} exists; pass --force to overwrite it`);
    }
  }
  const staged: Staged[] = [];
  for (const file of files) {
    try {
      staged.push(stage(file));
    } catch (error) {
      rollBack(staged);
      throw writeError(file, error);
    }
  }
  for (const entry of staged) {
    try {
      place(entry, options);
    } catch (error) {
      rollBack(staged);
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        const message = `${entry.file.path} exists; pass --force to overwrite it`;
        throw new ECTConfigError(entry.file.setting, message, { cause: error });
      }
      throw writeError(entry.file, error);
    }
  }
  for (const entry of staged) removeQuietly(entry.backup);
}
