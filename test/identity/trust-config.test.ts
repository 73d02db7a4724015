/**
 * The trust configuration file (section 7): one JSON document configures the JWK set (IDB-1),
 * X.509 (IDB-2) and WIMSE (IDB-3) profiles; `loadTrustConfig` turns it into one key source, and
 * every mistake is an `ECTConfigError` that names the bad entry.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { ECTConfigError } from '../../src/errors.js';
import {
  createTrustDomainIssuer,
  loadTrustConfig,
  type KeySource,
} from '../../src/identity/index.js';
import { createPki, type TestCert, type TestPki } from './pki.js';
import { accepts, ect, jsonServer, NOW, rejects, type TestServer } from './support.js';

const inline = generateKeyPair({ alg: 'ES256', kid: 'inline-1' });
const fromFile = generateKeyPair({ alg: 'EdDSA', kid: 'file-1' });
const fromUrl = generateKeyPair({ alg: 'ES384', kid: 'url-1' });
const workload = generateKeyPair({ alg: 'ES256', kid: 'wl-1' });
const domain = createTrustDomainIssuer({ trustDomain: 'wimse.example' });

let dir: string;
let pki: TestPki;
let root: TestCert;
let leaf: TestCert;
let jwksServer: TestServer;
let witServer: TestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-trust-'));
  pki = createPki();
  root = pki.issue({
    name: 'root',
    ca: true,
    notBefore: '20200101000000Z',
    notAfter: '20400101000000Z',
  });
  leaf = pki.issue({
    name: 'leaf',
    issuer: root,
    uris: ['spiffe://x509.example/agent'],
    notBefore: '20290101000000Z',
    notAfter: '20310101000000Z',
  });
  writeFileSync(join(dir, 'anchors.pem'), root.pem);
  writeFileSync(join(dir, 'partner.jwks.json'), JSON.stringify({ keys: [fromFile.publicJwk] }));
  jwksServer = await jsonServer(() => ({ keys: [fromUrl.publicJwk] }));
  witServer = await jsonServer(() => domain.jwks());
});

after(async () => {
  await jwksServer.close();
  await witServer.close();
  pki.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function fullConfig(): Record<string, unknown> {
  return {
    $comment: 'all three profiles',
    issuers: [
      { iss: 'https://ledger.example', jwks: { keys: [inline.publicJwk] } },
      { iss_prefix: 'spiffe://partner.example/', jwks_file: 'partner.jwks.json' },
      {
        iss_prefix: ['spiffe://remote.example/'],
        jwks_uri: `${jwksServer.url}/jwks.json`,
        max_age_seconds: 300,
        cooldown_seconds: 30,
        timeout_ms: 2000,
        max_bytes: 65536,
      },
    ],
    x509: {
      anchors_file: 'anchors.pem',
      max_chain_length: 4,
      cache_seconds: 30,
      revocation_failure: 'reject',
    },
    wimse: {
      clock_tolerance: 30,
      trust_domains: [
        { trust_domain: 'wimse.example', jwks_uri: `${witServer.url}/wit-keys.json` },
      ],
    },
  };
}

function loadFile(document: unknown, name = 'trust.json'): KeySource {
  const path = join(dir, name);
  writeFileSync(path, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  return loadTrustConfig(path);
}

function configError(document: unknown, message: string | RegExp): void {
  assert.throws(
    () => loadTrustConfig(document as Record<string, unknown>, { baseDir: dir }),
    (error: unknown) => {
      assert.ok(error instanceof ECTConfigError, `expected ECTConfigError, got ${String(error)}`);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

describe('trust configuration file (section 7)', () => {
  test('IDB-1, IDB-2, IDB-3: one file configures all three profiles and each verifies its tokens', async () => {
    const trust = loadFile(fullConfig());
    await accepts(trust, ect('https://ledger.example', { key: inline.privateJwk }));
    await accepts(trust, ect('spiffe://partner.example/agent', { key: fromFile.privateJwk }));
    await accepts(trust, ect('spiffe://remote.example/agent', { key: fromUrl.privateJwk }));
    await accepts(trust, ect('spiffe://x509.example/agent', { key: leaf.keyPem, x5c: [leaf.der] }));
    const wit = domain.issueWit({
      sub: 'spiffe://wimse.example/agent',
      publicJwk: workload.publicJwk,
      now: NOW,
    });
    await accepts(trust, ect('spiffe://wimse.example/agent', { key: workload.privateJwk }), {
      context: { workloadIdentityToken: wit },
    });
  });

  test('IDB-1, VER-8: keys of one configured issuer never verify a token naming another (ECT_ISSUER_MISMATCH)', async () => {
    const trust = loadFile(fullConfig());
    await rejects(
      trust,
      ect('spiffe://partner.example/agent', { key: inline.privateJwk }),
      'ECT_ISSUER_MISMATCH',
    );
  });

  test('IDB-3: an iss inside a WIMSE trust domain without a WIT is rejected with ECT_KEY_UNRESOLVED', async () => {
    const trust = loadFile(fullConfig());
    await rejects(
      trust,
      ect('spiffe://wimse.example/agent', { key: workload.privateJwk }),
      'ECT_KEY_UNRESOLVED',
      { message: /Workload-Identity-Token/ },
    );
  });

  test('IDB-2, VER-8: an x5c leaf whose URI SAN is not the iss is rejected with ECT_ISSUER_MISMATCH', async () => {
    const trust = loadFile(fullConfig());
    await rejects(
      trust,
      ect('https://ledger.example', { key: leaf.keyPem, x5c: [leaf.der] }),
      'ECT_ISSUER_MISMATCH',
    );
  });

  test('IDB-2: the revocation hook is given to loadTrustConfig and applies to the X.509 profile', async () => {
    const trust = loadTrustConfig(fullConfig(), { baseDir: dir, revocation: () => 'revoked' });
    await rejects(
      trust,
      ect('spiffe://x509.example/agent', { key: leaf.keyPem, x5c: [leaf.der] }),
      'ECT_KEY_UNRESOLVED',
      { message: /revoked/ },
    );
  });

  test("IDB-1: relative file names are resolved against the configuration file's directory", async () => {
    const trust = loadFile(
      { issuers: [{ iss: 'spiffe://partner.example/agent', jwks_file: './partner.jwks.json' }] },
      'only-file.json',
    );
    await accepts(trust, ect('spiffe://partner.example/agent', { key: fromFile.privateJwk }));
  });
});

describe('trust configuration errors name the bad entry (section 7)', () => {
  test('IDB-1: a jwks_uri that is not https is refused: trust.issuers[2].jwks_uri: must be https', () => {
    const config = fullConfig();
    (config['issuers'] as Record<string, unknown>[])[2]!['jwks_uri'] =
      'http://keys.example.com/jwks.json';
    configError(config, /^trust\.issuers\[2\]\.jwks_uri: must be https/);
  });

  test('IDB-1: http is allowed for loopback hosts, and elsewhere only with allow_insecure', () => {
    loadTrustConfig({ issuers: [{ iss: 'a', jwks_uri: 'http://127.0.0.1:9/jwks.json' }] });
    loadTrustConfig({ issuers: [{ iss: 'a', jwks_uri: 'http://localhost:9/jwks.json' }] });
    loadTrustConfig({
      issuers: [{ iss: 'a', jwks_uri: 'http://keys.example.com/jwks.json', allow_insecure: true }],
    });
    loadTrustConfig({
      allow_insecure: true,
      issuers: [{ iss: 'a', jwks_uri: 'http://keys.example.com/jwks.json' }],
    });
    configError(
      { issuers: [{ iss: 'a', jwks_uri: 'ftp://keys.example.com/jwks.json' }] },
      'trust.issuers[0].jwks_uri: must be https, got ftp',
    );
  });

  test('IDB-1: an entry needs exactly one key set and at least one issuer', () => {
    configError(
      { issuers: [{ iss: 'a' }] },
      'trust.issuers[0]: give exactly one of jwks, jwks_file, jwks_uri',
    );
    configError(
      { issuers: [{ iss: 'a', jwks: { keys: [] }, jwks_file: 'x.json' }] },
      'trust.issuers[0]: give exactly one of jwks, jwks_file, jwks_uri (got jwks, jwks_file)',
    );
    configError(
      { issuers: [{ jwks: { keys: [] } }] },
      'trust.issuers[0]: give iss (exact issuers) and/or iss_prefix (issuer prefixes)',
    );
  });

  test('IDB-1: an issuer prefix must end with "/" or ":" so that it cannot cover a look-alike domain', () => {
    configError(
      { issuers: [{ iss_prefix: 'spiffe://example.org', jwks: { keys: [] } }] },
      /^trust\.issuers\[0\]\.iss_prefix: "spiffe:\/\/example\.org" must end with/,
    );
  });

  test('IDB-1: a private key in a configured set is refused, naming the key', () => {
    configError(
      { issuers: [{ iss: 'a', jwks: { keys: [inline.privateJwk] } }] },
      /^trust\.issuers\[0\]\.jwks keys\[0\]: key inline-1 is private/,
    );
  });

  test('IDB-1: a key set file that cannot be read or parsed is named', () => {
    configError(
      { issuers: [{ iss: 'a', jwks_file: 'missing.json' }] },
      /^trust\.issuers\[0\]\.jwks_file: cannot read .*missing\.json \(ENOENT\)/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"keys": [}');
    configError(
      { issuers: [{ iss: 'a', jwks_file: 'bad.json' }] },
      'trust.issuers[0].jwks_file: not valid JSON',
    );
  });

  test('IDB-1: remote-only settings on a local set, and unknown settings, are refused', () => {
    configError(
      { issuers: [{ iss: 'a', jwks: { keys: [] }, timeout_ms: 100 }] },
      'trust.issuers[0].timeout_ms: applies only to a jwks_uri',
    );
    configError(
      { issuers: [{ iss: 'a', jwks_url: 'https://x.example/' }] },
      'trust.issuers[0]: give exactly one of jwks, jwks_file, jwks_uri',
    );
    configError(
      { issuers: [{ iss: 'a', jwks: { keys: [] }, kid: 'x' }] },
      'trust.issuers[0].kid: unknown setting',
    );
    configError({ issuers: [], x509s: {} }, 'trust.x509s: unknown setting');
    configError(
      { issuers: [{ iss: 'a', jwks_uri: 'https://x.example/', timeout_ms: -1 }] },
      'trust.issuers[0].timeout_ms: must be an integer of at least 1, got -1',
    );
  });

  test('IDB-2: X.509 settings are checked and named', () => {
    writeFileSync(join(dir, 'not-pem.pem'), 'hello');
    configError(
      { x509: { anchors_file: 'not-pem.pem' } },
      'trust.x509.anchors_file: no PEM certificate found',
    );
    configError(
      { x509: {} },
      'trust.x509: give exactly one of anchors_file (a PEM bundle) and anchors_pem (PEM text)',
    );
    configError(
      { x509: { anchors_pem: root.pem, revocation_failure: 'ignore' } },
      'trust.x509.revocation_failure: must be "reject" or "allow", got "ignore"',
    );
    configError(
      { x509: { anchors_pem: root.pem, max_chain_length: 0 } },
      'trust.x509.max_chain_length: must be an integer of at least 1, got 0',
    );
  });

  test('IDB-3: WIMSE settings are checked and named', () => {
    configError(
      { wimse: { trust_domains: [] } },
      'trust.wimse.trust_domains: must be a non-empty list of trust domains',
    );
    configError(
      { wimse: { trust_domains: [{ jwks: domain.jwks() }] } },
      'trust.wimse.trust_domains[0].trust_domain: is required (example.org, or a URI prefix)',
    );
    configError(
      {
        wimse: {
          trust_domains: [{ trust_domain: 'example.org', jwks_uri: 'http://evil.example/' }],
        },
      },
      /^trust\.wimse\.trust_domains\[0\]\.jwks_uri: must be https/,
    );
  });

  test('section 7: an empty configuration, invalid JSON and duplicate members are refused', () => {
    configError({}, /^trust: names no issuer key set/);
    configError({ issuers: [] }, /^trust: names no issuer key set/);
    assert.throws(
      () => loadFile('{"issuers": [', 'broken.json'),
      (error: unknown) => error instanceof ECTConfigError && /not valid JSON/.test(error.message),
    );
    assert.throws(
      () => loadFile('{"issuers": [], "issuers": []}', 'dup.json'),
      (error: unknown) =>
        error instanceof ECTConfigError && /duplicate member names/.test(error.message),
    );
    assert.throws(
      () => loadTrustConfig(join(dir, 'does-not-exist.json')),
      (error: unknown) => error instanceof ECTConfigError && /ENOENT/.test(error.message),
    );
  });

  test('section 7: loading never fetches a remote set', () => {
    const before = jwksServer.requests();
    loadTrustConfig(fullConfig(), { baseDir: dir });
    assert.equal(jwksServer.requests(), before);
  });
});
