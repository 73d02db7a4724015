/**
 * The architecture holds: no import cycle between the modules of src/, nor between its folders
 * (a lower layer never imports a higher one). A top-level file (errors.ts, settings.ts, …) counts
 * as its own node, and the explorer's server and browser code as two folders.
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports and re-exports of a file, as source paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gm);
  return [...found].map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'));
}

/** The folder a file belongs to (src/explorer splits into server and web). */
function nodeOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return parts[0]!;
  return parts[0] === 'explorer' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Every cycle reachable in `graph`, each as a path that returns to its start. */
function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open')
        found.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

function graphs(): { files: Map<string, Set<string>>; folders: Map<string, Set<string>> } {
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const deps = new Set(importsOf(file));
    files.set(file, deps);
    for (const dep of deps) {
      const [from, to] = [nodeOf(file), nodeOf(dep)];
      if (from === to) continue;
      if (!folders.has(from)) folders.set(from, new Set());
      folders.get(from)!.add(to);
    }
  }
  return { files, folders };
}

test('no import cycle between the modules of src/', () => {
  const { files } = graphs();
  assert.ok(files.size > 100, 'the sources were found');
  assert.deepEqual(cyclesOf(files), []);
});

test('no import cycle between the folders of src/', () => {
  const { folders } = graphs();
  assert.ok(folders.get('ledger')?.has('tlog'), 'folder edges were found');
  assert.deepEqual(cyclesOf(folders), []);
});

test('the cycle finder finds a cycle (so that the tests above can fail)', () => {
  const graph = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
  ]);
  assert.deepEqual(cyclesOf(graph), ['a → b → c → a']);
});
