/**
 * The shapes of an ECT on the wire: assurance levels, JOSE header and claims (profile sections 2-4).
 * @module
 */

/** Assurance level (profile section 2): 1 unsigned, 2 signed, 3 signed and recorded in a ledger. */
export type Level = 1 | 2 | 3;

/** The JOSE header of an L2/L3 token (profile section 3). Unknown members are kept. */
export interface ECTHeader {
  readonly alg: string;
  readonly typ: string;
  readonly kid?: string;
  readonly x5c?: readonly string[];
  readonly crit?: readonly string[];
  readonly [member: string]: unknown;
}

/** The claims of an ECT (profile section 4), as verified. Other claims are kept (CLM-11). */
export interface ECTClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly exec_act: string;
  readonly pred: readonly string[];
  readonly wid?: string;
  readonly inp_hash?: string;
  readonly out_hash?: string;
  readonly ect_ext?: Readonly<Record<string, unknown>>;
  readonly [claim: string]: unknown;
}
