/**
 * The verifier an integration was given: a `Verifier` as it is, or `VerifyOptions` built into one
 * (once, so that every request shares its replay cache, RPL-1).
 * @module
 */
import type { VerifyOptions } from './options.js';
import { createVerifier, type Verifier } from './verify.js';

/** `value` if it is a `Verifier`, else a verifier built from the options. */
export function verifierOf(value: Verifier | VerifyOptions): Verifier {
  return typeof (value as Verifier).verify === 'function'
    ? (value as Verifier)
    : createVerifier(value as VerifyOptions);
}
