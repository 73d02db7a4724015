/**
 * The test servers themselves: a missing binary is named together with the Debian package that
 * provides it, instead of an obscure spawn error.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findBinary, startRedis } from '../helpers/servers.js';

describe('test servers', () => {
  it('a missing binary is named with the Debian package to install', () => {
    assert.throws(
      () => findBinary('no-such-server-binary', { debianPackage: 'no-such-package' }),
      /no-such-server-binary is not installed .*apt-get install no-such-package/,
    );
  });

  it('startRedis without redis-server on PATH says which package to install', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ect-empty-path-'));
    const path = process.env['PATH'];
    process.env['PATH'] = empty;
    try {
      await assert.rejects(
        startRedis(),
        /redis-server is not installed .*install the Debian package redis-server/,
      );
    } finally {
      process.env['PATH'] = path;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
