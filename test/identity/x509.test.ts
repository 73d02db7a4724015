/**
 * IDB-2, the X.509 profile: `x5c` chains validated against configured trust anchors at the
 * verification time, with CA constraints, key usage, the leaf's URI SAN as the issuer (VER-8) and a
 * revocation hook. Certificates are made with `openssl` by the tests (see pki.ts).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signCompact } from '../../src/crypto/jws.js';
import { importPrivateKey } from '../../src/crypto/keys.js';
import { x509Trust, type RevocationInput, type X509TrustOptions } from '../../src/identity/x509.js';
import { createPki, type TestCert, type TestPki } from './pki.js';
import { accepts, AUD, ect, NOW, rejects } from './support.js';

const ISS = 'spiffe://example.org/agent/a';
const YEAR = 365 * 24 * 3600;

let pki: TestPki;
let root: TestCert;
let inter: TestCert;
let leaf: TestCert;
let expiredLeaf: TestCert;
let futureLeaf: TestCert;
let otherRoot: TestCert;
let otherLeaf: TestCert;
let interNoCa: TestCert;
let leafUnderNoCa: TestCert;
let inter0: TestCert;
let inter1: TestCert;
let leafTooDeep: TestCert;
let leafNoSignature: TestCert;
let leafCriticalPolicy: TestCert;
let directLeaf: TestCert;
let oldRoot: TestCert;
let leafUnderOldRoot: TestCert;
let root0: TestCert;
let interUnderRoot0: TestCert;
let inter2UnderRoot0: TestCert;
let leafTwoBelowRoot0: TestCert;
let leafDirectRoot0: TestCert;
let leafOneBelowRoot0: TestCert;
let leafDotSegment: TestCert;
let leafUpperTrustDomain: TestCert;
let svidCa: TestCert;
let svidTwoUris: TestCert;
let svidAndHttps: TestCert;
let svidCrlSign: TestCert;
let svidRootId: TestCert;
let twoHttpsUris: TestCert;

before(() => {
  pki = createPki();
  root = pki.issue({
    name: 'root',
    ca: true,
    notBefore: '20200101000000Z',
    notAfter: '20400101000000Z',
  });
  inter = pki.issue({
    name: 'inter',
    issuer: root,
    ca: true,
    notBefore: '20210101000000Z',
    notAfter: '20390101000000Z',
  });
  leaf = pki.issue({
    name: 'leaf',
    issuer: inter,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  expiredLeaf = pki.issue({
    name: 'expired',
    issuer: inter,
    uris: [ISS],
    notBefore: '20270101000000Z',
    notAfter: '20290101000000Z',
  });
  futureLeaf = pki.issue({
    name: 'future',
    issuer: inter,
    uris: [ISS],
    notBefore: '20310101000000Z',
    notAfter: '20320101000000Z',
  });
  otherRoot = pki.issue({
    name: 'other-root',
    ca: true,
    notBefore: '20200101000000Z',
    notAfter: '20400101000000Z',
  });
  otherLeaf = pki.issue({
    name: 'other-leaf',
    issuer: otherRoot,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  // keyCertSign set so that only the basicConstraints check can refuse it.
  interNoCa = pki.issue({
    name: 'inter-no-ca',
    issuer: root,
    ca: false,
    keyUsage: 'keyCertSign',
    notBefore: '20210101000000Z',
    notAfter: '20390101000000Z',
  });
  leafUnderNoCa = pki.issue({
    name: 'leaf-under-no-ca',
    issuer: interNoCa,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  inter0 = pki.issue({
    name: 'inter0',
    issuer: root,
    ca: true,
    pathLen: 0,
    notBefore: '20210101000000Z',
    notAfter: '20390101000000Z',
  });
  inter1 = pki.issue({
    name: 'inter1',
    issuer: inter0,
    ca: true,
    notBefore: '20210101000000Z',
    notAfter: '20390101000000Z',
  });
  leafTooDeep = pki.issue({
    name: 'leaf-too-deep',
    issuer: inter1,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  leafNoSignature = pki.issue({
    name: 'leaf-no-ds',
    issuer: inter,
    uris: [ISS],
    keyUsage: 'keyAgreement',
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  leafCriticalPolicy = pki.issue({
    name: 'leaf-policy',
    issuer: inter,
    uris: [ISS],
    extra: ['certificatePolicies = critical,1.2.3.4'],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  oldRoot = pki.issue({
    name: 'old-root',
    ca: true,
    notBefore: '20200101000000Z',
    notAfter: '20291231000000Z',
  });
  leafUnderOldRoot = pki.issue({
    name: 'leaf-old-root',
    issuer: oldRoot,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  directLeaf = pki.issue({
    name: 'direct',
    issuer: root,
    uris: [ISS],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  // An anchor whose own pathLenConstraint is 0: it may sign leaves only.
  const caSpan = { notBefore: '20210101000000Z', notAfter: '20390101000000Z' };
  const leafSpan = { notBefore: '20290101000000Z', notAfter: '20310101000000Z' };
  root0 = pki.issue({ name: 'root0', ca: true, pathLen: 0, ...caSpan });
  interUnderRoot0 = pki.issue({ name: 'i-root0', issuer: root0, ca: true, ...caSpan });
  inter2UnderRoot0 = pki.issue({ name: 'i2-root0', issuer: interUnderRoot0, ca: true, ...caSpan });
  const leafOf = (name: string, issuer: TestCert): TestCert =>
    pki.issue({ name, issuer, uris: [ISS], ...leafSpan });
  leafTwoBelowRoot0 = leafOf('leaf-2-root0', inter2UnderRoot0);
  leafOneBelowRoot0 = leafOf('leaf-1-root0', interUnderRoot0);
  leafDirectRoot0 = leafOf('leaf-0-root0', root0);
  // URI SANs in the spiffe scheme that are not SPIFFE IDs (CLM-1).
  const sanOf = (name: string, uri: string): TestCert =>
    pki.issue({ name, issuer: inter, uris: [uri], ...leafSpan });
  leafDotSegment = sanOf('leaf-dot-segment', 'spiffe://example.org/agent/../a');
  leafUpperTrustDomain = sanOf('leaf-upper-td', 'spiffe://Example.org/agent/a');
  // Leaves that carry a SPIFFE ID but break the X509-SVID leaf rules (§5.2), and a control.
  const under = { issuer: inter, ...leafSpan };
  const caUsage = 'digitalSignature,keyCertSign';
  svidCa = pki.issue({ name: 'svid-ca', ...under, uris: [ISS], ca: true, keyUsage: caUsage });
  svidTwoUris = pki.issue({ name: 'svid-two', ...under, uris: [ISS, 'spiffe://example.org/b'] });
  svidAndHttps = pki.issue({ name: 'svid-https', ...under, uris: [ISS, 'https://example.org/a'] });
  const crlUsage = 'digitalSignature,cRLSign';
  svidCrlSign = pki.issue({ name: 'svid-crl', ...under, uris: [ISS], keyUsage: crlUsage });
  svidRootId = pki.issue({ name: 'svid-root', ...under, uris: ['spiffe://example.org'] });
  const https = ['https://a.example/x', 'https://b.example/y'];
  twoHttpsUris = pki.issue({ name: 'two-https', ...under, uris: https });
});

after(() => pki.dispose());

function trust(options: Partial<X509TrustOptions> = {}): ReturnType<typeof x509Trust> {
  return x509Trust({ anchors: root.pem, ...options });
}

/** An ECT signed by `cert`'s key, carrying `chain` as x5c. */
function tokenFor(
  cert: TestCert,
  chain: readonly TestCert[],
  options: { iss?: string; now?: number } = {},
): string {
  return ect(options.iss ?? ISS, {
    key: cert.keyPem,
    x5c: chain.map((c) => c.der),
    now: options.now ?? NOW,
  });
}

