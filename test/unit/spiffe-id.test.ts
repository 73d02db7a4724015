/**
 * The SPIFFE ID validator (src/format/spiffe-id.ts) behind CLM-1 (ECT `iss`), IDB-2 (the URI SAN
 * of an X509-SVID) and IDB-3 (the `sub` of a WIT), against the rules of SPIFFE-ID.md §2.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  hasSpiffeScheme,
  isSpiffeId,
  SPIFFE_ID_MAX_LENGTH,
  spiffeIdProblem,
  TRUST_DOMAIN_MAX_LENGTH,
} from '../../src/format/spiffe-id.js';

/** The longest valid ID: `spiffe://example.org/` and a path filling up to 2048 bytes. */
const longest = `spiffe://example.org/${'a'.repeat(SPIFFE_ID_MAX_LENGTH - 21)}`;

/** Hostile look-alikes, each with the rule it breaks (a fragment of the message). */
const INVALID_SPIFFE_IDS: readonly (readonly [string, RegExp])[] = [
  ['spiffe://example.org/a/../b', /"\.\." segment/],
  ['spiffe://example.org/a/./b', /"\." segment/],
  ['spiffe://example.org/..', /"\.\." segment/],
  ['spiffe://example.org//a', /empty/],
  ['spiffe://example.org/a/', /empty/],
  ['spiffe://example.org/', /empty/],
  ['spiffe://', /trust domain is empty/],
  ['spiffe:///a', /trust domain is empty/],
  ['spiffe://Example.org/a', /not lowercase/],
  ['spiffe://EXAMPLE.ORG/a', /not lowercase/],
  ['spiffe://example.org:8443/a', /port/],
  ['spiffe://example.org:/a', /port/],
  ['spiffe://user@example.org/a', /userinfo/],
  ['spiffe://example.org/a?x=1', /query or a fragment/],
  ['spiffe://example.org/a#frag', /query or a fragment/],
  ['spiffe://example.org/a%2F..', /character other than/],
  ['spiffe://exa%6dple.org/a', /character other than/],
  ['spiffe://example.org/a b', /character other than/],
  ['spiffe://example.org/ü', /character other than/],
  ['spiffe://exämple.org/a', /character other than/],
  ['spiffe://[::1]/a', /character other than/],
  ['spiffe://example.org\\a', /character other than/],
  ['SPIFFE://example.org/a', /does not start with "spiffe:\/\/"/],
  ['Spiffe://example.org/a', /does not start with "spiffe:\/\/"/],
  ['spiffe:example.org/a', /does not start with "spiffe:\/\/"/],
  ['spiffe:/example.org/a', /does not start with "spiffe:\/\/"/],
  [`${longest}b`, /longer than 2048/],
  [`spiffe://${'a'.repeat(TRUST_DOMAIN_MAX_LENGTH + 1)}/a`, /longer than 255/],
];

describe('SPIFFE IDs (CLM-1, SPIFFE-ID §2)', () => {
  test('CLM-1: valid SPIFFE IDs: lowercase trust domain of [a-z0-9._-], segments of [A-Za-z0-9._-], up to 2048 bytes', () => {
    const valid = [
      'spiffe://example.org',
      'spiffe://example.org/agent/a',
      'spiffe://staging.example.com/payments/web-fe',
      'spiffe://k8s-west.example.com/ns/staging/sa/default',
      'spiffe://trust_domain.example/A-Z/a_z/0.9/...a/..b/.c',
      'spiffe://10.0.0.1/x',
      `spiffe://${'a'.repeat(TRUST_DOMAIN_MAX_LENGTH)}/a`,
      longest,
    ];
    assert.equal(longest.length, SPIFFE_ID_MAX_LENGTH);
    for (const id of valid) assert.equal(spiffeIdProblem(id), undefined, id);
  });

  test('CLM-1: look-alikes (dot segments, empty segments, upper case, port, userinfo, query, fragment, percent-encoding, over-long) are invalid, each with its reason', () => {
    for (const [id, reason] of INVALID_SPIFFE_IDS) {
      assert.equal(hasSpiffeScheme(id), true, id);
      assert.equal(isSpiffeId(id), false, id);
      assert.match(spiffeIdProblem(id) ?? '', reason, id);
    }
  });

  test('CLM-1, IDB-2: requirePath refuses the trust domain ID itself (X509-SVID §5.2: a leaf names a workload)', () => {
    assert.equal(isSpiffeId('spiffe://example.org'), true);
    const root = spiffeIdProblem('spiffe://example.org', { requirePath: true });
    assert.match(root ?? '', /no path/);
    assert.equal(isSpiffeId('spiffe://example.org/a', { requirePath: true }), true);
  });

  test('CLM-1: the scheme is recognised in any case (RFC 3986 §3.1); other schemes are not SPIFFE', () => {
    for (const value of ['spiffe://x/y', 'SPIFFE:', 'sPiFfE://x']) {
      assert.equal(hasSpiffeScheme(value), true, value);
    }
    const others = ['https://example.org/a/../b', 'urn:spiffe:x', 'spiffe', 'spiff://x', ''];
    for (const value of others) {
      assert.equal(hasSpiffeScheme(value), false, value);
    }
  });
});
