/**
 * The trust configuration (profile section 7): one JSON document that says which keys may speak
 * for which issuers under each identity profile — JWK sets by issuer (IDB-1), X.509 trust anchors
 * (IDB-2) and WIMSE trust domains (IDB-3) — loaded into one `KeySource` for the verifier. The
 * format is documented in docs/trust.md. Every error is an `ECTConfigError` that names the bad
 * entry (`trust.issuers[2].jwks_uri: must be https`), raised when the file is loaded, never at the
 * first token. Nothing remote is fetched while loading.
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { ECTConfigError, ECTError } from '../errors.js';
import { isJSONObject, parseStrictJSON } from '../format/json.js';
import { choiceSetting, numberSetting } from '../settings.js';
import type { JWKSet } from './jwks.js';
import {
  issuerMatches,
  type IssuerBinding,
  type KeyRequest,
  type KeySource,
  type ResolvedKey,
} from './key-source.js';
import { staticKeySet, type KeySet } from './key-set.js';
import { remoteKeySet } from './remote-jwks.js';
import { issuerKeySets, trustDomainPrefix, type IssuerTrust } from './trust.js';
import { wimseTrust, type TrustDomainTrust, type WimseTrustOptions } from './wit.js';
import { parsePemBundle, x509Trust, type RevocationCheck, type X509TrustOptions } from './x509.js';

/**
 * The programmatic form of a trust configuration: any of the three profiles.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createTrustSource, staticKeySet, type TrustSourceOptions } from 'wimse-ect/identity';
 *
 * const options: TrustSourceOptions = {
 *   issuers: [
 *     {
 *       issuers: [{ prefix: 'spiffe://example.org/' }],
 *       keys: staticKeySet(JSON.parse(readFileSync('agents.jwks.json', 'utf8'))),
 *     },
 *   ],
 *   x509: { anchors: readFileSync('pki/anchors.pem', 'utf8') },
 * };
 * const keys = createTrustSource(options);
 * ```
 */
export interface TrustSourceOptions {
  /** IDB-1: JWK sets bound to issuers. */
  readonly issuers?: readonly IssuerTrust[];
  /** IDB-2: X.509 trust anchors. */
  readonly x509?: X509TrustOptions;
  /** IDB-3: WIMSE trust domains. */
  readonly wimse?: WimseTrustOptions;
}

/**
 * Options of `loadTrustConfig`.
 *
 * @example
 * ```ts
 * import { loadTrustConfig, type LoadTrustOptions } from 'wimse-ect/identity';
 *
 * const options: LoadTrustOptions = {
 *   baseDir: '/etc/ect', // where relative file names in the document are
 *   revocation: async ({ certificate }) =>
 *     certificate.serialNumber === '4F3A2B' ? 'revoked' : 'good',
 * };
 * const keys = loadTrustConfig('/etc/ect/trust.json', options);
 * ```
 */
export interface LoadTrustOptions {
  /** Base directory of relative file names (default: the configuration file's directory, else the working directory). */
  readonly baseDir?: string;
  /** IDB-2 revocation hook (a function cannot be written in JSON). */
  readonly revocation?: RevocationCheck;
  /** Name of the root in error messages (default `trust`). */
  readonly setting?: string;
}

/**
 * A JSON trust configuration document (see docs/trust.md).
 *
 * @example
 * ```ts
 * import { loadTrustConfig, type TrustConfigDocument } from 'wimse-ect/identity';
 *
 * const document: TrustConfigDocument = {
 *   issuers: [
 *     { iss_prefix: 'spiffe://example.org/', jwks_uri: 'https://keys.example.org/jwks.json' },
 *   ],
 * };
 * const keys = loadTrustConfig(document);
 * ```
 */
export type TrustConfigDocument = Readonly<Record<string, unknown>>;

function unresolved(message: string, member = 'kid'): ECTError {
  return new ECTError('ECT_KEY_UNRESOLVED', message, { member });
}

function hasBinding(entries: readonly IssuerTrust[], iss: string): boolean {
  return entries.some((entry) => issuerMatches(iss, entry.issuers));
}

/**
 * One key source over the configured profiles. The token decides which profile applies:
 * 1. an `x5c` header with X.509 anchors configured → X.509 (IDB-2);
 * 2. a WIT sent with the token, with WIMSE configured → WIMSE (IDB-3);
 * 3. an `iss` inside a WIMSE trust domain that no JWK-set entry covers → WIMSE (which then asks for the WIT);
 * 4. otherwise the JWK sets by issuer (IDB-1).
 * `jku`, `x5u` and `jwk` header members are never read (HDR-5).
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, createTrustSource, staticKeySet } from 'wimse-ect/identity';
 *
 * const agents = generateKeyPair();
 * const domain = createTrustDomainIssuer({ trustDomain: 'partner.example' });
 * // JWK sets for our issuers, WIMSE for the partner's workloads: the token decides which applies.
 * const keys = createTrustSource({
 *   issuers: [
 *     {
 *       issuers: [{ prefix: 'spiffe://example.org/' }],
 *       keys: staticKeySet({ keys: [agents.publicJwk] }),
 *     },
 *   ],
 *   wimse: {
 *     trustDomains: [{ trustDomain: 'partner.example', keys: staticKeySet(domain.jwks()) }],
 *   },
 * });
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', keys });
 * ```
 */
