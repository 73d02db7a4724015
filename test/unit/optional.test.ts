/**
 * Optional peer packages (src/optional.ts): loaded when a feature needs one, and a package that is
 * not installed is an ECTConfigError naming it and the install command. The absence here is real:
 * a name no registry package has goes through the same resolution as better-sqlite3 would. The
 * five real names are tested absent in an installed tarball (test/package/pack.test.ts).
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ECTConfigError } from '../../src/errors.js';
import {
  isInstalled,
  loadOptional,
  optionalPackageError,
  requireOptional,
  OPTIONAL_PACKAGES,
  type OptionalPackage,
} from '../../src/optional.js';

const ABSENT = 'wimse-ect-test-absent-package' as OptionalPackage;

test('loadOptional returns an installed package (the peers are devDependencies here)', async () => {
  const pg = await loadOptional({ name: 'pg' });
  assert.equal(typeof pg.default.Pool, 'function');
  const redis = await loadOptional({ name: 'redis' });
  assert.equal(typeof redis.createClient, 'function');
  const sqlite = await loadOptional({ name: 'better-sqlite3' });
  assert.equal(typeof sqlite.default, 'function');
  assert.equal(isInstalled({ name: 'better-sqlite3' }), true);
});

test('a package not installed: ECTConfigError naming it and how to install it', async () => {
  const error = await loadOptional({ name: ABSENT, feature: 'the test feature' }).then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ECTConfigError);
  assert.equal(error.setting, ABSENT);
  assert.match(error.message, /not installed; the test feature needs it/);
  assert.match(error.message, new RegExp(`npm install ${ABSENT}$`));
  assert.doesNotMatch(error.message, /\n/, 'one line');
  assert.equal((error.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
  assert.equal(isInstalled({ name: ABSENT }), false);
});

test('optionalPackageError recognises only a missing optional package', async () => {
  const real = await import(ABSENT).then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.equal(optionalPackageError(real), undefined, 'not one of the optional peers');
  assert.equal(optionalPackageError(new Error('boom')), undefined);
  const names = ['better-sqlite3', 'pg', 'redis', 'express', 'fastify', 'hono'];
  names.push('@modelcontextprotocol/sdk', '@opentelemetry/api', '@a2a-js/sdk');
  assert.deepEqual(Object.keys(OPTIONAL_PACKAGES), names);
});

test('the MCP SDK loads by its types subpath (no root entry); OTel API by require', async () => {
  const mcp = await loadOptional({ name: '@modelcontextprotocol/sdk' });
  assert.equal(typeof mcp.CallToolResultSchema.parse, 'function');
  assert.equal(isInstalled({ name: '@modelcontextprotocol/sdk' }), true);
  const api = requireOptional({ name: '@opentelemetry/api' });
  assert.equal(typeof api.trace.getTracer, 'function');
  const error = (() => {
    try {
      requireOptional({ name: ABSENT, feature: 'the test feature' });
    } catch (caught) {
      return caught;
    }
    return assert.fail('loaded');
  })();
  assert.ok(error instanceof ECTConfigError);
  assert.match(error.message, new RegExp(`npm install ${ABSENT}$`));
});
