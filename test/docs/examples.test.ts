/**
 * The scripts of examples/ run as they are: each is run with Node from the repository root, where
 * `import … from 'wimse-ect'` resolves to this package by self-reference (its built dist/, as
 * for a user who installed it), and its output is checked. Every script in the folder has a case.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const root = process.cwd();
const folder = join(root, 'examples');

/** What each script must print. */
const EXPECTED: Readonly<Record<string, readonly RegExp[]>> = {
  'create-and-verify.mjs': [
    /^verified: level 2, review_spec by spiffe:\/\/example\.org\/agent-a/m,
    /^presented again: ECT_REPLAY$/m,
  ],
  'http-verify.mjs': [
    /^200 checked place_order of spiffe:\/\/example\.org\/shop$/m,
    /^response ECT: check_order, follows the request: true$/m,
    /^without an ECT: 403 EXECUTION_CONTEXT_MISSING$/m,
  ],
  'sqlite-ledger.mjs': [
    /^recorded 3 tasks at level 3; the last is entry 3$/m,
    /^receipt verifies: entry 3 of a tree of 3$/m,
    /^ledger intact: true, 3 entries$/m,
  ],
  'evidence-bundle.mjs': [
    /^ok {3}entry 2: included; level 3; signature valid/m,
    /^bundle verified: 2 entries$/m,
  ],
};

describe('examples/ run as they are', () => {
  const scripts = readdirSync(folder)
    .filter((name) => name.endsWith('.mjs'))
    .sort();

  test('every script has expected output here, and the folder README lists it', () => {
    assert.deepEqual(scripts, Object.keys(EXPECTED).sort());
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    for (const script of scripts)
      assert.match(readme, new RegExp(`\\(${script.replace('.', '\\.')}\\)`));
  });

  for (const script of Object.keys(EXPECTED)) {
    test(`node examples/${script}`, () => {
      const source = readFileSync(join(folder, script), 'utf8');
      // Imported by the package's name, as a user would (never by a path into src/ or dist/).
      assert.match(source, /from 'wimse-ect'/);
      assert.doesNotMatch(source, /from '\.\.?\//);
      const run = spawnSync(process.execPath, [join('examples', script)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      for (const pattern of EXPECTED[script]!) assert.match(run.stdout, pattern);
    });
  }
});
