/**
 * The shapes of an ECT on the wire: assurance levels, JOSE header and claims (profile sections 2-4).
 * @module
 */

/**
 * Assurance level (profile section 2): 1 unsigned, 2 signed, 3 signed and recorded in a ledger.
 *
 * @example
 * ```ts
 * import type { Level } from 'wimse-ect';
 *
 * const names: Record<Level, string> = { 1: 'unsigned', 2: 'signed', 3: 'signed and recorded' };
 * ```
 */
export type Level = 1 | 2 | 3;

/**
 * The JOSE header of an L2/L3 token (profile section 3). Unknown members are kept.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, type ECTHeader } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const verifier = createVerifier({ audience: 'b', keys: { keys: [key.publicJwk] } });
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const result = await verifier.verify(createECT(claims, { key: key.privateJwk }));
 * const header: ECTHeader | null = result.header;
 * console.log(header?.typ, header?.alg); // exec+jwt ES256
 * ```
 */
export interface ECTHeader {
  readonly alg: string;
  readonly typ: string;
  readonly kid?: string;
  readonly x5c?: readonly string[];
  readonly crit?: readonly string[];
  readonly [member: string]: unknown;
}

/**
 * The claims of an ECT (profile section 4), as verified. Other claims are kept (CLM-11).
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, type ECTClaims } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const verifier = createVerifier({ audience: 'b', keys: { keys: [key.publicJwk] } });
 * const input = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const { claims } = await verifier.verify(createECT(input, { key: key.privateJwk }));
 * const task: ECTClaims = claims;
 * console.log(task.jti, task.pred); // a UUID, []
 * ```
 */
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