describe('X.509 profile (IDB-2)', () => {
  test('IDB-2: a valid chain (leaf, intermediate) to a configured anchor verifies, and iss is the leaf URI SAN', async () => {
    const result = await accepts(trust(), tokenFor(leaf, [leaf, inter]));
    assert.equal(result.claims.iss, ISS);
  });

  test('IDB-2: a chain that includes the anchor itself verifies', async () => {
    await accepts(trust(), tokenFor(leaf, [leaf, inter, root]));
  });

  test('IDB-2: a leaf issued directly by the anchor verifies', async () => {
    await accepts(trust(), tokenFor(directLeaf, [directLeaf]));
  });

  test('IDB-2: an expired leaf certificate is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(trust(), tokenFor(expiredLeaf, [expiredLeaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /leaf.*expired/,
    });
  });

  test('IDB-2: a leaf that is not yet valid is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(trust(), tokenFor(futureLeaf, [futureLeaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /not valid before/,
    });
  });

  test('IDB-2: validity is checked at the verification time, also for a chain validated (and cached) before', async () => {
    const source = trust();
    await accepts(source, tokenFor(leaf, [leaf, inter]));
    const later = NOW + 2 * YEAR; // after the leaf's notAfter (2031)
    await rejects(source, tokenFor(leaf, [leaf, inter], { now: later }), 'ECT_KEY_UNRESOLVED', {
      now: later,
      message: /expired/,
    });
  });

  test('IDB-2: a chain to a trust anchor that has expired is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(
      x509Trust({ anchors: [root.pem, oldRoot.pem] }),
      tokenFor(leafUnderOldRoot, [leafUnderOldRoot]),
      'ECT_KEY_UNRESOLVED',
      { message: /trust anchor expired/ },
    );
  });

  test('IDB-2, VER-5: a chain to an anchor that is not configured is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(trust(), tokenFor(otherLeaf, [otherLeaf, otherRoot]), 'ECT_KEY_UNRESOLVED', {
      message: /trusted anchor/,
    });
  });

  test('IDB-2: an intermediate without basicConstraints CA:TRUE is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(
      trust(),
      tokenFor(leafUnderNoCa, [leafUnderNoCa, interNoCa]),
      'ECT_KEY_UNRESOLVED',
      { message: /not a CA/ },
    );
  });

  test("IDB-2: a path longer than an intermediate's pathLenConstraint is rejected with ECT_KEY_UNRESOLVED", async () => {
    await rejects(
      trust(),
      tokenFor(leafTooDeep, [leafTooDeep, inter1, inter0]),
      'ECT_KEY_UNRESOLVED',
      { message: /allows 0 intermediate/ },
    );
  });

  test('IDB-2: a pathLenConstraint of 0 on the trust anchor itself rejects a leaf under two intermediates with ECT_KEY_UNRESOLVED, as openssl verify does', async () => {
    const anchored = x509Trust({ anchors: root0.pem });
    const chain = [leafTwoBelowRoot0, inter2UnderRoot0, interUnderRoot0];
    // The reference: openssl refuses the same path at the same time.
    const untrusted = chain.slice(1).flatMap((c) => ['-untrusted', c.certFile]);
    const args = ['verify', '-attime', String(NOW), '-CAfile', root0.certFile, ...untrusted];
    const leafFile = leafTwoBelowRoot0.certFile;
    const openssl = spawnSync('openssl', [...args, leafFile], { encoding: 'utf8' });
    assert.notEqual(openssl.status, 0);
    assert.match(openssl.stdout + openssl.stderr, /path length constraint exceeded/);
    // The anchor found by signature (not in x5c), and the anchor sent in x5c: the same verdict.
    const tooDeep = { message: /allows 0 intermediate/ };
    await rejects(anchored, tokenFor(leafTwoBelowRoot0, chain), 'ECT_KEY_UNRESOLVED', tooDeep);
    const withAnchor = [...chain, root0];
    await rejects(anchored, tokenFor(leafTwoBelowRoot0, withAnchor), 'ECT_KEY_UNRESOLVED', tooDeep);
    // One intermediate is already one too many; a leaf signed by the anchor itself is fine.
    const oneBelow = [leafOneBelowRoot0, interUnderRoot0];
    await rejects(anchored, tokenFor(leafOneBelowRoot0, oneBelow), 'ECT_KEY_UNRESOLVED', tooDeep);
    await accepts(anchored, tokenFor(leafDirectRoot0, [leafDirectRoot0]));
  });

  test('IDB-2, CLM-1: a leaf whose spiffe URI SAN is not a valid SPIFFE ID is rejected with ECT_KEY_UNRESOLVED, even when iss equals it', async () => {
    const cases = [
      [leafDotSegment, 'spiffe://example.org/agent/../a'],
      [leafUpperTrustDomain, 'spiffe://Example.org/agent/a'],
    ] as const;
    for (const [cert, san] of cases) {
      // Signed by hand: createECT itself refuses such an iss (CLM-1).
      const header = { alg: 'ES256', typ: 'exec+jwt', x5c: [cert.der, inter.der] };
      const claims = { iss: san, aud: AUD, exec_act: 'x', iat: NOW, exp: NOW + 60, pred: [] };
      const key = importPrivateKey(cert.keyPem);
      const token = signCompact(header, { ...claims, jti: randomUUID() }, key, 'ES256');
      await rejects(trust(), token, 'ECT_KEY_UNRESOLVED', { message: /not a SPIFFE ID/ });
    }
  });

  test('IDB-2: a leaf carrying a SPIFFE ID that is a CA (basicConstraints cA TRUE) is rejected with ECT_KEY_UNRESOLVED (X509-SVID §5.2)', async () => {
    const token = tokenFor(svidCa, [svidCa, inter]);
    await rejects(trust(), token, 'ECT_KEY_UNRESOLVED', { message: /is a CA/ });
  });

  test('IDB-2: a leaf carrying a SPIFFE ID and a second URI SAN is rejected with ECT_KEY_UNRESOLVED, whichever SAN iss names (X509-SVID §2)', async () => {
    const twoSans = { message: /2 URI SANs/ };
    for (const iss of [ISS, 'spiffe://example.org/b']) {
      const token = tokenFor(svidTwoUris, [svidTwoUris, inter], { iss });
      await rejects(trust(), token, 'ECT_KEY_UNRESOLVED', twoSans);
    }
    const httpsIss = { iss: 'https://example.org/a' };
    const withHttps = tokenFor(svidAndHttps, [svidAndHttps, inter], httpsIss);
    await rejects(trust(), withHttps, 'ECT_KEY_UNRESOLVED', twoSans);
  });

  test('IDB-2: a SPIFFE leaf with cRLSign, or whose ID has no path, is rejected with ECT_KEY_UNRESOLVED (X509-SVID §4.3, §5.2); a leaf without a SPIFFE ID keeps the RFC 5280 rules', async () => {
    const crl = tokenFor(svidCrlSign, [svidCrlSign, inter]);
    await rejects(trust(), crl, 'ECT_KEY_UNRESOLVED', { message: /CRLs/ });
    const rootId = tokenFor(svidRootId, [svidRootId, inter], { iss: 'spiffe://example.org' });
    await rejects(trust(), rootId, 'ECT_KEY_UNRESOLVED', { message: /no path/ });
    // Two https URI SANs are allowed by RFC 5280; iss may be either of them (VER-8).
    const iss = 'https://b.example/y';
    const second = tokenFor(twoHttpsUris, [twoHttpsUris, inter], { iss });
    assert.equal((await accepts(trust(), second)).claims.iss, iss);
  });

  test('IDB-2: a leaf whose key usage lacks digitalSignature is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(
      trust(),
      tokenFor(leafNoSignature, [leafNoSignature, inter]),
      'ECT_KEY_UNRESOLVED',
      { message: /digital signatures/ },
    );
  });

  test('IDB-2: a certificate with an unknown critical extension is rejected with ECT_KEY_UNRESOLVED (RFC 5280 §4.2)', async () => {
    await rejects(
      trust(),
      tokenFor(leafCriticalPolicy, [leafCriticalPolicy, inter]),
      'ECT_KEY_UNRESOLVED',
      { message: /critical extension/ },
    );
  });

  test('IDB-2: a chain whose links do not sign each other is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(trust(), tokenFor(leaf, [leaf, otherRoot, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /not signed by x5c\[1\]/,
    });
  });

  test('IDB-2: a chain longer than the configured bound is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(
      trust({ maxChainLength: 2 }),
      tokenFor(leaf, [leaf, inter, root]),
      'ECT_KEY_UNRESOLVED',
      { message: /at most 2/ },
    );
  });

  test('IDB-2: x5c entries in base64url instead of base64 are rejected with ECT_KEY_UNRESOLVED (RFC 7515 §4.1.6)', async () => {
    const urlSafe = (der: string): string => Buffer.from(der, 'base64').toString('base64url');
    const token = ect(ISS, { key: leaf.keyPem, x5c: [urlSafe(leaf.der), urlSafe(inter.der)] });
    assert.match(leaf.der + inter.der, /[+/]/, 'precondition: the two encodings differ');
    await rejects(trust(), token, 'ECT_KEY_UNRESOLVED', { message: /base64/ });
  });

  test('IDB-2, HDR-3: a token without x5c is rejected with ECT_KEY_UNRESOLVED', async () => {
    await rejects(trust(), ect(ISS, { key: leaf.keyPem }), 'ECT_KEY_UNRESOLVED', {
      message: /no x5c/,
    });
  });

  test('IDB-2, VER-8: an iss that is not a URI SAN of the leaf is rejected with ECT_ISSUER_MISMATCH', async () => {
    await rejects(
      trust(),
      tokenFor(leaf, [leaf, inter], { iss: 'spiffe://example.org/agent/b' }),
      'ECT_ISSUER_MISMATCH',
    );
  });

  test('IDB-2, VER-8: anchors restricted to other issuers never vouch for this leaf (ECT_ISSUER_MISMATCH)', async () => {
    await rejects(
      trust({ issuers: [{ prefix: 'spiffe://other.org/' }] }),
      tokenFor(leaf, [leaf, inter]),
      'ECT_ISSUER_MISMATCH',
    );
    await accepts(
      trust({ issuers: [{ prefix: 'spiffe://example.org/' }] }),
      tokenFor(leaf, [leaf, inter]),
    );
  });

  test("IDB-2, VER-6: a token signed by a key other than the leaf's is rejected with ECT_SIGNATURE_INVALID", async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const token = ect(ISS, { key: stranger, x5c: [leaf.der, inter.der] });
    await rejects(trust(), token, 'ECT_SIGNATURE_INVALID');
  });

  test('IDB-2, HDR-2: a header alg that does not fit the leaf key is rejected with ECT_KEY_UNRESOLVED', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const token = signCompact(
      { alg: 'ES384', typ: 'exec+jwt', x5c: [leaf.der, inter.der] },
      { iss: ISS, aud: AUD, exec_act: 'x', iat: NOW, exp: NOW + 60, jti: randomUUID(), pred: [] },
      p384,
      'ES384',
    );
    await rejects(trust(), token, 'ECT_KEY_UNRESOLVED', { message: /does not fit ES384/ });
  });
});

