import { strict as assert } from 'node:assert';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { configFromEnv, ENV_VARIABLES } from '../../src/config/env.js';
import { ECTConfigError } from '../../src/errors.js';
import { jwksOf, keyPair } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function refused(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => configFromEnv(env),
    (error: unknown) => {
      assert.ok(error instanceof ECTConfigError, `expected ECTConfigError, got ${String(error)}`);
      assert.equal(error.setting, variable);
      assert.ok(error.message.startsWith(`${variable}: `));
      return true;
    },
    `${JSON.stringify(env)} should be refused`,
  );
}

describe('configuration from ECT_* variables', () => {
  test('the core variables are documented in ENV_VARIABLES', () => {
    const core = [
      'ECT_ACCEPT_LEGACY',
      'ECT_ALGORITHMS',
      'ECT_AUDIENCE',
      'ECT_CLOCK_TOLERANCE',
      'ECT_DEFAULT_TTL',
      'ECT_ISSUER',
      'ECT_JWKS_FILE',
      'ECT_KEY_FILE',
      'ECT_MAX_IAT_AGE',
      'ECT_MAX_PRED',
      'ECT_MAX_TOKEN_SIZE',
      'ECT_MIN_LEVEL',
      'ECT_REQUIRE_UUID',
    ];
    for (const name of core)
      assert.equal(typeof (ENV_VARIABLES as Record<string, string>)[name], 'string', name);
  });

  test('an empty environment gives an empty configuration; empty values count as absent', () => {
    assert.deepEqual(configFromEnv({}), {});
    assert.deepEqual(
      configFromEnv({
        ECT_MIN_LEVEL: '',
        ECT_ISSUER: '',
        ECT_AUDIENCE: ' ',
        ECT_ACCEPT_LEGACY: '',
      }),
      {},
    );
    assert.deepEqual(configFromEnv({ PATH: '/bin', ECT_UNKNOWN: 'x' }), {});
  });

  test('good values of every variable', () => {
    const jwk = keyPair().privateJwk;
    const pem = createPrivateKey({ key: jwk, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const config = configFromEnv({
      ECT_ISSUER: 'spiffe://example.org/agent/a',
      ECT_AUDIENCE: 'spiffe://example.org/b, spiffe://example.org/ledger',
      ECT_KEY_FILE: file('key.json', JSON.stringify(jwk)),
      ECT_JWKS_FILE: file('jwks.json', JSON.stringify(jwksOf())),
      ECT_MIN_LEVEL: '3',
      ECT_CLOCK_TOLERANCE: '5',
      ECT_MAX_IAT_AGE: '0',
      ECT_DEFAULT_TTL: '120.5',
      ECT_ALGORITHMS: 'ES256, EdDSA',
      ECT_ACCEPT_LEGACY: 'TRUE',
      ECT_MAX_PRED: '0',
      ECT_MAX_TOKEN_SIZE: '8192',
      ECT_REQUIRE_UUID: 'no',
    });
    assert.deepEqual(config, {
      issuer: 'spiffe://example.org/agent/a',
      audience: ['spiffe://example.org/b', 'spiffe://example.org/ledger'],
      keyFile: join(dir, 'key.json'),
      key: jwk,
      jwksFile: join(dir, 'jwks.json'),
      jwks: jwksOf(),
      minLevel: 3,
      clockTolerance: 5,
      maxIatAge: 0,
      ttl: 120.5,
      algorithms: ['ES256', 'EdDSA'],
      acceptLegacy: true,
      maxPred: 0,
      maxTokenSize: 8192,
      requireUuid: false,
    });
    assert.equal(configFromEnv({ ECT_KEY_FILE: file('key.pem', pem) }).key, pem);
    for (const [raw, value] of [
      ['1', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      [' No ', false],
    ] as const) {
      assert.equal(configFromEnv({ ECT_ACCEPT_LEGACY: raw }).acceptLegacy, value);
    }
    assert.equal(configFromEnv({ ECT_MIN_LEVEL: ' 1 ' }).minLevel, 1);
  });

  const bad: [string, string][] = [
    ['ECT_MIN_LEVEL', '0'],
    ['ECT_MIN_LEVEL', '4'],
    ['ECT_MIN_LEVEL', 'two'],
    ['ECT_MIN_LEVEL', '2.0'],
    ['ECT_MIN_LEVEL', '-1'],
    ['ECT_CLOCK_TOLERANCE', '-5'],
    ['ECT_CLOCK_TOLERANCE', '30s'],
    ['ECT_CLOCK_TOLERANCE', 'abc'],
    ['ECT_CLOCK_TOLERANCE', '1e3'],
    ['ECT_MAX_IAT_AGE', '-1'],
    ['ECT_MAX_IAT_AGE', 'forever'],
    ['ECT_DEFAULT_TTL', '0'],
    ['ECT_DEFAULT_TTL', '10m'],
    ['ECT_DEFAULT_TTL', '-600'],
    ['ECT_ACCEPT_LEGACY', 'maybe'],
    ['ECT_ACCEPT_LEGACY', 'on'],
    ['ECT_REQUIRE_UUID', '2'],
    ['ECT_MAX_PRED', '1.5'],
    ['ECT_MAX_PRED', '-1'],
    ['ECT_MAX_PRED', 'many'],
    ['ECT_MAX_TOKEN_SIZE', '0'],
    ['ECT_MAX_TOKEN_SIZE', '64k'],
    ['ECT_ALGORITHMS', 'ES256,HS256'],
    ['ECT_ALGORITHMS', 'none'],
    ['ECT_ALGORITHMS', 'ES256,,EdDSA'],
    ['ECT_ALGORITHMS', 'es256'],
    ['ECT_AUDIENCE', 'a,,b'],
    ['ECT_AUDIENCE', 'a,'],
  ];
  for (const [variable, value] of bad) {
    test(`${variable}=${JSON.stringify(value)} is an ECTConfigError naming ${variable}`, () =>
      refused({ [variable]: value }, variable));
  }

  test('ECT_KEY_FILE: a missing file, or a file that is neither a JWK nor PEM, is an ECTConfigError naming it', () => {
    refused({ ECT_KEY_FILE: join(dir, 'does-not-exist.json') }, 'ECT_KEY_FILE');
    refused({ ECT_KEY_FILE: file('garbage.txt', 'hello') }, 'ECT_KEY_FILE');
    refused({ ECT_KEY_FILE: file('broken.json', '{"kty":"EC",') }, 'ECT_KEY_FILE');
    refused({ ECT_KEY_FILE: file('dup.json', '{"kty":"EC","kty":"RSA"}') }, 'ECT_KEY_FILE');
  });

  test('ECT_JWKS_FILE: a missing file, invalid JSON, duplicate names or a non-set is an ECTConfigError naming it', () => {
    refused({ ECT_JWKS_FILE: join(dir, 'missing-jwks.json') }, 'ECT_JWKS_FILE');
    refused({ ECT_JWKS_FILE: file('bad-jwks.json', '{keys: []}') }, 'ECT_JWKS_FILE');
    refused({ ECT_JWKS_FILE: file('dup-jwks.json', '{"keys":[],"keys":[]}') }, 'ECT_JWKS_FILE');
    refused({ ECT_JWKS_FILE: file('array-jwks.json', '[]') }, 'ECT_JWKS_FILE');
    refused({ ECT_JWKS_FILE: file('nokeys-jwks.json', '{"keys":{}}') }, 'ECT_JWKS_FILE');
  });

  test('the first bad variable is reported even when others are good', () => {
    refused({ ECT_ISSUER: 'spiffe://x/y', ECT_MIN_LEVEL: '2', ECT_MAX_PRED: 'x' }, 'ECT_MAX_PRED');
  });
});
