/**
 * Recording accepted tokens in the ledger (VER-13, LED-7): synchronously with a timeout, or in the
 * background with retries and a failure callback.
 * @module
 */
import { ECTError } from '../errors.js';
import type { ECTClaims, Level } from '../format/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Receipt } from '../ledger/types.js';

/**
 * What the application is told when background recording finally fails (LED-7).
 *
 * @example
 * ```ts
 * import { createVerifier, Ledger, MemoryECTStore, type LedgerFailure } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const onFailure = (failure: LedgerFailure): void => {
 *   console.error(
 *     `task ${failure.claims.jti} not recorded after ${failure.attempts} attempts:`,
 *     failure.error.code,
 *   );
 * };
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   record: { ledger, mode: 'async', onFailure },
 *   dag: { store: new MemoryECTStore() }, // async: the ledger records later
 * });
 * ```
 */
export interface LedgerFailure {
  readonly token: string;
  readonly claims: ECTClaims;
  /** The last attempt's error (`ECT_LEDGER_UNAVAILABLE`, or `ECT_DAG_DUPLICATE`). */
  readonly error: ECTError;
  readonly attempts: number;
}

/** How background recording retries. */
export interface RetryPolicy {
  readonly retries: number;
  /** Delay before the first retry, doubled for each next one, milliseconds. */
  readonly delayMs: number;
  readonly timeoutMs: number;
  readonly onFailure: ((failure: LedgerFailure) => void) | undefined;
}

/**
 * An append bounded by `ms` (LED-7: a hanging ledger must not hang verification). The bound is
 * on the ledger's silence, not on the append's wait: when the time is up but the ledger finished
 * a batch meanwhile (its `progress` moved), the append is waiting its turn behind other group
 * commits, and gets another `ms`. A ledger that finishes nothing for `ms` fails the append.
 */
export function appendWithTimeout(
  ledger: Ledger,
  token: string,
  level: Level,
  ms: number,
): Promise<Receipt> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    let seen = ledger.progress;
    const arm = (): void => {
      timer = setTimeout(() => {
        if (ledger.progress !== seen) {
          seen = ledger.progress;
          return arm();
        }
        reject(new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger did not answer within ${ms} ms`));
      }, ms);
    };
    arm();
  });
  return Promise.race([ledger.append({ token, level }), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

function asLedgerError(error: unknown): ECTError {
  return error instanceof ECTError
    ? error
    : new ECTError(
        'ECT_LEDGER_UNAVAILABLE',
        `the ledger could not record the token: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
}

/**
 * LED-7 asynchronous recording: appends in the background, retrying an unavailable ledger with
 * exponential backoff. Resolves to the receipt, or, when every attempt failed (or the ledger holds
 * the task already, which no retry changes), calls `onFailure` and resolves to `undefined`: the
 * token then counts as L2. Never rejects.
 */
export async function recordInBackground(
  ledger: Ledger,
  token: string,
  claims: ECTClaims,
  level: Level,
  policy: RetryPolicy,
): Promise<Receipt | undefined> {
  let error: ECTError | undefined;
  let attempts = 0;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0)
      await new Promise((resolve) => setTimeout(resolve, policy.delayMs * 2 ** (attempt - 1)));
    attempts++;
    try {
      return await appendWithTimeout(ledger, token, level, policy.timeoutMs);
    } catch (caught) {
      error = asLedgerError(caught);
      if (error.code !== 'ECT_LEDGER_UNAVAILABLE') break;
    }
  }
  try {
    policy.onFailure?.({ token, claims, error: error!, attempts });
  } catch {
    // The application's callback must not turn a recorded failure into an unhandled rejection.
  }
  return undefined;
}
