/**
 * Configuration from environment variables (`ECT_` prefix), as the reference implementations do.
 * Every bad value is an `ECTConfigError` naming the variable. Files named by variables are read
 * here, once.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../crypto/algorithms.js';
import { ECTConfigError } from '../errors.js';
import { parseStrictJSON } from '../format/json.js';
import type { Level } from '../format/types.js';
import type { JWKSet } from '../identity/jwks.js';

/**
 * Every variable read by `configFromEnv`, with its meaning (the README table is built from it).
 *
 * @example
 * ```ts
 * import { ENV_VARIABLES } from 'wimse-ect';
 *
 * for (const [name, meaning] of Object.entries(ENV_VARIABLES)) console.log(`${name}: ${meaning}`);
 * ```
 */
export const ENV_VARIABLES = {
  ECT_ISSUER: 'issuer identity (`iss`) of the tokens this workload creates',
  ECT_AUDIENCE: "this verifier's own identity; several separated by commas",
  ECT_KEY_FILE: 'private key file (JWK or PEM) used to sign',
  ECT_JWKS_FILE: 'JWK Set file of trusted public keys',
  ECT_MIN_LEVEL: 'minimum accepted level, 1, 2 or 3 (default 2)',
  ECT_CLOCK_TOLERANCE: 'clock tolerance, seconds (default 30)',
  ECT_MAX_IAT_AGE: 'maximum iat age, seconds (default 900; 0 disables)',
  ECT_DEFAULT_TTL: 'lifetime of created tokens, seconds (default 600)',
  ECT_ALGORITHMS:
    'allowed algorithms, comma-separated (default all of ES256,ES384,ES512,EdDSA,PS256,PS384,PS512)',
  ECT_ACCEPT_LEGACY: 'accept -00 claim names: true or false (default false)',
  ECT_MAX_PRED: 'most pred entries (default 100; 0 = unlimited)',
  ECT_MAX_TOKEN_SIZE: 'token size limit, bytes (default 65536)',
  ECT_REQUIRE_UUID: 'jti, pred and wid must be UUIDs: true or false (default true)',
  ECT_TRUST:
    'trust configuration file (JWK sets, X.509 anchors, WIMSE trust domains; docs/trust.md)',
  ECT_LEDGER:
    'audit ledger URL: memory:, sqlite:PATH or postgres://… (verifiers record tokens: L3)',
  ECT_LEDGER_KEY_FILE:
    "the ledger's Ed25519 private key file (JWK or PEM): signs checkpoints and receipts",
  ECT_LEDGER_ORIGIN:
    "the ledger's checkpoint origin, e.g. example.org/ect-ledger (stored on first use)",
  ECT_WITNESSES: 'witness URLs that cosign the ledger checkpoints, separated by commas or spaces',
  ECT_LEDGER_FAILURE:
    'when the ledger fails: reject (default) or degrade (accept at L2 and say so)',
  ECT_REPLAY: 'replay cache URL: memory: (default) or redis://…',
} as const;

/**
 * Configuration read from the environment; absent variables are absent here.
 *
 * @example
 * ```ts
 * import { configFromEnv, type EnvConfig } from 'wimse-ect';
 *
 * const env = { ECT_AUDIENCE: 'spiffe://example.org/b', ECT_MIN_LEVEL: '3' };
 * const config: EnvConfig = configFromEnv(env);
 * console.log(config.audience, config.minLevel); // [ 'spiffe://example.org/b' ] 3
 * ```
 */
export interface EnvConfig {
  readonly issuer?: string;
  readonly audience?: readonly string[];
  readonly keyFile?: string;
  readonly key?: string | Record<string, unknown>;
  readonly jwksFile?: string;
  readonly jwks?: JWKSet;
  readonly minLevel?: Level;
  readonly clockTolerance?: number;
  readonly maxIatAge?: number;
  readonly ttl?: number;
  readonly algorithms?: readonly Algorithm[];
  readonly acceptLegacy?: boolean;
  readonly maxPred?: number;
  readonly maxTokenSize?: number;
  readonly requireUuid?: boolean;
  readonly trustFile?: string;
  readonly ledgerUrl?: string;
  readonly ledgerKeyFile?: string;
  readonly ledgerOrigin?: string;
  readonly witnesses?: readonly string[];
  readonly ledgerFailure?: 'reject' | 'degrade';
  readonly replayUrl?: string;
}

function seconds(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw.trim()))
    throw new ECTConfigError(
      name,
      `expected a non-negative number of seconds, got ${JSON.stringify(raw)}`,
    );
  return Number(raw.trim());
}

function wholeNumber(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()))
    throw new ECTConfigError(name, `expected a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

function flag(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  throw new ECTConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function list(env: Record<string, string | undefined>, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new ECTConfigError(name, `empty entry in ${JSON.stringify(raw)}`);
  return items;
}

/** Reads a file; a missing or unreadable file is an `ECTConfigError` naming `setting`. */
export function readConfigFile(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    throw new ECTConfigError(setting, `cannot read ${path}: ${reason}`, { cause: error });
  }
}

/** Reads a JSON file; names `setting` in every error. */
export function readJSONFile(path: string, setting: string): unknown {
  const parsed = parseStrictJSON(readConfigFile(path, setting));
  if (!parsed.ok)
    throw new ECTConfigError(
      setting,
      `${path} is not valid JSON${parsed.reason === 'duplicate' ? ' (duplicate member names)' : ''}`,
    );
  return parsed.value;
}

/** A private key file: a JWK (JSON) or PEM text. */
export function readKeyFile(path: string, setting: string): string | Record<string, unknown> {
  const text = readConfigFile(path, setting);
  if (text.trimStart().startsWith('{')) {
    const parsed = parseStrictJSON(text);
    if (
      !parsed.ok ||
      typeof parsed.value !== 'object' ||
      parsed.value === null ||
      Array.isArray(parsed.value)
    )
      throw new ECTConfigError(setting, `${path} is neither a JWK object nor PEM`);
    if (Array.isArray((parsed.value as { keys?: unknown }).keys))
      throw new ECTConfigError(
        setting,
        `${path} is a JWK Set (public keys for verifiers), not a private key: give the file written by \`ect keygen --out\``,
      );
    return parsed.value as Record<string, unknown>;
  }
  if (!text.includes('-----BEGIN'))
    throw new ECTConfigError(setting, `${path} is neither a JWK object nor PEM`);
  return text;
}

