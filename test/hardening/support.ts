/**
 * Shared by the hardening tests: run counts (FC_NUM_RUNS for the long `fuzz` run), the claim
 * combinations of section 4, and an independent model of the claim rules (an oracle that predicts
 * the code of VER-7, VER-9 and VER-10 from the profile text, not from the library's code).
 */
import fc from 'fast-check';
import { ECT_ERROR_CODES, type ECTErrorCode } from '../../src/errors.js';
import { AUD, ISS, NOW, WID, uuid } from '../helpers/fixtures.js';

/**
 * Runs of a property: `base` in CI (npm test); FC_NUM_RUNS overrides every property (npm run fuzz).
 * FC_SEED replays a failure reported by fast-check.
 */
export function fcParams(base: number): { numRuns: number; seed?: number; endOnFailure: true } {
  const env = Number(process.env['FC_NUM_RUNS']);
  const seed = process.env['FC_SEED'];
  return {
    numRuns: Number.isSafeInteger(env) && env > 0 ? env : base,
    endOnFailure: true,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
  };
}

/** True while the long fuzz run is going (more runs, no per-test timeout worries). */
export const LONG_RUN = process.env['FC_NUM_RUNS'] !== undefined;

export const CODES: ReadonlySet<string> = new Set(ECT_ERROR_CODES);

/** A CLM-9 digest: 32 random bytes in unpadded base64url. */
export const digestArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('base64url'));

/** A small JSON object for ect_ext (within the CLM-10 limits). */
export const extArb = fc.record(
  {
    pol: fc.constantFrom('policy-a', 'clinical-review'),
    pol_decision: fc.constantFrom('approved', 'rejected', 'pending_human_review'),
    note: fc.string({ maxLength: 40, unit: 'grapheme' }),
    nested: fc.record({ level: fc.record({ n: fc.integer() }) }),
  },
  { requiredKeys: [] },
);

/**
 * Valid claims in every combination of the optional members: with/without wid, pred empty or
 * several, inp_hash/out_hash, ect_ext, aud string or array (CLM-1 ... CLM-10).
 */
export const validClaimsArb = fc
  .record({
    jtiN: fc.integer({ min: 1, max: 2 ** 40 }),
    pred: fc
      .uniqueArray(fc.integer({ min: 2 ** 41, max: 2 ** 42 }), { maxLength: 4 })
      .map((ns) => ns.map(uuid)),
    wid: fc.option(fc.constant(WID), { nil: undefined }),
    inp_hash: fc.option(digestArb, { nil: undefined }),
    out_hash: fc.option(digestArb, { nil: undefined }),
    ect_ext: fc.option(extArb, { nil: undefined }),
    aud: fc.constantFrom<string | string[]>(
      AUD,
      [AUD],
      [ISS, AUD],
      [AUD, 'spiffe://example.org/ledger'],
    ),
    exec_act: fc.constantFrom('review_spec', 'recommend_treatment', 'tool.call', 'ü-action'),
    iatOffset: fc.integer({ min: -600, max: 20 }),
    ttl: fc.integer({ min: 1, max: 3600 }),
  })
  .map(({ jtiN, iatOffset, ttl, ...rest }) => {
    const c: Record<string, unknown> = {
      iss: ISS,
      iat: NOW + iatOffset,
      exp: NOW + iatOffset + ttl,
      jti: uuid(jtiN),
      ...rest,
    };
    for (const [k, v] of Object.entries(c)) if (v === undefined) delete c[k];
    return c;
  })
  // ttl can end before NOW - tolerance: keep only tokens that are valid at NOW.
  .filter((c) => (c['exp'] as number) + 30 >= NOW);

// ---------------------------------------------------------------------------------------------
// The oracle: section 4 and 5 as written, for the default verifier options (tolerance 30 s,
// maxIatAge 900 s, requireUuid, maxPred 100, maxExecActLength 256, acceptLegacy off).

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const B64URL_43 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/; // 43 chars, the last with 2 zero bits

const own = (o: Record<string, unknown>, k: string): boolean =>
  Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
