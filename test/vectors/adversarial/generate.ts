/**
 * Generates the adversarial corpus (hostile tokens, each with the exact code a verifier must answer).
 * Run by hand; the output is committed:
 *
 *     node --import tsx test/vectors/adversarial/generate.ts [CATEGORY ...]
 *
 * With category names, only those files are written (and context.json).
 *
 * The keys in keys.json are TEST-ONLY keys made for this corpus (see README.md). They are created on
 * the first run and reused afterwards, so regenerating changes only the (randomised) ECDSA and PSS
 * signatures, not the keys the test trusts.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { algorithmSpec, signatureOptions, type Algorithm } from '../../../src/crypto/algorithms.js';
import { generateKeyPair } from '../../../src/crypto/keys.js';
import type { ECTErrorCode } from '../../../src/errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Context: fixed time, identities and keys.

const NOW = 1_700_000_000;
const ISS = 'spiffe://example.org/agent/a';
const AUD = 'spiffe://example.org/agent/b';
const WID = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

type KeyName = 'ES256' | 'EdDSA' | 'PS256' | 'attacker';
interface StoredKey {
  readonly alg: Algorithm;
  readonly privateJwk: JsonWebKey & { kid: string };
  readonly publicJwk: JsonWebKey & { kid: string };
}

function loadKeys(): Record<KeyName, StoredKey> {
  const path = join(HERE, 'keys.json');
  if (existsSync(path))
    return (JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<KeyName, StoredKey> }).keys;
  const make = (alg: Algorithm, kid: string): StoredKey => {
    const pair = generateKeyPair({ alg, kid });
    return { alg, privateJwk: pair.privateJwk, publicJwk: pair.publicJwk };
  };
  const keys: Record<KeyName, StoredKey> = {
    ES256: make('ES256', 'test-ES256'),
    EdDSA: make('EdDSA', 'test-EdDSA'),
    PS256: make('PS256', 'test-PS256'),
    // Not trusted by the corpus verifier: the key of someone who is not an issuer.
    attacker: make('ES256', 'attacker-ES256'),
  };
  writeFileSync(
    path,
    `${JSON.stringify({ warning: 'TEST-ONLY KEYS for the adversarial corpus. Never use them for anything else.', keys }, null, 2)}\n`,
  );
  return keys;
}

const KEYS = loadKeys();
const privateKey = (name: KeyName): KeyObject =>
  createPrivateKey({ key: KEYS[name].privateJwk, format: 'jwk' });
const publicKey = (name: KeyName): KeyObject =>
  createPublicKey({ key: KEYS[name].publicJwk, format: 'jwk' });

// ---------------------------------------------------------------------------------------------
// Token building: by hand, so that anything can be put on the wire.

const b64 = (data: string | Uint8Array): string => Buffer.from(data as never).toString('base64url');
const std64 = (data: string | Uint8Array): string => Buffer.from(data as never).toString('base64');

function signBytes(input: string, alg: Algorithm, key: KeyName): Buffer {
  const spec = algorithmSpec(alg)!;
  return sign(spec.hash, Buffer.from(input, 'latin1'), {
    key: privateKey(key),
    ...signatureOptions(spec),
  });
}

/** Signs exactly the given segment TEXT (which may be non-canonical) with a key of the corpus. */
function signSegments(
  headerSegment: string,
  payloadSegment: string,
  alg: Algorithm = 'ES256',
  key: KeyName = alg === 'EdDSA' ? 'EdDSA' : alg.startsWith('PS') ? 'PS256' : 'ES256',
): string {
  const input = `${headerSegment}.${payloadSegment}`;
  return `${input}.${b64(signBytes(input, alg, key))}`;
}

const header = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const h: Record<string, unknown> = {
    alg: 'ES256',
    typ: 'exec+jwt',
    kid: 'test-ES256',
    ...overrides,
  };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete h[k];
  return h;
};
const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const c: Record<string, unknown> = {
    iss: ISS,
    aud: AUD,
    iat: NOW,
    exp: NOW + 600,
    jti: uuid(1),
    exec_act: 'review_spec',
    pred: [],
    ...overrides,
  };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete c[k];
  return c;
};

/** A JWS of header and payload (objects are JSON-encoded, strings are used as the JSON text). */
function jws(
  h: Record<string, unknown> | string,
  p: Record<string, unknown> | string,
  signer: { alg?: Algorithm; key?: KeyName } = {},
): string {
  const hs = b64(typeof h === 'string' ? h : JSON.stringify(h));
  const ps = b64(typeof p === 'string' ? p : JSON.stringify(p));
  const alg =
    signer.alg ??
    (typeof h === 'object' && typeof h['alg'] === 'string' && algorithmSpec(h['alg'])
      ? (h['alg'] as Algorithm)
      : 'ES256');
  return signSegments(hs, ps, alg, signer.key);
}
/** A valid L2 token of the given claims (ES256 unless `alg` says otherwise). */
const valid = (c: Record<string, unknown> = {}, alg: Algorithm = 'ES256'): string =>
  jws(header({ alg, kid: `test-${alg}` }), claims(c), { alg });
/** An L1 token of the given claims or JSON text. */
const l1 = (c: Record<string, unknown> | string = {}): string =>
  b64(typeof c === 'string' ? c : JSON.stringify(claims(c)));

// ---------------------------------------------------------------------------------------------
// Cases.

/** Verifier option overrides a case may carry (JSON). `issuers` binds the trusted keys to issuers. */
interface CaseOptions {
  minLevel?: 1 | 2;
  algorithms?: Algorithm[];
  maxPred?: number;
  maxTokenSize?: number;
  now?: number;
  acceptLegacy?: boolean;
  requireUuid?: boolean;
  issuers?: ({ exact: string } | { prefix: string })[];
}

interface Case {
  name: string;
  rules: string[];
  description: string;
  token: string;
  /** The exact code, or "ACCEPT" for a control case that must verify. */
  expected: ECTErrorCode | 'ACCEPT';
  options?: CaseOptions;
}

const categories = new Map<string, { description: string; cases: Case[] }>();
let current: Case[] = [];
function category(name: string, description: string): void {
  current = [];
  categories.set(name, { description, cases: current });
}
function add(
  name: string,
  rules: string[],
  description: string,
  token: string,
  expected: Case['expected'],
  options?: CaseOptions,
): void {
  current.push({ name, rules, description, token, expected, ...(options ? { options } : {}) });
}

// --- alg none --------------------------------------------------------------------------------
category(
  'alg-none',
  'alg "none" in every spelling, and other non-algorithms (HDR-2, RFC 8725 §3.1)',
);
{
  const body = b64(JSON.stringify(claims()));
  const realSig = valid().split('.')[2]!;
  for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
    const h = b64(JSON.stringify(header({ alg })));
    add(
      `alg ${JSON.stringify(alg)}, empty signature`,
      ['HDR-2', 'VER-4'],
      'An unsecured JWS (RFC 7515 §A.5) ends in an empty signature segment: valid syntax, refused for its algorithm.',
      `${h}.${body}.`,
      'ECT_ALG_NOT_ALLOWED',
    );
    add(
      `alg ${JSON.stringify(alg)}, with a signature segment`,
      ['HDR-2', 'VER-4'],
      'alg none with some signature bytes attached (a real ES256 signature of other input).',
      `${h}.${body}.${realSig}`,
      'ECT_ALG_NOT_ALLOWED',
    );
  }
  for (const alg of [
    'none ',
    ' none',
    'none\u0000',
    '',
    'es256',
    'Es256',
    'ES256 ',
    'ES-256',
    'ES256K',
    'EdDSA25519',
    'Ed25519',
    'RS256',
    'RS384',
    'RS512',
    'dir',
    'RSA-OAEP',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
  ]) {
    add(
      `alg ${JSON.stringify(alg)}`,
      ['HDR-2', 'VER-4'],
      'Not an allowed algorithm (the allow-list is exact and case-sensitive; no prototype lookups).',
      jws(header({ alg }), claims(), { alg: 'ES256' }),
      'ECT_ALG_NOT_ALLOWED',
    );
  }
  for (const [label, alg] of [
    ['null', null],
    ['a number', 256],
    ['an array', ['ES256']],
    ['an object', { name: 'ES256' }],
    ['true', true],
  ] as const) {
    add(
      `alg is ${label}`,
      ['HDR-2', 'VER-4'],
      'alg of the wrong JSON type.',
      jws(header({ alg }), claims(), { alg: 'ES256' }),
      'ECT_ALG_NOT_ALLOWED',
    );
  }
  add(
    'alg missing',
    ['HDR-2', 'VER-4'],
    'No alg member.',
    jws(header({ alg: undefined }), claims(), { alg: 'ES256' }),
    'ECT_ALG_NOT_ALLOWED',
  );
  add(
    'alg EdDSA when the verifier allows only ES256',
    ['HDR-2', 'VER-4'],
    'A supported algorithm outside the configured allow-list, with a valid EdDSA signature.',
    valid({}, 'EdDSA'),
    'ECT_ALG_NOT_ALLOWED',
    { algorithms: ['ES256'] },
  );
}

