/**
 * Token signatures as the explorer reports them: checked with the issuers' keys given on the
 * command line (`--jwks`, `--trust`), at the time each token was recorded, as an auditor does
 * (any audience, no replay check), the way `ect bundle verify` checks them. Without keys, every
 * token is "unchecked": the page says so rather than guess.
 * @module
 */
import { isECTError } from '../../errors.js';
import { parseToken } from '../../format/parse.js';
import type { KeySource } from '../../identity/key-source.js';
import type { Entry } from '../../ledger/entry.js';
import { createVerifier } from '../../verify/verify.js';
import type { SignatureStatus } from '../api.js';

/** Checks tokens' signatures and claims; one instance per set of keys. */
export interface TokenChecker {
  /** What the keys are, for the status page. */
  readonly description: string;
  check(entries: readonly Entry[]): Promise<SignatureStatus[]>;
}

const UNCHECKED: SignatureStatus = {
  state: 'unchecked',
  message: 'not checked: the explorer was started without --jwks or --trust',
};

/** The audiences the tokens name: the auditor accepts every one (VER-9 is not its business). */
function audiences(entries: readonly Entry[]): string[] {
  const found = new Set<string>(['urn:ect:auditor']);
  for (const entry of entries) {
    try {
      const aud = parseToken(entry.token).payload['aud'];
      for (const a of Array.isArray(aud) ? aud : [aud]) if (typeof a === 'string') found.add(a);
    } catch {
      // A token that does not parse fails its own check below.
    }
  }
  return [...found];
}

/** A checker with `keys`, or one that reports every token unchecked. */
export function tokenChecker(options: {
  readonly keys: KeySource | undefined;
  readonly description: string;
}): TokenChecker {
  const { keys, description } = options;
  if (keys === undefined) {
    return { description, check: async (entries) => entries.map(() => UNCHECKED) };
  }
  return {
    description,
    check: async (entries) => {
      let now = 0;
      const verifier = createVerifier({
        audience: audiences(entries),
        keys,
        minLevel: 1,
        replay: false,
        now: () => now,
      });
      const out: SignatureStatus[] = [];
      // One at a time: `now` is each token's recording time.
      for (const entry of entries) {
        now = Math.floor(entry.recordedAt / 1000);
        try {
          await verifier.verify(entry.token);
          const signed = entry.token.includes('.');
          out.push(
            (entry.level === 1) === !signed
              ? {
                  state: 'valid',
                  message: signed ? 'signature and claims valid when recorded' : 'unsigned (L1)',
                }
              : { state: 'invalid', message: `recorded at level ${entry.level}: envelope differs` },
          );
        } catch (error) {
          if (!isECTError(error)) throw error;
          out.push({ state: 'invalid', message: `${error.code}: ${error.message}` });
        }
      }
      return out;
    },
  };
}
