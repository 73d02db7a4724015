/**
 * Verifier options and stores from command-line flags, with the `ECT_` environment as fallback
 * (flags win). Stores and trust configuration are loaded only when named, so `ect verify` with a
 * JWK Set file loads neither a database driver nor the remote key set code.
 * @module
 */
import { existsSync } from 'node:fs';
import { configFromEnv, readJWKSetFile, readKeyFile, type EnvConfig } from '../config/env.js';
import { ECTConfigError } from '../errors.js';
import type { Level } from '../format/types.js';
import { localJWKSet, type JWKSet } from '../identity/jwks.js';
import type { KeySource } from '../identity/key-source.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ReplayStore } from '../replay/store.js';
import type { DagVerifyOptions, VerifyOptions } from '../verify/options.js';
import type { Io } from './io.js';

/** Flags shared by the commands that verify. */
export interface VerifierFlags {
  jwks?: string;
  trust?: string;
  audience?: string[];
  now?: number;
  minLevel?: Level;
  acceptLegacy?: boolean;
  clockTolerance?: number;
  maxIatAge?: number;
  ledger?: string;
  ledgerKey?: string;
  ledgerOrigin?: string;
  witness?: string[];
  replay?: string;
}

/** Flags that name stores. */
export interface StoreFlags {
  ledger?: string;
  ledgerKey?: string;
  ledgerOrigin?: string;
  witness?: string[];
  replay?: string;
}