export function createTrustSource(options: TrustSourceOptions): KeySource {
  const issuers =
    options.issuers !== undefined && options.issuers.length > 0 ? options.issuers : undefined;
  const jwkSource = issuers === undefined ? undefined : issuerKeySets(issuers);
  const x509 = options.x509 === undefined ? undefined : x509Trust(options.x509);
  const wimse = options.wimse === undefined ? undefined : wimseTrust(options.wimse);
  const wimseDomains = options.wimse?.trustDomains ?? [];
  const wimsePrefixes: readonly IssuerBinding[] = wimseDomains.map((domain) => ({
    prefix: trustDomainPrefix(domain.trustDomain),
  }));
  if (jwkSource === undefined && x509 === undefined && wimse === undefined) {
    throw new ECTConfigError(
      'trust',
      'the trust configuration names no issuer key set, X.509 anchor or WIMSE trust domain',
    );
  }
  return {
    resolve(request: KeyRequest): ResolvedKey | Promise<ResolvedKey> {
      if (x509 !== undefined && request.header['x5c'] !== undefined) return x509.resolve(request);
      if (wimse !== undefined && request.context.workloadIdentityToken !== undefined)
        return wimse.resolve(request);
      const iss = typeof request.claims['iss'] === 'string' ? request.claims['iss'] : '';
      const inWimseDomain = wimse !== undefined && issuerMatches(iss, wimsePrefixes);
      if (inWimseDomain && !(issuers !== undefined && hasBinding(issuers, iss))) {
        return wimse.resolve(request);
      }
      if (jwkSource !== undefined) return jwkSource.resolve(request);
      if (wimse !== undefined) return wimse.resolve(request);
      if (x509 !== undefined) return x509.resolve(request);
      throw unresolved('no identity profile applies to this token');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The JSON document.

/** Reads members of one JSON object, naming each in errors; unknown members are refused (typos). */
class Reader {
  private readonly used = new Set<string>();
  constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): Reader {
    if (!isJSONObject(value)) throw new ECTConfigError(path, 'must be a JSON object');
    return new Reader(value, path);
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.value, name) && this.value[name] !== undefined;
  }

  raw(name: string): unknown {
    this.used.add(name);
    return Object.prototype.hasOwnProperty.call(this.value, name) ? this.value[name] : undefined;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0)
      throw new ECTConfigError(`${this.path}.${name}`, 'must be a non-empty string');
    return value;
  }

  strings(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((item) => typeof item === 'string' && item.length > 0)
    ) {
      throw new ECTConfigError(
        `${this.path}.${name}`,
        'must be a non-empty string or a non-empty list of them',
      );
    }
    return list as string[];
  }

  number(name: string, options: { min: number; integer?: boolean }): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return numberSetting({ value, setting: `${this.path}.${name}`, ...options });
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean')
      throw new ECTConfigError(`${this.path}.${name}`, 'must be true or false');
    return value;
  }

  /** Refuses members nobody read (`$comment`, `$schema` and other `$` members are free). */
  done(): void {
    for (const name of Object.keys(this.value)) {
      if (!this.used.has(name) && !name.startsWith('$'))
        throw new ECTConfigError(`${this.path}.${name}`, 'unknown setting');
    }
  }
}

interface Context {
  readonly baseDir: string;
  readonly allowInsecure: boolean;
}