// CLM-4: a finite number from 0 to 253402300799 (9999-12-31T23:59:59Z).
const isDate = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 253402300799;
const isId = (v: unknown): boolean => typeof v === 'string' && UUID_RE.test(v);
/** CLM-1 with SPIFFE-ID §2, written out rule by rule: a `spiffe:` iss must be a SPIFFE ID. */
function isSpiffeIss(iss: string): boolean {
  if (!/^spiffe:/i.test(iss)) return true;
  if (iss.length > 2048 || !iss.startsWith('spiffe://')) return false;
  const [trustDomain = '', ...segments] = iss.slice('spiffe://'.length).split('/');
  if (trustDomain.length === 0 || trustDomain.length > 255) return false;
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) return false;
  return segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..');
}
function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const members = Array.isArray(v) ? v : Object.values(v);
  return 1 + members.reduce<number>((m, x) => Math.max(m, depth(x)), 0);
}

/** The code the profile requires for these (already JSON-parsed) claims at time NOW, or 'ACCEPT'. */
export function expectedForClaims(c: Record<string, unknown>, now = NOW): ECTErrorCode | 'ACCEPT' {
  for (const name of ['iss', 'aud', 'iat', 'exp', 'jti', 'exec_act', 'pred'])
    if (!own(c, name)) return 'ECT_CLAIM_MISSING';
  if (!isStr(c['iss']) || !isSpiffeIss(c['iss'])) return 'ECT_CLAIM_INVALID';
  const aud = c['aud'];
  if (Array.isArray(aud) ? aud.length === 0 || !aud.every(isStr) : !isStr(aud))
    return 'ECT_CLAIM_INVALID';
  if (!isDate(c['iat']) || !isDate(c['exp']) || !(c['exp'] > c['iat'])) return 'ECT_CLAIM_INVALID';
  if (!isId(c['jti'])) return 'ECT_CLAIM_INVALID';
  if (!isStr(c['exec_act']) || c['exec_act'].length > 256) return 'ECT_CLAIM_INVALID';
  const pred = c['pred'];
  if (!Array.isArray(pred) || pred.length > 100 || !pred.every(isId)) return 'ECT_CLAIM_INVALID';
  // CLM-5: UUIDs compare in lowercase (duplicates, self-reference).
  const lower = (pred as string[]).map((p) => p.toLowerCase());
  const self = (c['jti'] as string).toLowerCase();
  if (new Set(lower).size !== lower.length || lower.includes(self)) return 'ECT_CLAIM_INVALID';
  if (own(c, 'wid') && !isId(c['wid'])) return 'ECT_CLAIM_INVALID';
  for (const h of ['inp_hash', 'out_hash'])
    if (own(c, h) && !(typeof c[h] === 'string' && B64URL_43.test(c[h])))
      return 'ECT_CLAIM_INVALID';
  if (own(c, 'ect_ext')) {
    const ext = c['ect_ext'];
    if (ext === null || typeof ext !== 'object' || Array.isArray(ext)) return 'ECT_CLAIM_INVALID';
    if (depth(ext) > 5 || Buffer.byteLength(JSON.stringify(ext)) > 4096) return 'ECT_EXT_LIMIT';
  }
  if (!(Array.isArray(aud) ? aud.includes(AUD) : aud === AUD)) return 'ECT_AUDIENCE_MISMATCH';
  const iat = c['iat'];
  if (now > c['exp'] + 30) return 'ECT_EXPIRED';
  if (iat > now + 30) return 'ECT_IAT_FUTURE';
  if (now - iat > 900 + 30) return 'ECT_IAT_TOO_OLD';
  return 'ACCEPT';
}

/**
 * One claim: usually valid, sometimes one of the hostile values, rarely absent. Weighted so that
 * about a quarter of the generated claim sets pass and each failure mode shows up often.
 */
function member<T>(
  valid: fc.Arbitrary<T>,
  ...hostile: fc.Arbitrary<unknown>[]
): fc.Arbitrary<unknown> {
  return fc.option(
    fc.oneof(
      { arbitrary: valid, weight: 40 * hostile.length },
      ...hostile.map((arbitrary) => ({ arbitrary, weight: 1 })),
    ),
    { nil: undefined, freq: 60 },
  );
}

/** `spiffe://` look-alikes (CLM-1): dot and empty segments, case, ports, queries, escapes. */
const spiffeLikeArb = fc.oneof(
  fc.constantFrom(
    'spiffe://example.org/agent/../a',
    'spiffe://Example.org/agent/a',
    'SPIFFE://example.org/agent/a',
    'spiffe://example.org/agent/a/',
    'spiffe://example.org',
  ),
  fc
    .string({ unit: fc.constantFrom(...'aZ0.-_/%:@?#é'), maxLength: 14 })
    .map((rest) => `spiffe://${rest}`),
);

