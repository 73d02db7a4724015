/**
 * `ect keygen` writes its files together and atomically: a private key is mode 0600 also when it
 * replaces a file with looser permissions (`--force`), a failing second output (`--jwks-out`)
 * leaves every target as it was, and no temporary file is left behind.
 * @module
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { cli } from './run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ect-keygen-'));
});

/** Removes the test's folder after checking that nothing temporary is left in it. */
function leftovers(): string[] {
  const names = readdirSync(dir).filter((name) => name.startsWith('.'));
  rmSync(dir, { recursive: true, force: true });
  return names;
}

describe('ect keygen files', () => {
  test('--force over an existing 0644 file writes the private key with mode 0600', async () => {
    const key = join(dir, 'a.key.json');
    writeFileSync(key, 'old');
    chmodSync(key, 0o644);
    const r = await cli(['keygen', '--out', key, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal((JSON.parse(readFileSync(key, 'utf8')) as { kty: string }).kty, 'EC');
    assert.deepEqual(leftovers(), []);
  });

  test('a --jwks-out that cannot be written leaves no private key behind (exit 2)', async () => {
    const key = join(dir, 'a.key.json');
    const jwks = join(dir, 'missing', 'a.jwks.json');
    const r = await cli(['keygen', '--out', key, '--jwks-out', jwks]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--jwks-out: cannot write/);
    assert.equal(existsSync(key), false);
    assert.deepEqual(leftovers(), []);
  });

  test('with --force, a failing --jwks-out leaves the existing key untouched', async () => {
    const key = join(dir, 'a.key.json');
    writeFileSync(key, 'old key');
    chmodSync(key, 0o600);
    const jwks = join(dir, 'taken');
    mkdirSync(jwks);
    const r = await cli(['keygen', '--out', key, '--jwks-out', jwks, '--force']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--jwks-out: .* is a folder/);
    assert.equal(readFileSync(key, 'utf8'), 'old key');
    assert.deepEqual(leftovers(), []);
  });

  test('without --force, an existing --jwks-out is refused before the key is written', async () => {
    const key = join(dir, 'a.key.json');
    const jwks = join(dir, 'a.jwks.json');
    writeFileSync(jwks, '{"keys":[]}');
    const r = await cli(['keygen', '--out', key, '--jwks-out', jwks]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--jwks-out: .* exists; pass --force/);
    assert.equal(existsSync(key), false);
    assert.equal(readFileSync(jwks, 'utf8'), '{"keys":[]}');
    assert.deepEqual(leftovers(), []);
  });

  test('--force replaces both files together', async () => {
    const key = join(dir, 'a.key.json');
    const jwks = join(dir, 'a.jwks.json');
    writeFileSync(key, 'old');
    writeFileSync(jwks, 'old');
    const r = await cli(['keygen', '--out', key, '--jwks-out', jwks, '--force', '--kid', 'k2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(readFileSync(key, 'utf8')) as { kid: string }).kid, 'k2');
    assert.equal(
      (JSON.parse(readFileSync(jwks, 'utf8')) as { keys: { kid: string }[] }).keys[0]!.kid,
      'k2',
    );
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.deepEqual(leftovers(), []);
  });
});