function readText(file: string, context: Context, setting: string): string {
  const path = resolvePath(context.baseDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ECTConfigError(
      setting,
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
}

function parseJSONText(text: string, setting: string): unknown {
  const parsed = parseStrictJSON(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok)
    throw new ECTConfigError(
      setting,
      parsed.reason === 'duplicate' ? 'the JSON has duplicate member names' : 'not valid JSON',
    );
  return parsed.value;
}

/** IDB-1: a key set given inline (`jwks`), as a file (`jwks_file`) or as a URL (`jwks_uri`). */
function readKeySet(reader: Reader, context: Context): KeySet {
  const given = ['jwks', 'jwks_file', 'jwks_uri'].filter((name) => reader.has(name));
  if (given.length !== 1)
    throw new ECTConfigError(
      reader.path,
      `give exactly one of jwks, jwks_file, jwks_uri${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`,
    );
  const remoteOptions = [
    'max_age_seconds',
    'cooldown_seconds',
    'timeout_ms',
    'max_bytes',
    'allow_insecure',
  ];
  if (given[0] !== 'jwks_uri') {
    const stray = remoteOptions.find((name) => reader.has(name));
    if (stray !== undefined)
      throw new ECTConfigError(`${reader.path}.${stray}`, 'applies only to a jwks_uri');
  }
  if (given[0] === 'jwks') {
    const setting = `${reader.path}.jwks`;
    return staticKeySet(reader.raw('jwks') as JWKSet, { description: setting });
  }
  if (given[0] === 'jwks_file') {
    const setting = `${reader.path}.jwks_file`;
    const file = reader.string('jwks_file')!;
    return staticKeySet(parseJSONText(readText(file, context, setting), setting) as JWKSet, {
      description: setting,
    });
  }
  const setting = `${reader.path}.jwks_uri`;
  const url = reader.string('jwks_uri')!;
  const maxAge = reader.number('max_age_seconds', { min: 1 });
  const cooldown = reader.number('cooldown_seconds', { min: 0 });
  const timeout = reader.number('timeout_ms', { min: 1, integer: true });
  const maxBytes = reader.number('max_bytes', { min: 1, integer: true });
  const allowInsecure = reader.boolean('allow_insecure') ?? context.allowInsecure;
  return remoteKeySet({
    url,
    setting,
    allowInsecure,
    ...(maxAge === undefined ? {} : { maxAgeMs: maxAge * 1000 }),
    ...(cooldown === undefined ? {} : { cooldownMs: cooldown * 1000 }),
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
}

/** `iss` / `iss_prefix` of an entry. A prefix ends with `/` or `:` so `spiffe://a.org` never covers `spiffe://a.org.evil`. */
function readBindings(reader: Reader, options: { required: boolean }): IssuerBinding[] | undefined {
  const exact = reader.strings('iss') ?? [];
  const prefixes = reader.strings('iss_prefix') ?? [];
  prefixes.forEach((prefix) => {
    if (!/[/:]$/.test(prefix))
      throw new ECTConfigError(
        `${reader.path}.iss_prefix`,
        `${JSON.stringify(prefix)} must end with "/" or ":" (otherwise it also covers ${JSON.stringify(`${prefix}.evil.example`)})`,
      );
  });
  const bindings: IssuerBinding[] = [
    ...exact.map((value) => ({ exact: value })),
    ...prefixes.map((value) => ({ prefix: value })),
  ];
  if (bindings.length === 0) {
    if (options.required)
      throw new ECTConfigError(
        reader.path,
        'give iss (exact issuers) and/or iss_prefix (issuer prefixes)',
      );
    return undefined;
  }
  return bindings;
}

function readIssuers(value: unknown, path: string, context: Context): IssuerTrust[] {
  if (!Array.isArray(value)) throw new ECTConfigError(path, 'must be a list of issuer entries');
  return value.map((item, index) => {
    const reader = Reader.of(item, `${path}[${index}]`);
    const issuers = readBindings(reader, { required: true })!;
    const keys = readKeySet(reader, context);
    reader.done();
    return { issuers, keys };
  });
}

function readX509(
  value: unknown,
  path: string,
  context: Context,
  revocation: RevocationCheck | undefined,
): X509TrustOptions {
  const reader = Reader.of(value, path);
  const given = ['anchors_file', 'anchors_pem'].filter((name) => reader.has(name));
  if (given.length !== 1)
    throw new ECTConfigError(
      path,
      'give exactly one of anchors_file (a PEM bundle) and anchors_pem (PEM text)',
    );
  const anchorsSetting = `${path}.${given[0]}`;
  const pem =
    given[0] === 'anchors_file'
      ? readText(reader.string('anchors_file')!, context, anchorsSetting)
      : reader.string('anchors_pem')!;
  const anchors = parsePemBundle(pem, anchorsSetting);
  const issuers = readBindings(reader, { required: false });
  const maxChainLength = reader.number('max_chain_length', { min: 1, integer: true });
  const cacheSeconds = reader.number('cache_seconds', { min: 0 });
  const revocationTimeoutMs = reader.number('revocation_timeout_ms', { min: 1, integer: true });
  const failureName = reader.string('revocation_failure');
  const failure =
    failureName === undefined
      ? undefined
      : choiceSetting({
          value: failureName,
          fallback: 'reject',
          setting: `${path}.revocation_failure`,
          choices: ['reject', 'allow'],
        });
  reader.done();
  return {
    anchors,
    setting: path,
    ...(issuers === undefined ? {} : { issuers }),
    ...(maxChainLength === undefined ? {} : { maxChainLength }),
    ...(cacheSeconds === undefined ? {} : { cacheSeconds }),
    ...(revocationTimeoutMs === undefined ? {} : { revocationTimeoutMs }),
    ...(failure === undefined ? {} : { revocationFailure: failure }),
    ...(revocation === undefined ? {} : { revocation }),
  };
}

function readWimse(value: unknown, path: string, context: Context): WimseTrustOptions {
  const reader = Reader.of(value, path);
  const domainsValue = reader.raw('trust_domains');
  if (!Array.isArray(domainsValue) || domainsValue.length === 0)
    throw new ECTConfigError(`${path}.trust_domains`, 'must be a non-empty list of trust domains');
  const trustDomains = domainsValue.map((item, index): TrustDomainTrust => {
    const domain = Reader.of(item, `${path}.trust_domains[${index}]`);
    const trustDomain = domain.string('trust_domain');
    if (trustDomain === undefined)
      throw new ECTConfigError(
        `${domain.path}.trust_domain`,
        'is required (example.org, or a URI prefix)',
      );
    const witIssuer = domain.string('wit_iss');
    const keys = readKeySet(domain, context);
    domain.done();
    return { trustDomain, keys, ...(witIssuer === undefined ? {} : { witIssuer }) };
  });
  const clockTolerance = reader.number('clock_tolerance', { min: 0 });
  const cacheSeconds = reader.number('cache_seconds', { min: 0 });
  reader.done();
  return {
    trustDomains,
    setting: path,
    ...(clockTolerance === undefined ? {} : { clockTolerance }),
    ...(cacheSeconds === undefined ? {} : { cacheSeconds }),
  };
}

/**
 * Reads a trust configuration document into `createTrustSource` options.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createTrustSource, parseTrustConfig } from 'wimse-ect/identity';
 *
 * const options = parseTrustConfig(JSON.parse(readFileSync('trust.json', 'utf8')), {
 *   baseDir: '.',
 * });
 * console.log(
 *   options.issuers?.length ?? 0,
 *   options.x509 !== undefined,
 *   options.wimse !== undefined,
 * );
 * const keys = createTrustSource(options);
 * ```
 */
export function parseTrustConfig(
  document: unknown,
  options: LoadTrustOptions = {},
): TrustSourceOptions {
  const root = options.setting ?? 'trust';
  const reader = Reader.of(document, root);
  const context: Context = {
    baseDir: options.baseDir ?? process.cwd(),
    allowInsecure: reader.boolean('allow_insecure') ?? false,
  };
  const issuers = reader.has('issuers')
    ? readIssuers(reader.raw('issuers'), `${root}.issuers`, context)
    : undefined;
  const x509 = reader.has('x509')
    ? readX509(reader.raw('x509'), `${root}.x509`, context, options.revocation)
    : undefined;
  const wimse = reader.has('wimse')
    ? readWimse(reader.raw('wimse'), `${root}.wimse`, context)
    : undefined;
  reader.done();
  if (options.revocation !== undefined && x509 === undefined)
    throw new ECTConfigError(
      `${root}.x509`,
      'a revocation hook was given but no X.509 anchors are configured',
    );
  if (
    (issuers === undefined || issuers.length === 0) &&
    x509 === undefined &&
    wimse === undefined
  ) {
    throw new ECTConfigError(
      root,
      'names no issuer key set (issuers), X.509 anchors (x509) or WIMSE trust domain (wimse)',
    );
  }
  return {
    ...(issuers === undefined ? {} : { issuers }),
    ...(x509 === undefined ? {} : { x509 }),
    ...(wimse === undefined ? {} : { wimse }),
  };
}

/**
 * Loads a trust configuration (a JSON file name, or the parsed document) into one key source for
 * `createVerifier({ keys })`. Relative file names inside are resolved against the file's
 * directory. Throws `ECTConfigError` naming the bad entry.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { loadTrustConfig } from 'wimse-ect/identity';
 *
 * // JWK sets by issuer, X.509 anchors and WIMSE trust domains from one file (docs/trust.md).
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: loadTrustConfig('trust.json'),
 * });
 * ```
 */
export function loadTrustConfig(
  source: string | TrustConfigDocument,
  options: LoadTrustOptions = {},
): KeySource {
  if (typeof source === 'string') {
    const path = resolvePath(source);
    const document = parseJSONText(
      readText(path, { baseDir: process.cwd(), allowInsecure: false }, options.setting ?? 'trust'),
      `${options.setting ?? 'trust'} (${path})`,
    );
    return createTrustSource(
      parseTrustConfig(document, { ...options, baseDir: options.baseDir ?? dirname(path) }),
    );
  }
  return createTrustSource(parseTrustConfig(source, options));
}