/** A JWK Set file. */
export function readJWKSetFile(path: string, setting: string): JWKSet {
  const value = readJSONFile(path, setting) as { keys?: unknown };
  if (typeof value !== 'object' || value === null || !Array.isArray(value.keys))
    throw new ECTConfigError(setting, `${path} is not a JWK Set (an object with a "keys" array)`);
  return value as JWKSet;
}

/**
 * Reads the `ECT_` variables (default: `process.env`).
 *
 * @example
 * ```ts
 * import { configFromEnv, createVerifier } from 'wimse-ect';
 *
 * // ECT_AUDIENCE=spiffe://example.org/b ECT_JWKS_FILE=agents.jwks.json node service.js
 * const env = configFromEnv();
 * if (env.audience === undefined || env.jwks === undefined) {
 *   throw new Error('set ECT_AUDIENCE and ECT_JWKS_FILE');
 * }
 * const verifier = createVerifier({
 *   audience: env.audience,
 *   keys: env.jwks,
 *   ...(env.minLevel === undefined ? {} : { minLevel: env.minLevel }),
 * });
 * ```
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): EnvConfig {
  const config: Record<string, unknown> = {};
  const issuer = env['ECT_ISSUER'];
  if (issuer !== undefined && issuer !== '') config['issuer'] = issuer;
  const audience = list(env, 'ECT_AUDIENCE');
  if (audience) config['audience'] = audience;
  const keyFile = env['ECT_KEY_FILE'];
  if (keyFile) {
    config['keyFile'] = keyFile;
    config['key'] = readKeyFile(keyFile, 'ECT_KEY_FILE');
  }
  const jwksFile = env['ECT_JWKS_FILE'];
  if (jwksFile) {
    config['jwksFile'] = jwksFile;
    config['jwks'] = readJWKSetFile(jwksFile, 'ECT_JWKS_FILE');
  }
  const minLevel = wholeNumber(env, 'ECT_MIN_LEVEL');
  if (minLevel !== undefined) {
    if (minLevel < 1 || minLevel > 3)
      throw new ECTConfigError('ECT_MIN_LEVEL', `expected 1, 2 or 3, got ${minLevel}`);
    config['minLevel'] = minLevel;
  }
  const entries: [string, string, (e: Record<string, string | undefined>, n: string) => unknown][] =
    [
      ['clockTolerance', 'ECT_CLOCK_TOLERANCE', seconds],
      ['maxIatAge', 'ECT_MAX_IAT_AGE', seconds],
      ['ttl', 'ECT_DEFAULT_TTL', seconds],
      ['acceptLegacy', 'ECT_ACCEPT_LEGACY', flag],
      ['maxPred', 'ECT_MAX_PRED', wholeNumber],
      ['maxTokenSize', 'ECT_MAX_TOKEN_SIZE', wholeNumber],
      ['requireUuid', 'ECT_REQUIRE_UUID', flag],
    ];
  for (const [key, name, read] of entries) {
    const value = read(env, name);
    if (value !== undefined) config[key] = value;
  }
  if (config['ttl'] === 0)
    throw new ECTConfigError('ECT_DEFAULT_TTL', 'must be more than 0 seconds');
  if (config['maxTokenSize'] === 0)
    throw new ECTConfigError('ECT_MAX_TOKEN_SIZE', 'must be at least 1');
  const strings: [string, string][] = [
    ['trustFile', 'ECT_TRUST'],
    ['ledgerUrl', 'ECT_LEDGER'],
    ['ledgerKeyFile', 'ECT_LEDGER_KEY_FILE'],
    ['ledgerOrigin', 'ECT_LEDGER_ORIGIN'],
    ['replayUrl', 'ECT_REPLAY'],
  ];
  for (const [key, name] of strings) {
    const value = env[name]?.trim();
    if (value) config[key] = value;
  }
  const witnesses = env['ECT_WITNESSES']?.trim();
  if (witnesses) config['witnesses'] = witnesses.split(/[\s,]+/).filter((w) => w.length > 0);
  const failure = env['ECT_LEDGER_FAILURE']?.trim();
  if (failure) {
    if (failure !== 'reject' && failure !== 'degrade')
      throw new ECTConfigError(
        'ECT_LEDGER_FAILURE',
        `expected reject or degrade, got ${JSON.stringify(failure)}`,
      );
    config['ledgerFailure'] = failure;
  }
  const algorithms = list(env, 'ECT_ALGORITHMS');
  if (algorithms) {
    for (const alg of algorithms) {
      if (!isAlgorithm(alg))
        throw new ECTConfigError(
          'ECT_ALGORITHMS',
          `${JSON.stringify(alg)} is not one of ${ALGORITHMS.join(', ')}`,
        );
    }
    config['algorithms'] = algorithms;
  }
  return config;
}
