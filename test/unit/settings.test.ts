/**
 * The one option check (src/settings.ts): numbers and choices are checked the same way wherever
 * they are configured — verifier, identity sources, HTTP limits, replay stores, creation — and
 * every refusal is an `ECTConfigError` naming the setting and the value given.
 * @module
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createECT } from '../../src/create/create.js';
import { ECTConfigError } from '../../src/errors.js';
import { bodyLimit } from '../../src/http/body.js';
import { headerLimit } from '../../src/http/header.js';
import { staticKeySet } from '../../src/identity/key-set.js';
import { createTrustDomainIssuer } from '../../src/identity/wit-issuer.js';
import { wimseTrust } from '../../src/identity/wit.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { createECTInstrumentation } from '../../src/otel/instrument.js';
import { MemoryReplayStore } from '../../src/replay/memory.js';
import { choiceSetting, numberSetting } from '../../src/settings.js';
import { createVerifier } from '../../src/verify/verify.js';
import { AUD, claims, keyPair } from '../helpers/fixtures.js';

function refused(build: () => unknown, setting: string, message: RegExp): void {
  assert.throws(build, (error: unknown) => {
    assert.ok(error instanceof ECTConfigError, String(error));
    assert.equal(error.setting, setting);
    assert.match(error.message, message);
    return true;
  });
}

/** Rejects like `refused`, for an option checked by an async opener. */
async function refusedAsync(open: () => Promise<unknown>, setting: string, message: RegExp) {
  await assert.rejects(open, (error: unknown) => {
    assert.ok(error instanceof ECTConfigError, String(error));
    assert.equal(error.setting, setting);
    assert.match(error.message, message);
    return true;
  });
}

describe('settings', () => {
  test('numberSetting: fallback, range, integer and finite, the value named', () => {
    assert.equal(numberSetting({ value: undefined, fallback: 7, setting: 's' }), 7);
    assert.equal(numberSetting({ value: 0, setting: 's' }), 0);
    assert.equal(numberSetting({ value: 1.5, setting: 's', min: 1 }), 1.5);
    refused(
      () => numberSetting({ value: undefined, setting: 's' }),
      's',
      /must be a number of at least 0, got undefined$/,
    );
    refused(
      () => numberSetting({ value: -1, setting: 's', unit: 'seconds' }),
      's',
      /a number of seconds of at least 0, got -1$/,
    );
    refused(
      () => numberSetting({ value: 1.5, setting: 's', integer: true }),
      's',
      /an integer of at least 0, got 1.5$/,
    );
    refused(
      () => numberSetting({ value: 0, setting: 's', exclusive: true }),
      's',
      /more than 0, got 0$/,
    );
    for (const value of [NaN, Infinity, '5', null]) {
      refused(() => numberSetting({ value, fallback: 1, setting: 's' }), 's', /must be a number/);
    }
  });

  test('choiceSetting: the fallback for undefined; anything else outside the choices named', () => {
    const choices = ['sync', 'async'] as const;
    assert.equal(
      choiceSetting({ value: undefined, fallback: 'sync', setting: 'm', choices: [...choices] }),
      'sync',
    );
    assert.equal(
      choiceSetting({ value: 'async', fallback: 'sync', setting: 'm', choices: [...choices] }),
      'async',
    );
    refused(
      () =>
        choiceSetting({ value: 'later', fallback: 'sync', setting: 'm', choices: [...choices] }),
      'm',
      /must be "sync" or "async", got "later"$/,
    );
    refused(
      () => choiceSetting({ value: 3, fallback: 'a', setting: 'm', choices: ['a', 'b', 'c'] }),
      'm',
      /one of "a", "b", "c", got 3$/,
    );
  });

  test('FMT-5, CLM-3, HTTP-3, RPL-3, IDB-3: one check refuses bad numbers', () => {
    const keys = { keys: [keyPair().publicJwk] };
    refused(
      () => createVerifier({ audience: AUD, keys, maxTokenSize: 0 }),
      'options.maxTokenSize',
      /integer of bytes of at least 1, got 0$/,
    );
    refused(
      () => createVerifier({ audience: AUD, keys, clockTolerance: -1 }),
      'options.clockTolerance',
      /seconds of at least 0, got -1$/,
    );
    refused(
      () => headerLimit({ maxHeaderSize: 0 }),
      'maxHeaderSize',
      /integer of bytes of at least 1, got 0$/,
    );
    refused(() => bodyLimit(-1), 'bodyBinding.maxBytes', /integer of bytes of at least 0, got -1$/);
    refused(
      () => new MemoryReplayStore({ maxEntries: 0 }),
      'maxEntries',
      /integer of at least 1, got 0$/,
    );
    refused(
      () => createECT(claims(), { key: keyPair().privateJwk, ttl: -5 }),
      'ttl',
      /seconds of more than 0, got -5$/,
    );
    refused(
      () => createECT(claims(), { key: keyPair().privateJwk, ttl: 0 }),
      'ttl',
      /seconds of more than 0, got 0$/,
    );
    refused(
      () => createECTInstrumentation({ maxRemembered: -1 }),
      'maxRemembered',
      /integer of at least 0, got -1$/,
    );
    const issuer = createTrustDomainIssuer({ trustDomain: 'example.org' });
    const trustDomains = [{ trustDomain: 'example.org', keys: staticKeySet(issuer.jwks()) }];
    refused(
      () => wimseTrust({ trustDomains, cacheSeconds: -1 }),
      'wimse.cache_seconds',
      /seconds of at least 0, got -1$/,
    );
    const publicJwk = keyPair().publicJwk;
    refused(
      () => issuer.issueWit({ sub: 'spiffe://example.org/a', publicJwk, ttl: 0 }),
      'ttl',
      /more than 0, got 0$/,
    );
  });

  test('one check refuses bad numbers of the storage backends, before any connection', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ect-settings-')), 'l.db');
    await refusedAsync(
      () => SqliteLedgerBackend.open({ path, busyTimeoutMs: -1 }),
      'busyTimeoutMs',
      /integer of milliseconds of at least 0, got -1$/,
    );
    assert.equal(existsSync(path), false, 'no database file is created');
    // Port 1 on loopback: nothing listens; the options are refused before a connection is tried.
    const url = 'postgres://nobody@127.0.0.1:1/none';
    for (const setting of ['maxConnections', 'statementTimeoutMs', 'connectionTimeoutMs']) {
      await refusedAsync(
        () => PostgresLedgerBackend.open({ url, [setting]: 0 }),
        setting,
        /integer of at least 1, got 0$/,
      );
    }
  });
});