describe('X.509 revocation hook (IDB-2)', () => {
  test('IDB-2: the hook is asked about the leaf and each intermediate with its issuer', async () => {
    const asked: RevocationInput[] = [];
    await accepts(
      trust({ revocation: (input) => (asked.push(input), 'good') }),
      tokenFor(leaf, [leaf, inter]),
    );
    assert.deepEqual(
      asked.map((a) => [a.position, a.certificate.subject, a.issuer.subject, a.now]),
      [
        [0, 'CN=leaf', 'CN=inter', NOW],
        [1, 'CN=inter', 'CN=root', NOW],
      ],
    );
  });

  test('IDB-2: a leaf revoked according to the hook is rejected with ECT_KEY_UNRESOLVED', async () => {
    const source = trust({ revocation: ({ position }) => (position === 0 ? 'revoked' : 'good') });
    await rejects(source, tokenFor(leaf, [leaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /leaf.*revoked/,
    });
  });

  test('IDB-2: a revoked intermediate is rejected with ECT_KEY_UNRESOLVED, also for a chain validated before', async () => {
    let revoked = false;
    const source = trust({
      revocation: async ({ position }) => (revoked && position === 1 ? 'revoked' : 'good'),
    });
    await accepts(source, tokenFor(leaf, [leaf, inter]));
    revoked = true;
    await rejects(source, tokenFor(leaf, [leaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /x5c\[1\] is revoked/,
    });
  });

  test('IDB-2: a failing hook rejects the token by default (ECT_KEY_UNRESOLVED)', async () => {
    const source = trust({
      revocation: () => {
        throw new Error('OCSP responder unreachable');
      },
    });
    await rejects(source, tokenFor(leaf, [leaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /OCSP responder unreachable/,
    });
  });

  test('IDB-2: an "unknown" answer follows the failure policy (reject by default)', async () => {
    await rejects(
      trust({ revocation: () => 'unknown' }),
      tokenFor(leaf, [leaf, inter]),
      'ECT_KEY_UNRESOLVED',
      { message: /unknown/ },
    );
  });

  test('IDB-2: with the failure policy "allow" a failing hook does not reject, a revocation still does', async () => {
    const failing = trust({
      revocationFailure: 'allow',
      revocation: () => Promise.reject(new Error('down')),
    });
    await accepts(failing, tokenFor(leaf, [leaf, inter]));
    const revoking = trust({ revocationFailure: 'allow', revocation: () => 'revoked' });
    await rejects(revoking, tokenFor(leaf, [leaf, inter]), 'ECT_KEY_UNRESOLVED');
  });

  test('IDB-2: a hook that never answers counts as failed after its timeout (rejected by default)', async () => {
    const source = trust({
      revocationTimeoutMs: 50,
      revocation: () => new Promise(() => undefined),
    });
    await rejects(source, tokenFor(leaf, [leaf, inter]), 'ECT_KEY_UNRESOLVED', {
      message: /no answer within 50 ms/,
    });
  });
});
