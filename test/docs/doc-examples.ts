/**
 * The documents' examples as programs, for the tests that run them as written: the ```ts blocks of
 * a Markdown file, and one run of a block with `wimse-ect` and its subpaths pointed at the sources
 * that package.json `exports` builds dist/ from (`exports[subpath].types`, ./dist/ → src/ and
 * .d.ts → .ts), so that no build is needed. A block runs as a file of its own under tmp/, from the
 * repository root, with Node and tsx, and the file is removed afterwards.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const root: string = fileURLToPath(new URL('../..', import.meta.url));

/** What a run of an example gave. */
export interface ExampleRun {
  /** The exit code (`null` when the run was stopped: a signal or the timeout). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The ```ts blocks of a Markdown file (a path relative to the repository root), in order. */
export function tsBlocks(markdown: string): string[] {
  const text = readFileSync(join(root, markdown), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** `wimse-ect/x` → the file URL of the source package.json `exports` builds dist/x from. */
export function sourceOf(specifier: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string }>;
  };
  const subpath = specifier === 'wimse-ect' ? '.' : `./${specifier.slice('wimse-ect/'.length)}`;
  const target = manifest.exports[subpath];
  if (typeof target !== 'object') throw new Error(`package.json exports no ${specifier}`);
  const source = target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
  return pathToFileURL(join(root, source)).href;
}

/** The code with every `from 'wimse-ect…'` import pointed at the sources. */
export function withSources(code: string): string {
  const mapped = code.replace(
    /from (['"])(wimse-ect(?:\/[a-z0-9-]+)?)\1/g,
    (_all, quote: string, specifier: string) => `from ${quote}${sourceOf(specifier)}${quote}`,
  );
  if (/(['"])wimse-ect(?:\/[^'"]*)?\1/.test(mapped))
    throw new Error('an import of wimse-ect is left that this helper does not rewrite');
  return mapped;
}

/**
 * Runs one example: written to `<root>/tmp/<name>-<pid>-<n>.mts`, run with this Node and tsx
 * from the repository root, then removed.
 */
export function runExample(
  code: string,
  options: { readonly name: string; readonly n: number; readonly timeout?: number },
): ExampleRun {
  const dir = join(root, 'tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${options.name}-${process.pid}-${options.n}.mts`);
  writeFileSync(file, withSources(code));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: options.timeout ?? 60_000,
    });
    const stopped = run.error === undefined ? '' : `\n${run.error.message}`;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr + stopped };
  } finally {
    rmSync(file, { force: true });
  }
}
