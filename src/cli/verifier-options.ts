/**
 * Verifier options from command-line flags, with the `ECT_` environment as fallback (flags win).
 * @module
 */
import { configFromEnv, readJWKSetFile } from '../config/env.js';
import type { Algorithm } from '../crypto/algorithms.js';
import { ECTConfigError } from '../errors.js';
import type { Level } from '../format/types.js';
import { localJWKSet } from '../identity/jwks.js';
import type { DagVerifyOptions, VerifyOptions } from '../verify/options.js';
import type { Io } from './io.js';

/** Flags shared by the commands that verify. */
export interface VerifierFlags {
  jwks?: string;
  audience?: string[];
  now?: number;
  minLevel?: Level;
  acceptLegacy?: boolean;
  clockTolerance?: number;
  maxIatAge?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds `VerifyOptions` (without stores) from flags and environment. */
export function verifierOptions(flags: VerifierFlags, io: Io, extra: { dag?: DagVerifyOptions } = {}): VerifyOptions {
  const env = configFromEnv(io.env);
  const audience = flags.audience ?? env.audience;
  if (audience === undefined || audience.length === 0) throw new ECTConfigError('--audience', "this verifier's identity is required (--audience or ECT_AUDIENCE)");
  const options: Mutable<VerifyOptions> = { audience };
  const jwks = flags.jwks !== undefined ? readJWKSetFile(flags.jwks, '--jwks') : env.jwks;
  if (jwks !== undefined) options.keys = localJWKSet(jwks, { setting: flags.jwks !== undefined ? '--jwks' : 'ECT_JWKS_FILE' });
  const minLevel = flags.minLevel ?? env.minLevel;
  if (minLevel !== undefined) options.minLevel = minLevel;
  if (flags.now !== undefined) options.now = flags.now;
  const acceptLegacy = flags.acceptLegacy ?? env.acceptLegacy;
  if (acceptLegacy !== undefined) options.acceptLegacy = acceptLegacy;
  const clockTolerance = flags.clockTolerance ?? env.clockTolerance;
  if (clockTolerance !== undefined) options.clockTolerance = clockTolerance;
  const maxIatAge = flags.maxIatAge ?? env.maxIatAge;
  if (maxIatAge !== undefined) options.maxIatAge = maxIatAge;
  if (env.algorithms !== undefined) options.algorithms = env.algorithms as Algorithm[];
  if (env.maxPred !== undefined) options.maxPred = env.maxPred;
  if (env.maxTokenSize !== undefined) options.maxTokenSize = env.maxTokenSize;
  if (env.requireUuid !== undefined) options.requireUuid = env.requireUuid;
  if (extra.dag !== undefined) options.dag = extra.dag;
  return options;
}
