/**
 * The API reference (`npm run docs`, typedoc.json): typedoc builds it from the doc comments
 * without a warning (`--treatWarningsAsErrors`: every export documented, every referenced type
 * exported, every link resolved); every public export of every entry point in package.json
 * `exports` has an `@example`; and every example compiles against the package's own types,
 * importing it by name as a user would.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';

const root = process.cwd();

interface CommentPart {
  readonly kind: string;
  readonly text: string;
}
interface BlockTag {
  readonly tag: string;
  readonly content: readonly CommentPart[];
}
interface Comment {
  readonly summary?: readonly CommentPart[];
  readonly blockTags?: readonly BlockTag[];
}
interface Reflection {
  readonly name: string;
  readonly kind: number;
  readonly comment?: Comment;
  readonly signatures?: readonly { readonly comment?: Comment }[];
  readonly children?: readonly Reflection[];
  readonly sources?: readonly { readonly fileName: string; readonly line: number }[];
}

/** typedoc's ReflectionKind.Reference: a re-export of something documented elsewhere. */
const REFERENCE = 4194304;

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string }>;
  scripts: Record<string, string>;
};
const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as {
  entryPoints: string[];
  out: string;
};

/** The source file of each subpath in package.json `exports` (dist/x.d.ts comes from src/x.ts). */
function entrySources(): Map<string, string> {
  const map = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const source = target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
    map.set(subpath === '.' ? 'wimse-ect' : `wimse-ect/${subpath.slice(2)}`, source);
  }
  return map;
}

let work: string;
let project: { children?: readonly Reflection[] };
let typedocRun: { status: number | null; output: string };

before(() => {
  work = mkdtempSync(join(tmpdir(), 'ect-api-docs-'));
  const bin = join(root, 'node_modules', '.bin', 'typedoc');
  const json = join(work, 'api.json');
  const args = ['--treatWarningsAsErrors', '--out', join(work, 'html'), '--json', json];
  const run = spawnSync(bin, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  typedocRun = { status: run.status, output: `${run.stdout}${run.stderr}` };
  project = run.status === 0 ? (JSON.parse(readFileSync(json, 'utf8')) as typeof project) : {};
});
after(() => rmSync(work, { recursive: true, force: true }));

function commentOf(reflection: Reflection): Comment | undefined {
  return reflection.comment ?? reflection.signatures?.find((s) => s.comment)?.comment;
}

function examplesOf(reflection: Reflection): string[] {
  const tags = commentOf(reflection)?.blockTags ?? [];
  return tags.filter((t) => t.tag === '@example').map((t) => t.content.map((p) => p.text).join(''));
}

/** Every exported declaration of every entry point, once (re-exports are references). */
function exported(): Reflection[] {
  const seen = new Set<string>();
  const list: Reflection[] = [];
  for (const module of project.children ?? []) {
    for (const child of module.children ?? []) {
      if (child.kind === REFERENCE) continue;
      const source = child.sources?.[0];
      const id = `${source?.fileName}:${source?.line}:${child.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      list.push(child);
    }
  }
  return list;
}

describe('API reference (typedoc)', () => {
  test('npm run docs runs typedoc into a git-ignored folder', () => {
    assert.equal(manifest.scripts['docs'], 'typedoc');
    const inside = `${config.out}/index.html`;
    const ignored = spawnSync('git', ['check-ignore', '-q', inside], { cwd: root });
    assert.equal(ignored.status, 0, `${config.out} is git-ignored`);
  });

  test("typedoc's entry points are the package's exports", () => {
    assert.deepEqual([...config.entryPoints].sort(), [...entrySources().values()].sort());
  });

  test('typedoc builds the reference without a warning (--treatWarningsAsErrors)', () => {
    assert.equal(typedocRun.status, 0, typedocRun.output);
  });

  test('every public export has a doc comment with an @example', () => {
    assert.equal(typedocRun.status, 0, 'typedoc failed');
    const missing = exported()
      .filter((r) => examplesOf(r).length === 0)
      .map((r) => `${r.sources?.[0]?.fileName ?? '?'}: ${r.name}`);
    assert.deepEqual(missing, [], `exports without an @example:\n${missing.join('\n')}`);
  });

  test('every @example compiles, importing the package by name', () => {
    assert.equal(typedocRun.status, 0, 'typedoc failed');
    const dir = join(root, 'tmp', `api-examples-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const files = new Map<string, string>();
      for (const reflection of exported()) {
        examplesOf(reflection).forEach((example, i) => {
          const code = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(example)?.[1];
          if (code === undefined) return;
          const file = join(dir, `${reflection.name}-${i + 1}.ts`);
          // A module of its own (top-level await, no shared names), even without an import.
          writeFileSync(file, `${code}\nexport {};\n`);
          files.set(file, `${reflection.sources?.[0]?.fileName}: ${reflection.name}`);
        });
      }
      assert.ok(files.size > 100, `only ${files.size} examples found`);
      // 'wimse-ect' and its subpaths resolve to the sources, as the package's exports map them.
      const paths: Record<string, string[]> = {};
      for (const [name, source] of entrySources()) paths[name] = [join(root, source)];
      const parsed = ts.getParsedCommandLineOfConfigFile(
        join(root, 'tsconfig.json'),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: () => undefined,
        },
      );
      assert.ok(parsed);
      const options = {
        ...parsed.options,
        noEmit: true,
        paths,
        noUnusedLocals: false,
        noUnusedParameters: false,
      };
      const program = ts.createProgram({ rootNames: [...files.keys()], options });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file !== undefined && files.has(d.file.fileName))
        .map((d) => {
          const where = files.get(d.file!.fileName);
          const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1;
          const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
          return `${where} (example line ${line}, ${relative(root, d.file!.fileName)}): ${message}`;
        });
      assert.deepEqual(problems, [], problems.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