/** Claims mixing valid and hostile values for every member (absent, wrong type, edge values). */
export const hostileClaimsArb = fc
  .record({
    iss: member(
      fc.constant(ISS),
      ...[fc.constant(''), fc.integer(), fc.constant(null), fc.constant([ISS])],
      ...[fc.string({ maxLength: 5 }), spiffeLikeArb],
    ),
    aud: member(
      fc.constantFrom<unknown>(AUD, [AUD], [ISS, AUD]),
      fc.constant([]),
      fc.constant([AUD, '']),
      fc.constant(`${AUD}/`),
      fc.constant([ISS]),
      fc.integer(),
      fc.constant([AUD, 7]),
    ),
    iat: member(
      fc.integer({ min: NOW - 1200, max: NOW + 100 }),
      fc.constant(String(NOW)),
      fc.constant(-1),
      fc.double({ noNaN: true }),
      fc.constant(null),
      fc.constant(0),
    ),
    exp: member(
      fc.integer({ min: NOW - 100, max: NOW + 1200 }),
      ...[fc.constant(String(NOW + 600)), fc.constant(1e300), fc.constant(true)],
      fc.double({ noNaN: true }),
      fc.constantFrom(1e23, 2 ** 53 + 2, 253402300799, 253402300800),
    ),
    jti: member(
      fc.constantFrom(uuid(0xabc), uuid(0xabc).toUpperCase()),
      ...[fc.constant('task-1'), fc.constant(1), fc.constant(`{${uuid(1)}}`), fc.uuid()],
    ),
    exec_act: member(
      fc.constantFrom('review_spec', 'x'.repeat(256)),
      fc.constant(''),
      fc.string({ minLength: 250, maxLength: 260 }),
      fc.integer(),
      fc.string({ maxLength: 10, unit: 'binary' }),
    ),
    pred: member(
      fc.uniqueArray(fc.integer({ min: 2, max: 50 }), { maxLength: 3 }).map((ns) => ns.map(uuid)),
      fc.constant([uuid(0xabc)]),
      fc.constant([uuid(0xabc).toUpperCase()]),
      fc.constant([uuid(0xdef), uuid(0xdef).toUpperCase()]),
      fc.constant([uuid(2), uuid(2)]),
      fc.constant(uuid(2)),
      fc.constant([2]),
      fc.constant(Array.from({ length: 101 }, (_, i) => uuid(100 + i))),
      fc.constant(Array.from({ length: 100 }, (_, i) => uuid(100 + i))),
      fc.constant(null),
    ),
    wid: fc.option(
      fc.oneof(
        { arbitrary: fc.constant(WID), weight: 30 },
        fc.constant('wf-1'),
        fc.constant(''),
        fc.integer(),
      ),
      { nil: undefined },
    ),
    inp_hash: fc.option(
      fc.oneof(
        { arbitrary: digestArb, weight: 30 },
        fc.constant(`sha-256:${'A'.repeat(43)}`),
        fc.constant('A'.repeat(42)),
        fc.constant(`${'A'.repeat(42)}B`),
        fc.integer(),
      ),
      { nil: undefined },
    ),
    out_hash: fc.option(
      fc.oneof(
        { arbitrary: digestArb, weight: 30 },
        fc.constant(`${'A'.repeat(43)}=`),
        fc.constant(null),
      ),
      { nil: undefined },
    ),
    ect_ext: fc.option(
      fc.oneof(
        { arbitrary: extArb, weight: 40 },
        fc.jsonValue({ maxDepth: 7 }),
        fc.constant({ a: { b: { c: { d: { e: {} } } } } }),
        fc.constant({ a: { b: { c: { d: {} } } } }),
        fc.constant({ a: [[[[1]]]] }),
        fc.constant({ big: 'x'.repeat(4096 - 10) }),
        fc.constant({ big: 'x'.repeat(4096 - 9) }),
      ),
      { nil: undefined },
    ),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  })
  .map(({ extra, ...claims }) => {
    // Extra members never override a section 4 claim (they would only test the generator).
    const c: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(extra))
      if (
        ![
          'iss',
          'aud',
          'iat',
          'exp',
          'jti',
          'exec_act',
          'pred',
          'wid',
          'inp_hash',
          'out_hash',
          'ect_ext',
          '__proto__',
        ].includes(k)
      )
        c[k] = v;
    for (const [k, v] of Object.entries(claims)) if (v !== undefined) c[k] = v;
    return c;
  });
