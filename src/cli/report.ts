/**
 * The verification report printed by `ect verify --json` (one object, or one line per token with
 * `--batch`): `{ valid, code, message, level, header, claims, legacy }`.
 * @module
 */
import { isECTError, type ECTErrorCode } from '../errors.js';
import type { Level } from '../format/types.js';
import type { VerifiedECT } from '../verify/verify.js';
import { EXIT_INVALID, EXIT_OPERATIONAL, isOperationalCode } from './io.js';

/** One token's outcome. */
export interface VerifyReport {
  readonly valid: boolean;
  readonly code: ECTErrorCode | null;
  readonly message: string;
  readonly level: Level | null;
  readonly header: Readonly<Record<string, unknown>> | null;
  readonly claims: Readonly<Record<string, unknown>> | null;
  readonly legacy: boolean;
  readonly receipt?: unknown;
  readonly missingPredecessors?: readonly string[];
}

/** The report of an accepted token. */
export function acceptedReport(result: VerifiedECT): VerifyReport {
  return {
    valid: true,
    code: null,
    message: result.ledgerDegraded
      ? `valid at level ${result.level} (ledger unavailable: ${result.ledgerDegraded})`
      : `valid at level ${result.level}`,
    level: result.level,
    header: result.header,
    claims: result.claims,
    legacy: result.legacy,
    ...(result.receipt ? { receipt: result.receipt } : {}),
    ...(result.missingPredecessors.length > 0
      ? { missingPredecessors: result.missingPredecessors }
      : {}),
  };
}

/** The report of a rejected token; anything that is not an `ECTError` is rethrown. */
export function rejectedReport(error: unknown): VerifyReport {
  if (!isECTError(error)) throw error;
  const e = error;
  return {
    valid: false,
    code: e.code,
    message: e.message,
    level: e.level ?? null,
    header: e.header ?? null,
    claims: e.claims ?? null,
    legacy: e.legacy,
  };
}

/**
 * The exit code of a run so far, given the next report: 3 when a store could not answer for some
 * token (it was not judged), else 1 when one was rejected, else 0. A fold, so a batch keeps no
 * reports (each holds its receipt) until the end.
 */
export function exitCodeAfter(code: number, report: VerifyReport): number {
  if (code === EXIT_OPERATIONAL || isOperationalCode(report.code)) return EXIT_OPERATIONAL;
  return report.valid ? code : EXIT_INVALID;
}

/** One line for people. */
export function humanReport(report: VerifyReport): string {
  if (report.valid) {
    const c = report.claims ?? {};
    return `VALID  level ${report.level}  jti ${String(c['jti'])}  iss ${String(c['iss'])}  exec_act ${String(c['exec_act'])}${report.legacy ? '  (legacy -00 names)' : ''}\n`;
  }
  return `INVALID  ${report.code}: ${report.message}\n`;
}
