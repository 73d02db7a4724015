/**
 * The package as users get it: `npm pack` of the built dist/ into a temporary folder, and projects
 * there that install the tarball from the registry's point of view. Packing skips the lifecycle
 * scripts (`npm test` builds before it runs the tests; a second build here would race other test
 * files reading dist/).
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository (tests run from its root). */
export const ROOT = process.cwd();

/** One packed tarball, described by `npm pack --json`. */
export interface Packed {
  /** The temporary folder holding the tarball and the projects. */
  readonly dir: string;
  readonly tarball: string;
  /** Paths inside the package, e.g. `dist/index.js`. */
  readonly files: readonly string[];
  /** Compressed and unpacked size, bytes. */
  readonly size: number;
  readonly unpackedSize: number;
  /** Removes the temporary folder. */
  cleanup(): void;
}

/** Runs a command and returns its outcome (never throws for a non-zero exit). */
export function run(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly input?: string },
): SpawnSyncReturns<string> {
  // No audit or funding requests; packages already in npm's cache are used without asking again.
  const quiet = {
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_prefer_offline: 'true',
  };
  return spawnSync(command, [...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, ...quiet },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs npm and fails the test with its output when it does not succeed. */
export function npm(args: readonly string[], options: { readonly cwd: string }): string {
  const result = run('npm', args, options);
  assert.equal(result.status, 0, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Packs the repository's built package into a new temporary folder. */
export function pack(): Packed {
  assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'no dist/: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'wimse-ect-pack-'));
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  interface PackFile {
    readonly path: string;
  }
  type PackInfo = { filename: string; size: number; unpackedSize: number; files: PackFile[] };
  const [info] = JSON.parse(out) as PackInfo[];
  assert.ok(info);
  return {
    dir,
    tarball: join(dir, info.filename),
    files: info.files.map((file) => file.path),
    size: info.size,
    unpackedSize: info.unpackedSize,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Options of `installProject`. */
export interface InstallOptions {
  /** Members added to the project's package.json, e.g. `{ type: 'commonjs' }`. */
  readonly manifest?: Readonly<Record<string, unknown>>;
  /** Packages installed alongside, e.g. optional peers. */
  readonly with?: readonly string[];
}

/**
 * A new project folder in `packed.dir` that depends on the tarball, installed as a user would
 * (`--omit=dev`: no optional peers, nothing of this repository's development tools), plus the
 * packages named in `with`.
 */
export function installProject(packed: Packed, name: string, options: InstallOptions = {}): string {
  const dir = join(packed.dir, name);
  mkdirSync(dir);
  const json = { name, version: '1.0.0', private: true, ...options.manifest };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(json, null, 2));
  const extra = options.with ?? [];
  // Packages installed alongside skip their install scripts (no native build of better-sqlite3:
  // its JavaScript loads without it, which is all a require() test needs).
  const scripts = extra.length > 0 ? ['--ignore-scripts'] : [];
  const args = ['install', '--omit=dev', '--no-package-lock', ...scripts, packed.tarball, ...extra];
  npm(args, { cwd: dir });
  return dir;
}