// --- algorithm confusion ----------------------------------------------------------------------
category(
  'alg-confusion',
  'HMAC keyed with public key bytes, key/algorithm mismatches, forged and odd signatures (HDR-2, VER-5, VER-6; RFC 8725 §3.1-3.4)',
);
{
  const pub = publicKey('ES256');
  const secrets: [string, Buffer][] = [
    ['the SPKI PEM', Buffer.from(pub.export({ type: 'spki', format: 'pem' }) as string)],
    ['the SPKI DER', pub.export({ type: 'spki', format: 'der' })],
    ['the JWK JSON', Buffer.from(JSON.stringify(KEYS.ES256.publicJwk))],
    ['the JWK x coordinate', Buffer.from(KEYS.ES256.publicJwk.x!, 'base64url')],
    ['the kid', Buffer.from('test-ES256')],
  ];
  for (const hs of ['HS256', 'HS384', 'HS512']) {
    for (const [what, secret] of secrets) {
      const input = `${b64(JSON.stringify(header({ alg: hs })))}.${b64(JSON.stringify(claims()))}`;
      const mac = createHmac(`sha${hs.slice(2)}`, secret)
        .update(input)
        .digest();
      add(
        `${hs} keyed with ${what} of the trusted ES256 key`,
        ['HDR-2', 'VER-4'],
        'Algorithm confusion (CVE-2015-9235 class): an HMAC whose secret is public key material. HS* is never allowed.',
        `${input}.${b64(mac)}`,
        'ECT_ALG_NOT_ALLOWED',
      );
    }
  }
  {
    const rsaPub = publicKey('PS256').export({ type: 'spki', format: 'pem' }) as string;
    const input = `${b64(JSON.stringify(header({ alg: 'HS256', kid: 'test-PS256' })))}.${b64(JSON.stringify(claims()))}`;
    add(
      'HS256 keyed with the PEM of the trusted RSA key',
      ['HDR-2', 'VER-4'],
      'Algorithm confusion against an RSA key.',
      `${input}.${b64(createHmac('sha256', rsaPub).update(input).digest())}`,
      'ECT_ALG_NOT_ALLOWED',
    );
  }
  {
    const h = b64(JSON.stringify(header({ alg: 'RS256', kid: 'test-PS256' })));
    const p = b64(JSON.stringify(claims()));
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), privateKey('PS256'));
    add(
      'RS256 (PKCS#1 v1.5) with the trusted RSA key',
      ['HDR-2', 'VER-4'],
      'RS* is not on the allow-list; only PSS is.',
      `${h}.${p}.${b64(sig)}`,
      'ECT_ALG_NOT_ALLOWED',
    );
    const h2 = b64(JSON.stringify(header({ alg: 'PS256', kid: 'test-PS256' })));
    const sig2 = sign('sha256', Buffer.from(`${h2}.${p}`), privateKey('PS256'));
    add(
      'PS256 header over a PKCS#1 v1.5 signature',
      ['HDR-2', 'VER-6'],
      'PS256 means RSASSA-PSS: a v1.5 signature by the right key does not verify.',
      `${h2}.${p}.${b64(sig2)}`,
      'ECT_SIGNATURE_INVALID',
    );
  }
  add(
    'ES256 header naming the RSA key, signed with RSA-PSS',
    ['HDR-2', 'VER-5'],
    'The algorithm is bound to the key: an ES256 header never selects an RSA key.',
    jws(header({ alg: 'ES256', kid: 'test-PS256' }), claims(), { alg: 'PS256', key: 'PS256' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'PS256 header naming the P-256 key',
    ['HDR-2', 'VER-5'],
    'A PS256 header never selects an EC key.',
    jws(header({ alg: 'PS256', kid: 'test-ES256' }), claims(), { alg: 'ES256', key: 'ES256' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'EdDSA header naming the P-256 key',
    ['HDR-2', 'VER-5'],
    'An EdDSA header never selects an EC key.',
    jws(header({ alg: 'EdDSA', kid: 'test-ES256' }), claims(), { alg: 'ES256', key: 'ES256' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'ES256 header naming the Ed25519 key',
    ['HDR-2', 'VER-5'],
    'An ES256 header never selects an OKP key.',
    jws(header({ alg: 'ES256', kid: 'test-EdDSA' }), claims(), { alg: 'EdDSA', key: 'EdDSA' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'ES384 header naming the P-256 key',
    ['HDR-2', 'VER-5'],
    'The curve is part of the binding: ES384 needs P-384.',
    jws(header({ alg: 'ES384', kid: 'test-ES256' }), claims(), { alg: 'ES256', key: 'ES256' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'ES512 header naming the P-256 key',
    ['HDR-2', 'VER-5'],
    'ES512 needs P-521.',
    jws(header({ alg: 'ES512', kid: 'test-ES256' }), claims(), { alg: 'ES256', key: 'ES256' }),
    'ECT_KEY_UNRESOLVED',
  );
  {
    const [h, p] = valid().split('.') as [string, string];
    const der = sign('sha256', Buffer.from(`${h}.${p}`), privateKey('ES256')); // DER by default
    add(
      'ES256 signature in DER instead of R||S',
      ['HDR-2', 'VER-6', 'RFC8725-3.4'],
      'RFC 7518 §3.4: exactly 64 bytes R||S; an ASN.1 DER signature of the right key is invalid.',
      `${h}.${p}.${b64(der)}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'ES256 signature of all zeros (r = s = 0)',
      ['VER-6', 'RFC8725-3.4'],
      'The "psychic signature" (CVE-2022-21449): r = s = 0 must never verify.',
      `${h}.${p}.${b64(Buffer.alloc(64))}`,
      'ECT_SIGNATURE_INVALID',
    );
    const n = Buffer.from(
      'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
      'hex',
    );
    add(
      'ES256 signature r = s = n (the group order)',
      ['VER-6', 'RFC8725-3.4'],
      'Out-of-range scalars are invalid.',
      `${h}.${p}.${b64(Buffer.concat([n, n]))}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'ES256 signature of all 0xff bytes',
      ['VER-6', 'RFC8725-3.4'],
      'Scalars above the order.',
      `${h}.${p}.${b64(Buffer.alloc(64, 0xff))}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'ES256 signature one byte short',
      ['VER-6'],
      'A truncated R||S.',
      `${h}.${p}.${b64(Buffer.alloc(63, 1))}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'ES256 signature of 1 byte',
      ['VER-6'],
      'A one-byte signature segment.',
      `${h}.${p}.AA`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'ES256 signature by an untrusted key under the trusted kid',
      ['VER-6'],
      'A well-formed signature by someone else.',
      jws(header(), claims(), { alg: 'ES256', key: 'attacker' }),
      'ECT_SIGNATURE_INVALID',
    );
    const sig = Buffer.from(valid().split('.')[2]!, 'base64url');
    add(
      'ES256 signature halves swapped (S||R)',
      ['VER-6'],
      'R and S exchanged.',
      `${h}.${p}.${b64(Buffer.concat([sig.subarray(32), sig.subarray(0, 32)]))}`,
      'ECT_SIGNATURE_INVALID',
    );
  }
  {
    const [h, p] = valid({}, 'EdDSA').split('.') as [string, string];
    add(
      'EdDSA signature of all zeros',
      ['VER-6', 'RFC8725-3.4'],
      'A zero Ed25519 signature.',
      `${h}.${p}.${b64(Buffer.alloc(64))}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'EdDSA signature with S >= L (non-canonical scalar)',
      ['VER-6', 'RFC8725-3.4'],
      'RFC 8032 §5.1.7: S must be below the group order L.',
      `${h}.${p}.${b64(Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 0xff)]))}`,
      'ECT_SIGNATURE_INVALID',
    );
    const [hp, pp] = valid({}, 'PS256').split('.') as [string, string];
    add(
      'PS256 signature of all zeros',
      ['VER-6', 'RFC8725-3.4'],
      'A zero RSA signature of the modulus length.',
      `${hp}.${pp}.${b64(Buffer.alloc(256))}`,
      'ECT_SIGNATURE_INVALID',
    );
    add(
      'PS256 signature of one byte',
      ['VER-6'],
      'A short RSA signature.',
      `${hp}.${pp}.AQ`,
      'ECT_SIGNATURE_INVALID',
    );
  }
}

// --- kid injection ----------------------------------------------------------------------------
category(
  'kid-injection',
  'kid values carrying paths, SQL, NULs, prototype names and wrong types (HDR-3, VER-5; RFC 8725 §3.10)',
);
{
  const kids: [string, unknown][] = [
    ['a path traversal', '../../../../etc/passwd'],
    ['a path traversal to the key file', '../keys.json'],
    ['an absolute path', '/dev/null'],
    ['a URL', 'https://attacker.example/jwks.json'],
    ['SQL', "' OR '1'='1"],
    ['SQL with a comment', "test-ES256' --"],
    ['a UNION SELECT', "x' UNION SELECT 'test-ES256"],
    ['a trailing NUL', 'test-ES256\u0000'],
    ['a trailing space', 'test-ES256 '],
    ['other case', 'TEST-ES256'],
    ['a Cyrillic look-alike', 'tеst-ES256'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['hasOwnProperty', 'hasOwnProperty'],
    ['an empty string', ''],
    ['10,000 characters', 'k'.repeat(10_000)],
    ['a number', 1],
    ['an array holding the trusted kid', ['test-ES256']],
    ['an object', { kid: 'test-ES256' }],
    ['null', null],
    ['true', true],
  ];
  for (const [label, kid] of kids) {
    add(
      `kid is ${label}`,
      ['HDR-3', 'VER-5'],
      'Only an exact string match on a trusted kid selects a key; nothing is looked up by path, query or prototype.',
      jws(header({ kid }), claims(), { alg: 'ES256', key: 'attacker' }),
      'ECT_KEY_UNRESOLVED',
    );
  }
  add(
    'kid missing',
    ['HDR-3', 'VER-5'],
    'The JWK set profile requires a kid.',
    jws(header({ kid: undefined }), claims()),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'kid of the untrusted signer',
    ['HDR-3', 'VER-5'],
    'A well-signed token whose key is not trusted.',
    jws(header({ kid: 'attacker-ES256' }), claims(), { key: 'attacker' }),
    'ECT_KEY_UNRESOLVED',
  );
}

// --- header key sources -----------------------------------------------------------------------
category(
  'header-key-sources',
  'jku, x5u, jwk and x5c in the header never supply a key (HDR-5; RFC 8725 §3.10)',
);
{
  const attackerJwk = KEYS.attacker.publicJwk;
  const x5c = ['MIIBszCCAVmgAwIBAgIUZXZpbC1jZXJ0aWZpY2F0ZS1ub3QtdHJ1c3RlZDAKBggqhkjOPQQDAjA='];
  add(
    "jku to the attacker's JWK set, attacker kid",
    ['HDR-5', 'VER-5'],
    "jku is never fetched: the attacker's kid stays unknown.",
    jws(header({ jku: 'https://attacker.example/jwks.json', kid: 'attacker-ES256' }), claims(), {
      key: 'attacker',
    }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    "x5u to the attacker's certificate, attacker kid",
    ['HDR-5', 'VER-5'],
    'x5u is never fetched.',
    jws(header({ x5u: 'https://attacker.example/cert.pem', kid: 'attacker-ES256' }), claims(), {
      key: 'attacker',
    }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'embedded jwk of the attacker, attacker kid',
    ['HDR-5', 'VER-5'],
    'An embedded jwk is not trusted on its own (CVE-2018-0114 class).',
    jws(header({ jwk: attackerJwk, kid: 'attacker-ES256' }), claims(), { key: 'attacker' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'embedded jwk of the attacker, no kid',
    ['HDR-5', 'HDR-3', 'VER-5'],
    'An embedded jwk does not replace the kid.',
    jws(header({ jwk: attackerJwk, kid: undefined }), claims(), { key: 'attacker' }),
    'ECT_KEY_UNRESOLVED',
  );
  add(
    'embedded jwk of the attacker under the trusted kid',
    ['HDR-5', 'VER-6'],
    "The trusted key is used, not the embedded one: the attacker's signature fails.",
    jws(header({ jwk: attackerJwk }), claims(), { key: 'attacker' }),
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'jku and x5u under the trusted kid, attacker signature',
    ['HDR-5', 'VER-6'],
    'Header URLs change nothing about which key verifies.',
    jws(
      header({ jku: 'https://attacker.example/jwks.json', x5u: 'https://attacker.example/c.pem' }),
      claims(),
      { key: 'attacker' },
    ),
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'x5c under the trusted kid, attacker signature',
    ['HDR-5', 'IDB-2', 'VER-6'],
    'With the JWK set profile an x5c chain is not a key source.',
    jws(header({ x5c }), claims(), { key: 'attacker' }),
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'jku, x5u and jwk present, signed by the trusted key',
    ['HDR-5'],
    'Control: the members are ignored (never fetched, never trusted); the trusted key verifies the token.',
    jws(
      header({
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/c.pem',
        jwk: attackerJwk,
      }),
      claims(),
    ),
    'ACCEPT',
  );
  add(
    'jwk in the header as a string (JSON injection)',
    ['HDR-5', 'VER-6'],
    'A jwk member of the wrong type, attacker signature.',
    jws(header({ jwk: JSON.stringify(attackerJwk) }), claims(), { key: 'attacker' }),
    'ECT_SIGNATURE_INVALID',
  );
}

// --- crit and b64 -----------------------------------------------------------------------------
category('crit-b64', 'critical header parameters and unencoded payloads (HDR-4)');
{
  for (const [label, crit] of [
    ['["exp"]', ['exp']],
    ['[] (empty)', []],
    ['["b64"]', ['b64']],
    ['["jku"]', ['jku']],
    ['["urn:example:unknown"]', ['urn:example:unknown']],
    ['a string', 'b64'],
    ['null', null],
    ['an object', { b64: true }],
    ['["alg","typ"]', ['alg', 'typ']],
  ] as const) {
    add(
      `crit ${label}`,
      ['HDR-4', 'VER-4'],
      'This verifier understands no critical extension: any crit member is refused (RFC 7515 §4.1.11).',
      jws(header({ crit }), claims()),
      'ECT_CRIT_UNSUPPORTED',
    );
  }
  add(
    'crit ["b64"] with b64 false',
    ['HDR-4', 'VER-4'],
    'RFC 7797 unencoded payload, declared as RFC 7797 asks.',
    jws(header({ crit: ['b64'], b64: false }), claims()),
    'ECT_CRIT_UNSUPPORTED',
  );
  for (const [label, value] of [
    ['false', false],
    ['"false"', 'false'],
    ['0', 0],
    ['null', null],
  ] as const) {
    add(
      `b64 ${label}`,
      ['HDR-4', 'VER-4'],
      'Only the default base64url payload encoding is allowed.',
      jws(header({ b64: value }), claims()),
      'ECT_CRIT_UNSUPPORTED',
    );
  }
  {
    const h = b64(JSON.stringify(header({ crit: ['b64'], b64: false })));
    const raw = JSON.stringify(claims());
    const input = `${h}.${raw}`;
    add(
      'b64 false with the raw JSON payload in the middle',
      ['HDR-4', 'FMT-3'],
      'The RFC 7797 wire form: the payload is not base64url (and holds dots).',
      `${input}.${b64(signBytes(input, 'ES256', 'ES256'))}`,
      'ECT_MALFORMED',
    );
    add(
      'b64 false with a detached payload',
      ['HDR-4', 'FMT-3'],
      'RFC 7515 Appendix F detached content: an empty payload segment.',
      `${h}..${b64(signBytes(`${h}.${b64(raw)}`, 'ES256', 'ES256'))}`,
      'ECT_MALFORMED',
    );
  }
  add(
    'b64 true',
    ['HDR-4'],
    'Control: b64 true is the default encoding and accepted.',
    jws(header({ b64: true }), claims()),
    'ACCEPT',
  );
}

// --- duplicate members ------------------------------------------------------------------------
category(
  'duplicate-members',
  'duplicate JSON member names, signed by the trusted key (CLM-12; RFC 8725 §3.7, RFC 7515 §5.2)',
);
{
  const signedText = (h: string, p: string): string => signSegments(b64(h), b64(p));
  const base = JSON.stringify(claims()).slice(1, -1);
  const hBase = JSON.stringify(header()).slice(1, -1);
  const good = JSON.stringify(header());
  for (const [label, extra] of [
    ['iss', `"iss":"spiffe://evil.example/x"`],
    ['aud', `"aud":"spiffe://evil.example/x"`],
    ['exp (a later one)', `"exp":${NOW + 10 ** 9}`],
    ['jti', `"jti":"${uuid(2)}"`],
    ['pred', `"pred":["${uuid(9)}"]`],
    ['exec_act', `"exec_act":"delete_everything"`],
  ] as const) {
    add(
      `payload repeats ${label}`,
      ['CLM-12', 'VER-2'],
      'Last-wins parsers would read the second value, first-wins parsers the first: refused.',
      signedText(good, `{${base},${extra}}`),
      'ECT_MALFORMED',
    );
  }
  add(
    'payload repeats iss via a \\u escape',
    ['CLM-12', 'VER-2'],
    '"\\u0069ss" is the name "iss".',
    signedText(good, `{${base},"\\u0069ss":"spiffe://evil.example/x"}`),
    'ECT_MALFORMED',
  );
  add(
    'payload repeats a member inside ect_ext',
    ['CLM-12', 'VER-2'],
    'Duplicates are found in nested objects.',
    signedText(good, `{${base},"ect_ext":{"pol":"a","pol":"b"}}`),
    'ECT_MALFORMED',
  );
  add(
    'payload repeats __proto__',
    ['CLM-12', 'VER-2'],
    '__proto__ twice.',
    signedText(good, `{${base},"__proto__":{},"__proto__":{"iss":"x"}}`),
    'ECT_MALFORMED',
  );
  add(
    'header repeats alg (none after ES256)',
    ['CLM-12', 'HDR-2', 'VER-2'],
    'A second alg would switch the algorithm for last-wins parsers.',
    signedText(`{${hBase},"alg":"none"}`, JSON.stringify(claims())),
    'ECT_MALFORMED',
  );
  add(
    'header repeats typ',
    ['CLM-12', 'HDR-1', 'VER-2'],
    'Two typ values.',
    signedText(`{${hBase},"typ":"JWT"}`, JSON.stringify(claims())),
    'ECT_MALFORMED',
  );
  add(
    'header repeats kid',
    ['CLM-12', 'HDR-3', 'VER-2'],
    'Two kid values.',
    signedText(`{${hBase},"kid":"attacker-ES256"}`, JSON.stringify(claims())),
    'ECT_MALFORMED',
  );
  add(
    'header repeats crit via a \\u escape',
    ['CLM-12', 'HDR-4', 'VER-2'],
    'Two crit members, one escaped.',
    signedText(`{${hBase},"crit":[],"\\u0063rit":["b64"]}`, JSON.stringify(claims())),
    'ECT_MALFORMED',
  );
  add(
    'L1 payload repeats iss',
    ['CLM-12', 'FMT-2', 'VER-2'],
    'Duplicates are refused at level 1 too.',
    b64(`{${base},"iss":"spiffe://evil.example/x"}`),
    'ECT_MALFORMED',
    { minLevel: 1 },
  );
}

// --- non-canonical base64url ------------------------------------------------------------------
category(
  'base64url',
  'non-canonical base64url: padding, the standard alphabet, non-zero trailing bits, white space (FMT-1, FMT-3; RFC 7515 §2)',
);
{
  const hText = JSON.stringify(header());
  // A payload whose encoding needs padding and contains '-' or '_' in base64url.
  let pText = JSON.stringify(claims({ ect_ext: { note: '>>>???~~~' } }));
  while (b64(pText).length % 4 === 0)
    pText = JSON.stringify(
      claims({ ect_ext: { note: `>>>???~~~${'x'.repeat((pText.length % 3) + 1)}` } }),
    );
  const h = b64(hText);
  const p = b64(pText);
  const hPad = std64(hText).replace(/\+/g, '-').replace(/\//g, '_');
  const pPad = std64(pText).replace(/\+/g, '-').replace(/\//g, '_');
  if (!hPad.endsWith('=') && !pPad.endsWith('=')) throw new Error('expected a padded segment');
  if (pPad.endsWith('='))
    add(
      'payload with "=" padding (signed as sent)',
      ['FMT-1', 'FMT-3', 'VER-2'],
      'Padding is not part of base64url in JWS.',
      signSegments(h, pPad),
      'ECT_MALFORMED',
    );
  if (hPad.endsWith('='))
    add(
      'header with "=" padding (signed as sent)',
      ['FMT-1', 'FMT-3', 'VER-2'],
      'Padding in the header.',
      signSegments(hPad, p),
      'ECT_MALFORMED',
    );
  add(
    'header with "=" padding appended',
    ['FMT-1', 'FMT-3', 'VER-2'],
    'Extra padding characters.',
    signSegments(`${h}==`, p),
    'ECT_MALFORMED',
  );
  const pStd = std64(pText).replace(/=+$/, '');
  if (!/[+/]/.test(pStd)) throw new Error('expected + or / in the standard encoding');
  add(
    'payload in the standard alphabet ("+" and "/", signed as sent)',
    ['FMT-1', 'FMT-3', 'VER-2'],
    'base64 instead of base64url.',
    signSegments(h, pStd),
    'ECT_MALFORMED',
  );
  const tok = signSegments(h, p);
  const sig = tok.split('.')[2]!;
  const sigStd = Buffer.from(sig, 'base64url').toString('base64');
  add(
    'signature in standard base64 with padding',
    ['FMT-1', 'FMT-3', 'VER-2'],
    'The signature segment must be canonical too.',
    `${h}.${p}.${sigStd}`,
    'ECT_MALFORMED',
  );
  // A 64-byte signature encodes to 86 characters: the last holds 4 spare bits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig.at(-1)!);
  const tweaked = `${sig.slice(0, -1)}${alphabet[last | 1]}`;
  add(
    'signature with non-zero trailing bits',
    ['FMT-1', 'FMT-3', 'VER-2'],
    'Decodes to the same bytes with a lenient decoder; two strings for one signature are refused.',
    `${h}.${p}.${tweaked}`,
    'ECT_MALFORMED',
  );
  const pLast = alphabet.indexOf(p.at(-1)!);
  const pTweak = `${p.slice(0, -1)}${alphabet[pLast | (p.length % 4 === 2 ? 0x0f : 0x03)]}`;
  if (pTweak !== p)
    add(
      'payload with non-zero trailing bits (signed as sent)',
      ['FMT-1', 'FMT-3', 'VER-2'],
      'Trailing bits in the payload.',
      signSegments(h, pTweak),
      'ECT_MALFORMED',
    );
  add(
    'payload of length 4n+1',
    ['FMT-3', 'VER-2'],
    'No base64 string has this length.',
    signSegments(h, `${p}${p.length % 4 === 0 ? 'A' : p.length % 4 === 2 ? 'AAA' : 'AA'}`),
    'ECT_MALFORMED',
  );
  add(
    'a line break inside the payload',
    ['FMT-3', 'VER-2'],
    'PEM-style wrapping.',
    signSegments(h, `${p.slice(0, 40)}\n${p.slice(40)}`),
    'ECT_MALFORMED',
  );
  add(
    'a space inside the header',
    ['FMT-3', 'VER-2'],
    'White space is not skipped.',
    signSegments(`${h.slice(0, 10)} ${h.slice(10)}`, p),
    'ECT_MALFORMED',
  );
  add(
    'leading space before the token',
    ['FMT-3', 'VER-2'],
    'The verifier takes the value as given (the HTTP layer trims field values).',
    ` ${tok}`,
    'ECT_MALFORMED',
  );
  add(
    'trailing newline after the token',
    ['FMT-3', 'VER-2'],
    'A newline glued to the signature.',
    `${tok}\n`,
    'ECT_MALFORMED',
  );
  add(
    'a percent-encoded character',
    ['FMT-3', 'VER-2'],
    'URL encoding is not decoded.',
    signSegments(h, `${p.slice(0, 20)}%41${p.slice(20)}`),
    'ECT_MALFORMED',
  );
  add(
    'an L1 token with padding',
    ['FMT-2', 'FMT-3', 'VER-2'],
    'FMT-2: no padding at level 1 either.',
    `${l1()}==`,
    'ECT_MALFORMED',
    { minLevel: 1 },
  );
  add(
    'fullwidth letters in the header',
    ['FMT-3', 'VER-2'],
    'Unicode look-alikes of base64url characters.',
    signSegments(`${h.slice(0, 5)}\uff21${h.slice(6)}`, p),
    'ECT_MALFORMED',
  );
}

// --- segments ---------------------------------------------------------------------------------
category(
  'segments',
  'empty segments, wrong numbers of dots, nested and JWE-looking tokens (FMT-3)',
);
{
  const [h, p, s] = valid().split('.') as [string, string, string];
  for (const [label, value] of [
    ['"" (empty)', ''],
    ['"."', '.'],
    ['".."', '..'],
    ['"..."', '...'],
    ['header only, two dots', `${h}..`],
    ['payload only, two dots', `.${p}.`],
    ['signature only, two dots', `..${s}`],
    ['empty payload', `${h}..${s}`],
    ['empty header', `.${p}.${s}`],
    ['one dot', `${h}.${p}`],
    ['four dots', `${h}.${p}.${s}.`],
    ['a doubled signature segment', `${h}.${p}.${s}.${s}`],
    ['a single space', ' '],
  ] as const) {
    add(
      `token ${label}`,
      ['FMT-3', 'VER-2'],
      'Exactly two dots with a non-empty header and payload, or no dot at all; nothing else, and no fallback to L1.',
      value,
      'ECT_MALFORMED',
    );
  }
  add(
    'token empty signature',
    ['FMT-3', 'VER-6'],
    'An empty signature segment is JWS syntax (RFC 7515 §7.1); it never verifies.',
    `${h}.${p}.`,
    'ECT_SIGNATURE_INVALID',
  );
  const jweHeader = b64(
    JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', typ: 'exec+jwt', kid: 'test-PS256' }),
  );
  add(
    'a JWE compact serialization (five segments)',
    ['FMT-3', 'VER-2'],
    'Encrypted tokens are not ECTs.',
    `${jweHeader}.${b64(Buffer.alloc(256, 7))}.${b64(Buffer.alloc(12, 1))}.${b64(Buffer.alloc(64, 2))}.${b64(Buffer.alloc(16, 3))}`,
    'ECT_MALFORMED',
  );
  add(
    'a JWE-looking header in a three-segment token (alg dir)',
    ['HDR-2', 'VER-4'],
    'alg "dir" with enc: not a signature algorithm.',
    jws({ alg: 'dir', enc: 'A256GCM', typ: 'exec+jwt', kid: 'test-ES256' }, claims(), {
      alg: 'ES256',
    }),
    'ECT_ALG_NOT_ALLOWED',
  );
  add(
    'nested JWT: the payload is a JSON string holding a signed ECT',
    ['FMT-1', 'VER-2'],
    'cty "JWT" nesting (RFC 7519 §5.2) is not supported: the payload must be a JSON object.',
    jws(header({ cty: 'JWT' }), JSON.stringify(valid())),
    'ECT_MALFORMED',
  );
  add(
    'nested JWT: the payload segment is the compact ECT itself',
    ['FMT-1', 'VER-2'],
    'A JWS as payload bytes is not JSON.',
    signSegments(b64(JSON.stringify(header({ cty: 'JWT' }))), b64(valid())),
    'ECT_MALFORMED',
  );
  add(
    'the payload is a JSON array',
    ['FMT-1', 'VER-2'],
    'Claims are an object.',
    jws(header(), JSON.stringify([claims()])),
    'ECT_MALFORMED',
  );
  add(
    'the payload is JSON null',
    ['FMT-1', 'VER-2'],
    'Claims are an object.',
    jws(header(), 'null'),
    'ECT_MALFORMED',
  );
  add(
    'the payload is a JSON number',
    ['FMT-1', 'VER-2'],
    'Claims are an object.',
    jws(header(), '1700000000'),
    'ECT_MALFORMED',
  );
  add(
    'the header is a JSON array',
    ['FMT-1', 'VER-2'],
    'The header is an object.',
    signSegments(b64(JSON.stringify([header()])), b64(JSON.stringify(claims()))),
    'ECT_MALFORMED',
  );
  add(
    'the header is a JSON string',
    ['FMT-1', 'VER-2'],
    'The header is an object.',
    signSegments(b64('"ES256"'), b64(JSON.stringify(claims()))),
    'ECT_MALFORMED',
  );
  add(
    'payload JSON with trailing garbage',
    ['FMT-1', 'VER-2'],
    'Strict JSON: one value only.',
    jws(header(), `${JSON.stringify(claims())}x`),
    'ECT_MALFORMED',
  );
  add(
    'payload JSON with a comment',
    ['FMT-1', 'VER-2'],
    'Strict JSON: no comments.',
    jws(header(), `${JSON.stringify(claims()).slice(0, -1)} /* admin */}`),
    'ECT_MALFORMED',
  );
  add(
    'payload JSON with NaN',
    ['FMT-1', 'VER-2'],
    'Strict JSON: no NaN literal.',
    jws(header(), JSON.stringify(claims()).replace(`"exp":${NOW + 600}`, '"exp":NaN')),
    'ECT_MALFORMED',
  );
  add(
    'payload JSON with single quotes',
    ['FMT-1', 'VER-2'],
    'Strict JSON: double quotes only.',
    jws(header(), JSON.stringify(claims()).replace('"exec_act"', "'exec_act'")),
    'ECT_MALFORMED',
  );
  add(
    'L1 value that is a JOSE header',
    ['FMT-2', 'VER-7'],
    'An L1 token that decodes to {"alg":"none"}: it has no claims.',
    l1(JSON.stringify({ alg: 'none', typ: 'exec+jwt' })),
    'ECT_CLAIM_MISSING',
    { minLevel: 1 },
  );
}

// --- UTF-8 ------------------------------------------------------------------------------------
category('utf8', 'invalid UTF-8 and encodings other than UTF-8 (FMT-2, VER-2; RFC 8725 §3.7)');
{
  const hs = b64(JSON.stringify(header()));
  const payloadBytes = (bytes: Buffer): string => signSegments(hs, b64(bytes));
  const json = Buffer.from(JSON.stringify(claims()));
  const withBytes = (marker: string, bytes: number[]): Buffer => {
    const text = JSON.stringify(claims({ exec_act: marker }));
    const i = text.indexOf(marker);
    return Buffer.concat([
      Buffer.from(text.slice(0, i)),
      Buffer.from(bytes),
      Buffer.from(text.slice(i + marker.length)),
    ]);
  };
  add(
    'payload with an invalid byte (0xff)',
    ['VER-2', 'RFC8725-3.7'],
    'Invalid UTF-8 is an error, never U+FFFD.',
    payloadBytes(withBytes('@@', [0xff])),
    'ECT_MALFORMED',
  );
  add(
    'payload with an overlong "/" (0xc0 0xaf)',
    ['VER-2', 'RFC8725-3.7'],
    'Overlong encodings are invalid UTF-8.',
    payloadBytes(withBytes('@@', [0xc0, 0xaf])),
    'ECT_MALFORMED',
  );
  add(
    'payload with an encoded surrogate (0xed 0xa0 0x80)',
    ['VER-2', 'RFC8725-3.7'],
    'CESU-8 surrogates are invalid UTF-8.',
    payloadBytes(withBytes('@@', [0xed, 0xa0, 0x80])),
    'ECT_MALFORMED',
  );
  add(
    'payload with a truncated sequence (0xe2 0x82)',
    ['VER-2', 'RFC8725-3.7'],
    'A cut-off multi-byte character.',
    payloadBytes(withBytes('@@', [0xe2, 0x82])),
    'ECT_MALFORMED',
  );
  add(
    'payload with a code point above U+10FFFF (0xf4 0x90 0x80 0x80)',
    ['VER-2', 'RFC8725-3.7'],
    'Beyond Unicode.',
    payloadBytes(withBytes('@@', [0xf4, 0x90, 0x80, 0x80])),
    'ECT_MALFORMED',
  );
  add(
    'payload with a byte order mark',
    ['VER-2', 'RFC8725-3.7'],
    'RFC 8259 §8.1: no BOM.',
    payloadBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json])),
    'ECT_MALFORMED',
  );
  add(
    'payload in UTF-16LE',
    ['VER-2', 'RFC8725-3.7'],
    'JSON exchanged between systems is UTF-8.',
    payloadBytes(Buffer.from(JSON.stringify(claims()), 'utf16le')),
    'ECT_MALFORMED',
  );
  add(
    'header with an invalid byte',
    ['VER-2', 'RFC8725-3.7'],
    'The header is UTF-8 too.',
    signSegments(
      b64(
        Buffer.concat([
          Buffer.from('{"alg":"ES256","typ":"exec+jwt","kid":"test-ES256","x":"'),
          Buffer.from([0xfe]),
          Buffer.from('"}'),
        ]),
      ),
      b64(json),
    ),
    'ECT_MALFORMED',
  );
  add(
    'L1 token with invalid UTF-8',
    ['FMT-2', 'VER-2', 'RFC8725-3.7'],
    'Level 1 as well.',
    b64(withBytes('@@', [0xc3])),
    'ECT_MALFORMED',
    { minLevel: 1 },
  );
  // I-JSON (RFC 7493 §2.1): no string, member names included, may hold an unpaired surrogate.
  const text = JSON.stringify(claims());
  const ijson = 'Valid JSON text and valid UTF-8 bytes, but not I-JSON (RFC 7493 §2.1).';
  const rules = ['VER-2', 'RFC8725-3.7'];
  const nested = '"ect_ext":{"a":["\\uDFFF"]},"pred":';
  for (const [label, from, to] of [
    ['exec_act with a lone high surrogate escape', '"review_spec"', '"review\\ud800"'],
    ['exec_act with a lone low surrogate escape', '"review_spec"', '"\\udc00review"'],
    ['exec_act with a surrogate pair in the wrong order', '"review_spec"', '"\\udc00\\ud800"'],
    ['a member name with a lone surrogate escape', '"exec_act":', '"x\\udbff":1,"exec_act":'],
    ['ect_ext with a lone surrogate escape in an array', '"pred":', nested],
  ] as const) {
    add(`${label}, signed`, rules, ijson, jws(header(), text.replace(from, to)), 'ECT_MALFORMED');
  }
  const inHeader = '{"alg":"ES256","typ":"exec+jwt","kid":"test-ES256","x":"\\ud800"}';
  add('header with a lone surrogate escape', rules, ijson, jws(inHeader, text), 'ECT_MALFORMED');
  const l1Hostile = l1(text.replace('"review_spec"', '"review\\ud800"'));
  const l1Rules = ['FMT-2', ...rules];
  const onlyL1 = { minLevel: 1 as const };
  add('L1 token with a lone surrogate escape', l1Rules, ijson, l1Hostile, 'ECT_MALFORMED', onlyL1);
  const pair = jws(header(), text.replace('"review_spec"', '"review\\ud83d\\ude00"'));
  const one = 'Control: an escaped pair is one character.';
  add('exec_act with an escaped surrogate pair, signed', ['CLM-6', 'VER-2'], one, pair, 'ACCEPT');
}

// --- sizes ------------------------------------------------------------------------------------
category(
  'sizes',
  'huge headers, deep ect_ext and deep JSON, long pred, aud, exec_act (FMT-5, CLM-6, CLM-7, CLM-10)',
);
{
  add(
    'a token of 65,537 bytes',
    ['FMT-5', 'VER-1'],
    'One byte over the default limit, refused before decoding.',
    `${valid()}${'A'.repeat(65_537 - valid().length)}`,
    'ECT_TOO_LARGE',
  );
  add(
    'a header of 70 KB',
    ['FMT-5', 'VER-1'],
    'A huge JOSE header.',
    jws(header({ pad: 'x'.repeat(70_000) }), claims()),
    'ECT_TOO_LARGE',
  );
  add(
    'a token of 40,000 non-ASCII characters (80,000 UTF-8 bytes)',
    ['FMT-5', 'VER-1'],
    'The limit counts UTF-8 bytes, not characters.',
    'é'.repeat(40_000),
    'ECT_TOO_LARGE',
  );
  add(
    'a 200 KB token',
    ['FMT-5', 'VER-1'],
    'Far over the limit.',
    'A'.repeat(200_000),
    'ECT_TOO_LARGE',
  );
  add(
    'a header of 40 KB, signed by the trusted key',
    ['FMT-5'],
    'Control: large but under the limit; unknown header members are ignored.',
    jws(header({ pad: 'x'.repeat(40_000) }), claims()),
    'ACCEPT',
  );
  add(
    'a token over a configured 1 KiB limit',
    ['FMT-5', 'VER-1'],
    'The limit is configurable.',
    valid({ ect_ext: { note: 'x'.repeat(1000) } }),
    'ECT_TOO_LARGE',
    { maxTokenSize: 1024 },
  );
  const nest = (depth: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth - 1; i++) v = { d: v };
    return { d: v };
  };
  add(
    'ect_ext nested 6 levels',
    ['CLM-10', 'VER-7'],
    'The object is level 1; 6 is over the limit of 5.',
    valid({ ect_ext: nest(6) }),
    'ECT_EXT_LIMIT',
  );
  add(
    'ect_ext nested 5 levels',
    ['CLM-10'],
    'Control: exactly at the limit.',
    valid({ ect_ext: nest(5) }),
    'ACCEPT',
  );
  add(
    'ect_ext nested 6 levels of arrays',
    ['CLM-10', 'VER-7'],
    'Arrays count as levels.',
    valid({ ect_ext: { a: [[[[['x']]]]] } }),
    'ECT_EXT_LIMIT',
  );
  add(
    'ect_ext nested 5,000 levels',
    ['CLM-10', 'VER-7'],
    'Deep nesting is answered with the limit, not a stack overflow.',
    jws(
      header(),
      `${JSON.stringify(claims()).slice(0, -1)},"ect_ext":${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    ),
    'ECT_EXT_LIMIT',
  );
  add(
    'ect_ext of 4,097 bytes',
    ['CLM-10', 'VER-7'],
    'One byte over the size limit.',
    valid({ ect_ext: { n: 'x'.repeat(4097 - '{"n":""}'.length) } }),
    'ECT_EXT_LIMIT',
  );
  add(
    'ect_ext of 40 KB',
    ['CLM-10', 'VER-7'],
    'Far over the size limit.',
    valid({ ect_ext: { n: 'x'.repeat(40_000) } }),
    'ECT_EXT_LIMIT',
  );
  const deepArrays = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  add(
    'an unknown claim nested 20,000 levels, untrusted signature',
    ['CLM-11', 'VER-2', 'VER-6'],
    'Parsing survives 20,000 levels of nesting (no stack overflow); the signature then fails.',
    jws(header(), `${JSON.stringify(claims()).slice(0, -1)},"x":${deepArrays(20_000)}}`, {
      key: 'attacker',
    }),
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'a header member nested 20,000 levels, untrusted signature',
    ['VER-2', 'VER-6'],
    'The header parser survives deep nesting too.',
    jws(`${JSON.stringify(header()).slice(0, -1)},"x":${deepArrays(20_000)}}`, claims(), {
      alg: 'ES256',
      key: 'attacker',
    }),
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'an L1 token nested 20,000 levels without claims',
    ['FMT-2', 'VER-2', 'VER-7'],
    'Level 1 parsing survives deep nesting.',
    l1(`{"x":${deepArrays(20_000)}}`),
    'ECT_CLAIM_MISSING',
    { minLevel: 1 },
  );
  add(
    'an L1 token nested 20,000 levels under minimum level 2',
    ['FMT-4', 'VER-3'],
    'Parsed, then refused for its level.',
    l1(`{"x":${deepArrays(20_000)}}`),
    'ECT_LEVEL_TOO_LOW',
  );
  const preds = (n: number): string[] => Array.from({ length: n }, (_, i) => uuid(1000 + i));
  add(
    'pred with 101 entries',
    ['CLM-7', 'VER-7'],
    'Over the default limit of 100.',
    valid({ pred: preds(101) }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'pred with 1,000 entries',
    ['CLM-7', 'VER-7'],
    'A long pred (about 40 KB).',
    valid({ pred: preds(1000) }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'pred with 1,000 entries, limit off',
    ['CLM-7'],
    'Control: maxPred 0 is unlimited.',
    valid({ pred: preds(1000) }),
    'ACCEPT',
    { maxPred: 0 },
  );
  add(
    'pred with 100 entries',
    ['CLM-7'],
    'Control: exactly the default limit.',
    valid({ pred: preds(100) }),
    'ACCEPT',
  );
  add(
    'pred listing one task 100 times',
    ['CLM-7', 'VER-7'],
    'Duplicates in pred.',
    valid({ pred: Array.from({ length: 100 }, () => uuid(7)) }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'pred referencing the task itself',
    ['CLM-7', 'VER-7'],
    'A self-loop.',
    valid({ pred: [uuid(1)] }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exec_act of 257 characters',
    ['CLM-6', 'VER-7'],
    'Over the default 256.',
    valid({ exec_act: 'a'.repeat(257) }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exec_act of 40,000 characters',
    ['CLM-6', 'VER-7'],
    'A huge exec_act.',
    valid({ exec_act: 'a'.repeat(40_000) }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'aud with 1,000 entries, none of them this verifier',
    ['CLM-2', 'VER-9'],
    'A long audience list.',
    valid({ aud: Array.from({ length: 1000 }, (_, i) => `spiffe://example.org/agent/${i}`) }),
    'ECT_AUDIENCE_MISMATCH',
  );
  add(
    'aud with 1,000 entries, the verifier last',
    ['CLM-2'],
    'Control: found at the end of a long list.',
    valid({
      aud: [...Array.from({ length: 999 }, (_, i) => `spiffe://example.org/agent/${i}`), AUD],
    }),
    'ACCEPT',
  );
}

// --- claim types ------------------------------------------------------------------------------
category(
  'claim-types',
  'numbers as strings, strings as numbers and other wrong JSON types, for every claim (CLM-1 ... CLM-10, VER-7)',
);
{
  const wrong: [string, string[], [string, unknown][]][] = [
    [
      'iss',
      ['CLM-1'],
      [
        ['a number', 42],
        ['an array', [ISS]],
        ['an object', { id: ISS }],
        ['true', true],
        ['null', null],
        ['an empty string', ''],
      ],
    ],
    [
      'aud',
      ['CLM-2'],
      [
        ['a number', 1],
        ['an empty array', []],
        ['an array with a number', [AUD, 1]],
        ['an array with an empty string', [AUD, '']],
        ['an object', { [AUD]: true }],
        ['null', null],
        ['an empty string', ''],
        ['a nested array', [[AUD]]],
      ],
    ],
    [
      'iat',
      ['CLM-3'],
      [
        ['a numeric string', String(NOW)],
        ['an exponent string', '1.7e9'],
        ['an array', [NOW]],
        ['true', true],
        ['null', null],
        ['an object', { $date: NOW }],
      ],
    ],
    [
      'exp',
      ['CLM-4'],
      [
        ['a numeric string', String(NOW + 600)],
        ['a date string', '2023-11-14T22:23:20Z'],
        ['an array', [NOW + 600]],
        ['false', false],
        ['null', null],
      ],
    ],
    [
      'jti',
      ['CLM-5'],
      [
        ['a number', 1],
        ['a UUID in an array', [uuid(1)]],
        ['a UUID in braces', `{${uuid(1)}}`],
        ['a URN', `urn:uuid:${uuid(1)}`],
        ['a UUID without dashes', uuid(1).replace(/-/g, '')],
        ['a UUID with a trailing newline', `${uuid(1)}\n`],
        ['null', null],
        ['an empty string', ''],
      ],
    ],
    [
      'exec_act',
      ['CLM-6'],
      [
        ['a number', 7],
        ['an array', ['review_spec']],
        ['an empty string', ''],
        ['null', null],
        ['an object', {}],
      ],
    ],
    [
      'pred',
      ['CLM-7'],
      [
        ['a string', uuid(2)],
        ['an array with a number', [2]],
        ['an object', { 0: uuid(2) }],
        ['null', null],
        ['an array with null', [null]],
        ['an array with a non-UUID', ['task-2']],
        ['a number', 0],
      ],
    ],
    [
      'wid',
      ['CLM-8'],
      [
        ['a number', 1],
        ['an array', [WID]],
        ['an empty string', ''],
        ['a non-UUID', 'workflow-1'],
        ['null', null],
      ],
    ],
    [
      'inp_hash',
      ['CLM-9'],
      [
        ['a number', 0],
        ['an array of bytes', [1, 2, 3]],
        ['the -00 "sha-256:" form', `sha-256:${'A'.repeat(43)}`],
        ['hex', 'ab'.repeat(32)],
        ['padded base64url', `${'A'.repeat(43)}=`],
        ['null', null],
      ],
    ],
    [
      'out_hash',
      ['CLM-9'],
      [
        ['a number', 0],
        ['an object', { alg: 'sha-256', value: 'A'.repeat(43) }],
        ['standard base64', `${'+'.repeat(42)}A`],
        ['42 characters', 'A'.repeat(42)],
        ['non-zero trailing bits', `${'A'.repeat(42)}B`],
      ],
    ],
    [
      'ect_ext',
      ['CLM-10'],
      [
        ['a string', '{"pol":"x"}'],
        ['an array', [{ pol: 'x' }]],
        ['a number', 1],
        ['true', true],
        ['null', null],
      ],
    ],
  ];
  for (const [claim, rules, values] of wrong) {
    for (const [label, value] of values) {
      add(
        `${claim} is ${label}`,
        [...rules, 'VER-7'],
        `${claim} of the wrong type or form, in a token with a valid signature.`,
        valid({ [claim]: value }),
        'ECT_CLAIM_INVALID',
      );
    }
  }
  for (const claim of ['iss', 'aud', 'iat', 'exp', 'jti', 'exec_act', 'pred']) {
    add(
      `${claim} missing`,
      ['VER-7', 'CLM-1'],
      `Required claim ${claim} absent.`,
      valid({ [claim]: undefined }),
      'ECT_CLAIM_MISSING',
    );
  }
  add(
    'iss only inherited through __proto__',
    ['VER-7', 'CLM-1'],
    'A "__proto__" member is an own member named __proto__, not a prototype: iss stays missing.',
    jws(
      header(),
      `${JSON.stringify(claims({ iss: undefined })).slice(0, -1)},"__proto__":{"iss":"${ISS}"}}`,
    ),
    'ECT_CLAIM_MISSING',
  );
  add(
    'L1 token with exp as a string',
    ['CLM-4', 'VER-7', 'FMT-2'],
    'Level 1 runs the same claim checks.',
    l1({ exp: String(NOW + 600) }),
    'ECT_CLAIM_INVALID',
    { minLevel: 1 },
  );
}

// --- numbers ----------------------------------------------------------------------------------
category('numbers', 'NumericDate edges: Infinity, negative, -0, after 9999 (CLM-3, CLM-4, VER-10)');
{
  const withNumber = (claim: string, literal: string): string =>
    jws(header(), JSON.stringify(claims({ [claim]: 123456789 })).replace('123456789', literal));
  add(
    'exp 1e309 (parses to Infinity)',
    ['CLM-4', 'VER-7'],
    'Not a finite NumericDate.',
    withNumber('exp', '1e309'),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exp -1e309 (parses to -Infinity)',
    ['CLM-4', 'VER-7'],
    'Not a finite NumericDate.',
    withNumber('exp', '-1e309'),
    'ECT_CLAIM_INVALID',
  );
  add(
    'iat 1e309',
    ['CLM-3', 'VER-7'],
    'Not a finite NumericDate.',
    withNumber('iat', '1e309'),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exp negative',
    ['CLM-4', 'VER-7'],
    'NumericDate is non-negative.',
    valid({ exp: -1 }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'iat negative',
    ['CLM-3', 'VER-7'],
    'NumericDate is non-negative.',
    valid({ iat: -600, exp: 0 }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exp -0',
    ['CLM-4', 'VER-7'],
    '-0 is not after iat.',
    withNumber('exp', '-0'),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exp equal to iat',
    ['CLM-4', 'VER-7'],
    'exp must be after iat.',
    valid({ exp: NOW }),
    'ECT_CLAIM_INVALID',
  );
  add(
    'exp before iat',
    ['CLM-4', 'VER-7'],
    'exp must be after iat.',
    valid({ exp: NOW - 1 }),
    'ECT_CLAIM_INVALID',
  );
  // CLM-4 (revision 2): a NumericDate lies from 0 to 253402300799 (9999-12-31T23:59:59Z).
  const range = 'Beyond the NumericDate range (CLM-4), refused before any store sees it.';
  const end = '253402300799';
  add('exp 1e300', ['CLM-4', 'VER-7'], range, valid({ exp: 1e300 }), 'ECT_CLAIM_INVALID');
  add('exp 1e23', ['CLM-4', 'VER-7'], range, withNumber('exp', '1e23'), 'ECT_CLAIM_INVALID');
  const beyond = withNumber('exp', '9007199254740993');
  add('exp 9007199254740993 (beyond 2^53)', ['CLM-4', 'VER-7'], range, beyond, 'ECT_CLAIM_INVALID');
  const justAfter = withNumber('exp', '253402300800');
  const invalid = 'ECT_CLAIM_INVALID';
  add('exp one second after the end of year 9999', ['CLM-4', 'VER-7'], range, justAfter, invalid);
  const iatAfter = jws(header(), claims({ iat: 253402300800, exp: 253402300801 }));
  add('iat after the end of year 9999', ['CLM-3', 'CLM-4', 'VER-7'], range, iatAfter, invalid);
  const lastSecond = 'Control: the last NumericDate of the range is a valid exp.';
  add('exp at the end of year 9999', ['CLM-4'], lastSecond, withNumber('exp', end), 'ACCEPT');
  const age = 'A far-future exp does not extend acceptance beyond the maximum iat age (900 s).';
  const later = { now: NOW + 1200 };
  const name = 'exp at the end of year 9999, verified 20 minutes after iat';
  add(name, ['CLM-3', 'VER-10'], age, withNumber('exp', end), 'ECT_IAT_TOO_OLD', later);
  add(
    'iat 1e-400 (underflows to 0), verified at NOW',
    ['CLM-3', 'VER-10'],
    'iat 0 is 53 years old.',
    withNumber('iat', '1e-400'),
    'ECT_IAT_TOO_OLD',
  );
  add(
    'iat far in the future, exp after it',
    ['CLM-3', 'VER-10'],
    'iat beyond the clock tolerance.',
    valid({ iat: NOW + 3600, exp: NOW + 4200 }),
    'ECT_IAT_FUTURE',
  );
  add(
    'expired 31 s ago',
    ['CLM-4', 'VER-10'],
    'Beyond the 30 s tolerance.',
    valid({ iat: NOW - 631, exp: NOW - 31 }),
    'ECT_EXPIRED',
  );
  add(
    'exp as 1.7e9 written with an exponent',
    ['CLM-4'],
    'Control: JSON numbers in exponent form are numbers.',
    withNumber('exp', '1.7000006e9'),
    'ACCEPT',
  );
}

// --- typ --------------------------------------------------------------------------------------
category(
  'typ',
  'typ look-alikes, other token types and signatures made for a different typ (HDR-1; RFC 8725 §3.11, §3.12)',
);
{
  const lookalikes: [string, unknown][] = [
    ['Cyrillic "е" (U+0435)', 'еxec+jwt'],
    ['Cyrillic "ех" and "с"', 'ехес+jwt'],
    ['fullwidth letters', 'ｅｘｅｃ+jwt'],
    ['a fullwidth plus', 'exec＋jwt'],
    ['a zero-width space', 'exec+jwt\u200b'],
    ['a zero-width joiner inside', 'exec\u200d+jwt'],
    ['a trailing space', 'exec+jwt '],
    ['a leading space', ' exec+jwt'],
    ['a NUL', 'exec+jwt\u0000'],
    ['a dotless i in application/', 'applıcation/exec+jwt'],
    ['a dotted capital I in APPLICATION/', 'APPLİCATION/exec+jwt'],
    ['a long s', 'exec+jwt'.replace('e', 'ſ')],
    ['a media type parameter', 'application/exec+jwt; charset=utf-8'],
    ['a double prefix', 'application/application/exec+jwt'],
    ['a different prefix', 'text/exec+jwt'],
    ['a suffix only', '+jwt'],
    ['"JWT"', 'JWT'],
    ['"jwt"', 'jwt'],
    ['"at+jwt"', 'at+jwt'],
    ['"wit+jwt"', 'wit+jwt'],
    ['"wpt+jwt"', 'wpt+jwt'],
    ['"act+jwt"', 'act+jwt'],
    ['"ect-receipt+jwt"', 'ect-receipt+jwt'],
    ['"exec"', 'exec'],
    ['"exec+jws"', 'exec+jws'],
    ['"exec+cwt"', 'exec+cwt'],
    ['an array', ['exec+jwt']],
    ['null', null],
    ['a number', 1],
    ['an empty string', ''],
  ];
  for (const [label, typ] of lookalikes) {
    add(
      `typ with ${label}`,
      ['HDR-1', 'VER-4'],
      'Only exec+jwt / wimse-exec+jwt (ASCII case-insensitive, optional application/) is an ECT.',
      jws(header({ typ }), claims()),
      'ECT_TYP_INVALID',
    );
  }
  add(
    'typ missing',
    ['HDR-1', 'VER-4'],
    'Explicit typing is required.',
    jws(header({ typ: undefined }), claims()),
    'ECT_TYP_INVALID',
  );
  add(
    'typ "APPLICATION/EXEC+JWT"',
    ['HDR-1'],
    'Control: ASCII case-insensitive with the application/ prefix.',
    jws(header({ typ: 'APPLICATION/EXEC+JWT' }), claims()),
    'ACCEPT',
  );
  add(
    'typ "Wimse-Exec+JWT" (legacy)',
    ['HDR-1'],
    'Control: the -00 value.',
    jws(header({ typ: 'Wimse-Exec+JWT' }), claims()),
    'ACCEPT',
  );
  // Same key, same claims, a token made for another purpose.
  for (const typ of ['JWT', 'wit+jwt', 'at+jwt', 'ect-receipt+jwt']) {
    add(
      `a ${typ} signed by the trusted key with ECT claims`,
      ['HDR-1', 'VER-4', 'RFC8725-3.12'],
      'A signature valid for a different typ is not an ECT (cross-JWT confusion).',
      jws(header({ typ }), claims()),
      'ECT_TYP_INVALID',
    );
  }
  add(
    'a JWT without typ signed by the trusted key',
    ['HDR-1', 'VER-4', 'RFC8725-3.12'],
    'An untyped JWT of the same issuer.',
    jws(header({ typ: undefined }), claims()),
    'ECT_TYP_INVALID',
  );
  {
    const other = jws(header({ typ: 'JWT' }), claims());
    const [, p, s] = other.split('.') as [string, string, string];
    add(
      'a JWT signature with its typ rewritten to exec+jwt',
      ['HDR-1', 'VER-6', 'RFC8725-3.12'],
      'typ is covered by the signature: rewriting it breaks the signature.',
      `${b64(JSON.stringify(header()))}.${p}.${s}`,
      'ECT_SIGNATURE_INVALID',
    );
  }
  add(
    'a WIT (wit+jwt with sub and cnf) signed by the trusted key',
    ['HDR-1', 'VER-4', 'RFC8725-3.12'],
    'A workload identity token is not an ECT.',
    jws(header({ typ: 'wit+jwt' }), {
      iss: ISS,
      sub: ISS,
      exp: NOW + 600,
      iat: NOW,
      jti: uuid(3),
      cnf: { jwk: KEYS.ES256.publicJwk },
    }),
    'ECT_TYP_INVALID',
  );
}

// --- levels and downgrade ---------------------------------------------------------------------
category('levels', 'level detection, minimum level and downgrade attempts (FMT-3, FMT-4, VER-3)');
{
  const tok = valid();
  const [h, p] = tok.split('.') as [string, string];
  add(
    'an L1 token under the default minimum (L2)',
    ['FMT-4', 'VER-3'],
    'Unsigned tokens are refused unless the verifier allows level 1.',
    l1(),
    'ECT_LEVEL_TOO_LOW',
  );
  add(
    'an L1 token with minimum level 2 set explicitly',
    ['FMT-4', 'VER-3'],
    'The same with the option given.',
    l1(),
    'ECT_LEVEL_TOO_LOW',
    { minLevel: 2 },
  );
  add(
    'an L2 token stripped to its payload segment (downgrade)',
    ['FMT-4', 'FMT-3', 'VER-3'],
    'Dropping header and signature turns it into an L1 token, which a level 2 verifier refuses.',
    p,
    'ECT_LEVEL_TOO_LOW',
  );
  add(
    "an L2 token stripped to its payload segment, with an attacker's claims",
    ['FMT-4', 'VER-3'],
    'Changed claims in the downgraded form.',
    l1({ aud: [AUD, 'spiffe://evil.example/x'], exec_act: 'approve_all' }),
    'ECT_LEVEL_TOO_LOW',
  );
  add(
    'an L2 token with its signature removed (dot kept)',
    ['FMT-3', 'VER-6'],
    'Two dots: parsed as JWS, never as L1; the empty signature does not verify.',
    `${h}.${p}.`,
    'ECT_SIGNATURE_INVALID',
  );
  add(
    'an L2 token with its signature and dot removed',
    ['FMT-3', 'VER-2'],
    'One dot: neither form.',
    `${h}.${p}`,
    'ECT_MALFORMED',
  );
  add(
    'an L2 token with header removed',
    ['FMT-3', 'VER-2'],
    'An empty header segment.',
    `.${p}.${tok.split('.')[2]}`,
    'ECT_MALFORMED',
  );
  add(
    'an L2 token turned into alg none (downgrade)',
    ['HDR-2', 'VER-4'],
    'alg none with the old signature.',
    `${b64(JSON.stringify(header({ alg: 'none' })))}.${p}.${tok.split('.')[2]}`,
    'ECT_ALG_NOT_ALLOWED',
  );
  add(
    'the stripped payload segment where L1 is allowed',
    ['FMT-4', 'FMT-2'],
    'Control: an L1 token is only accepted where the verifier is configured for level 1.',
    p,
    'ACCEPT',
    { minLevel: 1 },
  );
  add(
    'an L1 token with minimum level 1, wrong audience',
    ['FMT-4', 'VER-9'],
    'L1 still runs the claim, audience and time checks.',
    l1({ aud: 'spiffe://example.org/agent/c' }),
    'ECT_AUDIENCE_MISMATCH',
    { minLevel: 1 },
  );
  add(
    'an L1 token with minimum level 1, expired',
    ['FMT-4', 'VER-10'],
    'L1 still runs the time checks.',
    l1({ iat: NOW - 2000, exp: NOW - 1000 }),
    'ECT_EXPIRED',
    { minLevel: 1 },
  );
}

// --- issuer and audience ----------------------------------------------------------------------
category(
  'issuer-audience',
  'issuer binding and audience look-alikes (VER-8, VER-9, CLM-1, CLM-2; RFC 8725 §3.8, §3.9)',
);
{
  const bound = { issuers: [{ prefix: 'spiffe://example.org/' }] };
  add(
    'iss in another trust domain sharing the prefix text',
    ['VER-8', 'CLM-1', 'RFC8725-3.8'],
    'A prefix binding ending in "/" does not cover spiffe://example.org.evil.com/.',
    valid({ iss: 'spiffe://example.org.evil.com/agent/a' }),
    'ECT_ISSUER_MISMATCH',
    bound,
  );
  add(
    'iss in another trust domain',
    ['VER-8', 'CLM-1', 'RFC8725-3.8'],
    'The key is bound to example.org only.',
    valid({ iss: 'spiffe://evil.example/agent/a' }),
    'ECT_ISSUER_MISMATCH',
    bound,
  );
  // CLM-1: a spiffe look-alike is not a SPIFFE ID; VER-7 refuses it before the binding (VER-8).
  for (const [label, iss] of [
    ['an upper-case trust domain', 'spiffe://EXAMPLE.org/agent/a'],
    ['an upper-case scheme', 'SPIFFE://example.org/agent/a'],
    ['a ".." path segment', 'spiffe://example.org/agent/../a'],
    ['a "." path segment', 'spiffe://example.org/./agent/a'],
    ['an empty path segment', 'spiffe://example.org/agent//a'],
    ['a trailing slash', 'spiffe://example.org/agent/a/'],
    ['a port', 'spiffe://example.org:443/agent/a'],
    ['userinfo', 'spiffe://admin@example.org/agent/a'],
    ['a query', 'spiffe://example.org/agent/a?role=admin'],
    ['a fragment', 'spiffe://example.org/agent/a#admin'],
    ['percent-encoding', 'spiffe://example.org/agent/%61'],
    ['more than 2048 bytes', `spiffe://example.org/agent/${'a'.repeat(2030)}`],
  ] as const) {
    const why = 'A spiffe iss is a valid SPIFFE ID (SPIFFE-ID §2), refused before the binding.';
    add(`iss with ${label}`, ['CLM-1', 'VER-7'], why, valid({ iss }), 'ECT_CLAIM_INVALID', bound);
  }
  const otherUri = valid({ iss: 'https://example.org/agent/../a' });
  const control = 'Control: other URIs are allowed and keep their own syntax.';
  add('iss as an https URI with a dot segment', ['CLM-1'], control, otherUri, 'ACCEPT');
  add(
    'iss not the exact bound issuer',
    ['VER-8', 'CLM-1'],
    'An exact binding.',
    valid({ iss: `${ISS}/sub` }),
    'ECT_ISSUER_MISMATCH',
    { issuers: [{ exact: ISS }] },
  );
  add(
    'iss under the bound trust domain',
    ['VER-8'],
    'Control: the binding covers its own issuers.',
    valid(),
    'ACCEPT',
    bound,
  );
  for (const [label, aud] of [
    ['a trailing slash', `${AUD}/`],
    ['upper case', AUD.toUpperCase()],
    ['a look-alike letter', AUD.replace('agent', 'аgent')],
    ['a prefix of the verifier', AUD.slice(0, -1)],
    ['the verifier plus a suffix', `${AUD}x`],
    ['a trailing NUL', `${AUD}\u0000`],
    ['the issuer instead', ISS],
    ['an array of other parties', [ISS, 'spiffe://example.org/ledger']],
  ] as const) {
    add(
      `aud with ${label}`,
      ['CLM-2', 'VER-9', 'RFC8725-3.9'],
      'The verifier must be in aud, compared exactly.',
      valid({ aud }),
      'ECT_AUDIENCE_MISMATCH',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

const context = {
  note: 'Verifier context of the adversarial corpus. The trusted keys are the public halves of the TEST-ONLY keys in keys.json (kid attacker-ES256 is not trusted).',
  now: NOW,
  audience: AUD,
  issuer: ISS,
  trustedKeys: [KEYS.ES256.publicJwk, KEYS.EdDSA.publicJwk, KEYS.PS256.publicJwk],
  untrustedKeys: [KEYS.attacker.publicJwk],
};
writeFileSync(join(HERE, 'context.json'), `${JSON.stringify(context, null, 2)}\n`);
let total = 0;
let written = 0;
const names = new Set<string>();
// Categories named on the command line are written alone (the others keep their signatures).
const chosen = new Set(process.argv.slice(2));
for (const name of chosen) if (!categories.has(name)) throw new Error(`no category ${name}`);
for (const [name, { description, cases }] of categories) {
  if (chosen.size > 0 && !chosen.has(name)) continue;
  for (const c of cases) {
    const id = `${name}/${c.name}`;
    if (names.has(id)) throw new Error(`duplicate case name ${id}`);
    names.add(id);
  }
  writeFileSync(
    join(HERE, `${name}.json`),
    `${JSON.stringify({ category: name, description, cases }, null, 1)}\n`,
  );
  total += cases.length;
  written++;
}
console.log(`${total} cases in ${written} categories`);
