/**
 * SPIFFE IDs (SPIFFE-ID.md §2, the SPIFFE standard): the form an `iss` takes in WIMSE deployments
 * (CLM-1), the URI SAN of an X509-SVID (IDB-2) and the `sub` of a WIT (IDB-3). One validator for
 * all three, so that an identity refused in one place is refused everywhere.
 *
 * A valid SPIFFE ID is `spiffe://` + a trust domain + an optional path, where
 * - the trust domain is 1 to 255 characters of [a-z0-9._-] (§2.1: lowercase, no userinfo, no
 *   port, no percent-encoding);
 * - each path segment is one or more characters of [A-Za-z0-9._-], never `.` or `..` and never
 *   empty, so there is no `//` and no trailing `/` (§2.2);
 * - there is no query and no fragment (§2), and the whole ID is at most 2048 bytes (§2.3).
 * The scheme is written in lowercase, as go-spiffe and the other SPIFFE libraries require:
 * identities are compared as exact strings (VER-8), so `SPIFFE://` would be a second spelling.
 * @module
 */

/** SPIFFE-ID.md §2.3: the longest SPIFFE ID, bytes (all of them ASCII). */
export const SPIFFE_ID_MAX_LENGTH = 2048;
/** SPIFFE-ID.md §2.3: the longest trust domain name (RFC 3986 host), bytes. */
export const TRUST_DOMAIN_MAX_LENGTH = 255;

const PREFIX = 'spiffe://';
// The whole grammar as one expression: the common case (a valid ID) costs one native match.
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]{1,255}(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)*$/;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const PORT = /:\d*$/;

/** What a SPIFFE ID must have beyond the grammar. */
export interface SpiffeIdRules {
  /** X509-SVID §5.2: a leaf's ID names a workload, so it has a non-root path. Default false. */
  readonly requirePath?: boolean;
}

/** True when `value` names the `spiffe` URI scheme, in any case (RFC 3986 §3.1). */
export function hasSpiffeScheme(value: string): boolean {
  return value.length >= 7 && value.slice(0, 7).toLowerCase() === 'spiffe:';
}

/** Why `path` (after the trust domain, starting with `/`) is not a SPIFFE ID path. */
function pathProblem(path: string): string | undefined {
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') return 'a path segment is empty (a "//" or a trailing "/", SPIFFE-ID §2.2)';
    if (segment === '.' || segment === '..') {
      return `the path has a "${segment}" segment (SPIFFE-ID §2.2)`;
    }
    if (!SEGMENT.test(segment)) {
      return 'a path segment has a character other than [A-Za-z0-9._-] (SPIFFE-ID §2.2)';
    }
  }
  return undefined;
}

/** Why the part between `spiffe://` and the path is not a trust domain name. */
function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain.length === 0) return 'the trust domain is empty (SPIFFE-ID §2)';
  if (trustDomain.length > TRUST_DOMAIN_MAX_LENGTH) {
    return `the trust domain is longer than ${TRUST_DOMAIN_MAX_LENGTH} bytes (SPIFFE-ID §2.3)`;
  }
  if (trustDomain.includes('@')) return 'the authority has a userinfo part (SPIFFE-ID §2.1)';
  if (PORT.test(trustDomain)) return 'the authority has a port (SPIFFE-ID §2.1)';
  if (trustDomain !== trustDomain.toLowerCase()) {
    return 'the trust domain is not lowercase (SPIFFE-ID §2.1)';
  }
  if (!TRUST_DOMAIN.test(trustDomain)) {
    return 'the trust domain has a character other than [a-z0-9._-] (SPIFFE-ID §2.1)';
  }
  return undefined;
}

/**
 * Why `value` is not a valid SPIFFE ID, or `undefined` when it is one. Meant for values that
 * use the `spiffe` scheme (`hasSpiffeScheme`); anything else is reported as a wrong scheme.
 */
export function spiffeIdProblem(value: string, rules: SpiffeIdRules = {}): string | undefined {
  if (value.length > SPIFFE_ID_MAX_LENGTH) {
    return `it is longer than ${SPIFFE_ID_MAX_LENGTH} bytes (SPIFFE-ID §2.3)`;
  }
  if (SPIFFE_ID.test(value)) {
    if (rules.requirePath === true && value.indexOf('/', PREFIX.length) === -1) {
      return 'it has no path, so it names a trust domain, not a workload (X509-SVID §5.2)';
    }
    return undefined;
  }
  // Not valid: find the first rule it breaks, for the message.
  if (!value.startsWith(PREFIX)) return 'it does not start with "spiffe://" (SPIFFE-ID §2)';
  if (value.includes('?') || value.includes('#')) {
    return 'it has a query or a fragment (SPIFFE-ID §2)';
  }
  const rest = value.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  return (
    trustDomainProblem(trustDomain) ??
    (slash === -1 ? undefined : pathProblem(rest.slice(slash))) ??
    'it is not a SPIFFE ID (SPIFFE-ID §2)'
  );
}

/** True when `value` is a valid SPIFFE ID (see `spiffeIdProblem`). */
export function isSpiffeId(value: string, rules: SpiffeIdRules = {}): boolean {
  return spiffeIdProblem(value, rules) === undefined;
}
