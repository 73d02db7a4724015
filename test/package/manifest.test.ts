/**
 * The published manifest (package.json): the package's name, its two commands, where it lives.
 * What the manifest promises about the packed tarball is tested in pack.test.ts.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

interface Manifest {
  readonly name: string;
  readonly bin: Readonly<Record<string, string>>;
  readonly repository: { readonly type: string; readonly url: string };
  readonly homepage: string;
  readonly bugs: { readonly url: string };
  readonly scripts: Readonly<Record<string, string>>;
}

const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as Manifest;

test('the package is wimse-ect; its command ect, and wimse-ect runs the same file', () => {
  assert.equal(manifest.name, 'wimse-ect');
  assert.deepEqual(Object.keys(manifest.bin).sort(), ['ect', 'wimse-ect']);
  assert.equal(manifest.bin['ect'], manifest.bin['wimse-ect']);
});

test('repository, homepage and bugs point at the project', () => {
  assert.equal(manifest.repository.type, 'git');
  assert.equal(manifest.repository.url, 'git+https://github.com/wimse-ect/wimse-ect.git');
  assert.equal(manifest.homepage, 'https://github.com/wimse-ect/wimse-ect#readme');
  assert.equal(manifest.bugs.url, 'https://github.com/wimse-ect/wimse-ect/issues');
});

test('the documentation imports the package by its name, wimse-ect', () => {
  for (const file of ['README.md', 'docs/trust.md']) {
    const text = readFileSync(join(process.cwd(), file), 'utf8');
    assert.doesNotMatch(text, /from 'ect(\/[a-z]+)?'/, `${file} imports 'ect'`);
    assert.doesNotMatch(text, /`ect\/[a-z]+`/, `${file} names an ect/ subpath`);
  }
});

test('no prepare script: prepack builds (a clean dist/), and npm run demo builds first', () => {
  assert.equal(manifest.scripts['prepare'], undefined);
  assert.match(manifest.scripts['prepack']!, /npm run clean && npm run build/);
  assert.match(manifest.scripts['demo']!, /^npm run build && node dist\/cli\/main\.js demo$/);
});

test('the build writes no source maps (they would point at src/, which is not shipped)', () => {
  const build = JSON.parse(readFileSync(join(process.cwd(), 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  assert.equal(build.compilerOptions['sourceMap'], false);
  assert.equal(build.compilerOptions['declarationMap'], false);
});