/** Stores opened for one command; `close` releases connections. */
export interface OpenedStores {
  readonly ledger: Ledger | undefined;
  readonly replay: ReplayStore | undefined;
  close(): Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Opens a ledger from a URL, with its key, origin and witnesses when given (a ledger opened without
 * its key can be read and verified, not written). `mustExist`: for commands that only read, a
 * SQLite path that names no file is an error rather than a new, empty ledger.
 */
export async function openLedgerFromFlags(
  url: string,
  options: {
    readonly keyFile?: string | undefined;
    readonly keySetting?: string;
    readonly origin?: string | undefined;
    readonly witnesses?: readonly string[] | undefined;
    readonly mustExist?: boolean;
  } = {},
): Promise<Ledger> {
  const { openLedger, parseLedgerUrl } = await import('../stores/open.js');
  if (options.mustExist) {
    const location = parseLedgerUrl(url);
    if (location.kind === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path)) {
      throw new ECTConfigError('ledger URL', `no SQLite ledger at ${location.path}`);
    }
  }
  const key =
    options.keyFile === undefined
      ? undefined
      : readKeyFile(options.keyFile, options.keySetting ?? '--ledger-key');
  return openLedger(url, {
    ...(key === undefined ? {} : { key: key as never }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    ...(options.witnesses === undefined || options.witnesses.length === 0
      ? {}
      : { witnesses: options.witnesses.map((w) => ({ url: w })) }),
  });
}

/** The ledger options of the flags, with the environment as fallback. */
export function ledgerFlags(
  flags: StoreFlags,
  env: EnvConfig,
): {
  keyFile: string | undefined;
  keySetting: string;
  origin: string | undefined;
  witnesses: readonly string[] | undefined;
} {
  return {
    keyFile: flags.ledgerKey ?? env.ledgerKeyFile,
    keySetting: flags.ledgerKey !== undefined ? '--ledger-key' : 'ECT_LEDGER_KEY_FILE',
    origin: flags.ledgerOrigin ?? env.ledgerOrigin,
    witnesses: flags.witness ?? env.witnesses,
  };
}

/** Opens the ledger and replay cache named by flags or environment. */
export async function openStores(flags: StoreFlags, env: EnvConfig): Promise<OpenedStores> {
  const ledgerUrl = flags.ledger ?? env.ledgerUrl;
  const replayUrl = flags.replay ?? env.replayUrl;
  const ledger =
    ledgerUrl === undefined
      ? undefined
      : await openLedgerFromFlags(ledgerUrl, ledgerFlags(flags, env));
  let replay: ReplayStore | undefined;
  try {
    if (replayUrl !== undefined)
      replay = await (await import('../stores/open.js')).openReplayStore(replayUrl);
  } catch (error) {
    await ledger?.close();
    throw error;
  }
  return {
    ledger,
    replay,
    async close() {
      await Promise.allSettled([ledger?.close(), replay?.close?.()]);
    },
  };
}

/**
 * The issuers' keys named by `--trust` or `--jwks` (or `ECT_TRUST`, `ECT_JWKS_FILE`): the key
 * source, and the JWK Set itself when it is one (evidence bundles carry it along).
 */
export async function keysFromFlags(
  flags: { readonly jwks?: string | undefined; readonly trust?: string | undefined },
  env: EnvConfig,
): Promise<{ source: KeySource; jwks: JWKSet | undefined } | undefined> {
  if (flags.trust !== undefined && flags.jwks !== undefined) {
    throw new ECTConfigError('--trust', 'give either --trust or --jwks, not both');
  }
  const trustFile = flags.trust ?? (flags.jwks === undefined ? env.trustFile : undefined);
  if (trustFile !== undefined) {
    const { loadTrustConfig } = await import('../identity/trust-config.js');
    return { source: loadTrustConfig(trustFile), jwks: undefined };
  }
  const jwks = flags.jwks !== undefined ? readJWKSetFile(flags.jwks, '--jwks') : env.jwks;
  if (jwks === undefined) return undefined;
  const setting = flags.jwks !== undefined ? '--jwks' : 'ECT_JWKS_FILE';
  return { source: localJWKSet(jwks, { setting }), jwks };
}

/** Builds `VerifyOptions` from flags and environment (stores are passed in). */
export async function verifierOptions(
  flags: VerifierFlags,
  io: Io,
  extra: { dag?: DagVerifyOptions; stores?: OpenedStores } = {},
): Promise<VerifyOptions> {
  const env = configFromEnv(io.env);
  const audience = flags.audience ?? env.audience;
  if (audience === undefined || audience.length === 0)
    throw new ECTConfigError(
      '--audience',
      "this verifier's identity is required (--audience or ECT_AUDIENCE)",
    );
  const options: Mutable<VerifyOptions> = { audience };
  const keys = await keysFromFlags(flags, env);
  if (keys !== undefined) options.keys = keys.source;
  const minLevel = flags.minLevel ?? env.minLevel;
  if (minLevel !== undefined) options.minLevel = minLevel;
  if (flags.now !== undefined) options.now = flags.now;
  const acceptLegacy = flags.acceptLegacy ?? env.acceptLegacy;
  if (acceptLegacy !== undefined) options.acceptLegacy = acceptLegacy;
  const clockTolerance = flags.clockTolerance ?? env.clockTolerance;
  if (clockTolerance !== undefined) options.clockTolerance = clockTolerance;
  const maxIatAge = flags.maxIatAge ?? env.maxIatAge;
  if (maxIatAge !== undefined) options.maxIatAge = maxIatAge;
  if (env.algorithms !== undefined) options.algorithms = env.algorithms;
  if (env.maxPred !== undefined) options.maxPred = env.maxPred;
  if (env.maxTokenSize !== undefined) options.maxTokenSize = env.maxTokenSize;
  if (env.requireUuid !== undefined) options.requireUuid = env.requireUuid;
  const ledger = extra.stores?.ledger;
  if (ledger !== undefined) {
    // LED-7: ECT_LEDGER_FAILURE chooses the failure policy of synchronous recording.
    const failure = env.ledgerFailure === undefined ? {} : { failure: env.ledgerFailure };
    options.record = { ledger, ...failure };
  }
  if (extra.stores?.replay !== undefined) options.replay = extra.stores.replay;
  if (extra.dag !== undefined) options.dag = extra.dag;
  return options;
}
