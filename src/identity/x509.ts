/**
 * IDB-2, the X.509 profile: the key comes from the header's `x5c` chain (leaf first, base64 DER,
 * RFC 7515 §4.1.6), which must validate to a configured trust anchor at the verification time
 * (`request.now`), and the token's `iss` must equal a URI SAN of the leaf (VER-8). Chain checks
 * follow RFC 5280 §6.1 in the parts that matter here: each signature up to the anchor, validity of
 * every certificate, CA basic constraints on intermediates, key usage and path length on every
 * issuing certificate (the trust anchor included), digital signature usage on the leaf, and no
 * unknown critical extension (§4.2). A leaf that carries a SPIFFE ID is an X509-SVID and also
 * follows the SPIFFE leaf rules (one URI SAN, not a CA, X509-SVID §5.2). A revocation hook is
 * asked about every certificate below the anchor; when it fails, the token is rejected unless
 * configured otherwise. Successful chain validations are cached for a short time, keyed by the
 * `x5c` strings. `x5u` is never fetched (HDR-5).
 * @module
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { isAlgorithm } from '../crypto/algorithms.js';
import { keyFitsAlgorithm } from '../crypto/keys.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { hasSpiffeScheme, spiffeIdProblem } from '../format/spiffe-id.js';
import { choiceSetting, numberSetting } from '../settings.js';
import {
  issuerMatches,
  type IssuerBinding,
  type KeyRequest,
  type KeySource,
  type ResolvedKey,
} from './key-source.js';
import {
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  readCertificateFields,
  type CertificateFields,
} from './x509-der.js';

/**
 * IDB-2 [P] defaults.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { DEFAULT_MAX_CHAIN_LENGTH, x509Trust } from 'wimse-ect/identity';
 *
 * const keys = x509Trust({
 *   anchors: readFileSync('pki/anchors.pem', 'utf8'),
 *   maxChainLength: DEFAULT_MAX_CHAIN_LENGTH - 2,
 * });
 * ```
 */
export const DEFAULT_MAX_CHAIN_LENGTH = 5;
/**
 * IDB-2 [P]: how long a validated chain is remembered, seconds (60).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { DEFAULT_CHAIN_CACHE_SECONDS, x509Trust } from 'wimse-ect/identity';
 *
 * const keys = x509Trust({
 *   anchors: readFileSync('pki/anchors.pem', 'utf8'),
 *   cacheSeconds: 5 * DEFAULT_CHAIN_CACHE_SECONDS,
 * });
 * ```
 */
export const DEFAULT_CHAIN_CACHE_SECONDS = 60;
/**
 * IDB-2 [P]: most validated chains remembered (1000).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { DEFAULT_CHAIN_CACHE_SIZE, x509Trust } from 'wimse-ect/identity';
 *
 * // Many workloads, each with a certificate of its own.
 * const keys = x509Trust({
 *   anchors: readFileSync('pki/anchors.pem', 'utf8'),
 *   cacheSize: 20 * DEFAULT_CHAIN_CACHE_SIZE,
 * });
 * ```
 */
export const DEFAULT_CHAIN_CACHE_SIZE = 1000;
/**
 * IDB-2 [P]: longest wait for the revocation hook, milliseconds (2 seconds); a timeout is a
 * failure of the hook.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { DEFAULT_REVOCATION_TIMEOUT_MS, x509Trust } from 'wimse-ect/identity';
 *
 * const keys = x509Trust({
 *   anchors: readFileSync('pki/anchors.pem', 'utf8'),
 *   revocation: async () => 'good' as const,
 *   revocationTimeoutMs: DEFAULT_REVOCATION_TIMEOUT_MS / 2,
 * });
 * ```
 */
export const DEFAULT_REVOCATION_TIMEOUT_MS = 2000;

/**
 * What a revocation hook says about one certificate. `unknown` follows the failure policy.
 *
 * @example
 * ```ts
 * import type { RevocationStatus } from 'wimse-ect/identity';
 *
 * const revokedSerials = new Set(['4F3A2B']);
 * const status = (serial: string): RevocationStatus =>
 *   revokedSerials.has(serial) ? 'revoked' : 'good';
 * ```
 */
export type RevocationStatus = 'good' | 'revoked' | 'unknown';

/**
 * What a revocation hook is asked.
 *
 * @example
 * ```ts
 * import type { RevocationInput, RevocationStatus } from 'wimse-ect/identity';
 *
 * const denied = new Set(['4F3A2B']);
 * function check(input: RevocationInput): RevocationStatus {
 *   // position 0 is the leaf; its issuer signed it.
 *   return denied.has(input.certificate.serialNumber) ? 'revoked' : 'good';
 * }
 * ```
 */
export interface RevocationInput {
  /** The certificate in question (the leaf or an intermediate). */
  readonly certificate: X509Certificate;
  /** The certificate that signed it (an intermediate or the trust anchor). */
  readonly issuer: X509Certificate;
  /** Its position in `x5c` (0 = leaf). */
  readonly position: number;
  /** Verification time, Unix seconds. */
  readonly now: number;
}

/**
 * A revocation hook (CRL, OCSP, a deny list). Throwing counts as a failure of the hook.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { x509Trust, type RevocationCheck } from 'wimse-ect/identity';
 *
 * // A deny list refreshed elsewhere; an OCSP or CRL client fits the same shape.
 * const denied = new Set<string>();
 * const revocation: RevocationCheck = ({ certificate }) =>
 *   denied.has(certificate.serialNumber) ? 'revoked' : 'good';
 * const keys = x509Trust({ anchors: readFileSync('pki/anchors.pem', 'utf8'), revocation });
 * ```
 */
export type RevocationCheck = (
  input: RevocationInput,
) => RevocationStatus | Promise<RevocationStatus>;

/**
 * Options of `x509Trust`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { x509Trust, type X509TrustOptions } from 'wimse-ect/identity';
 *
 * const options: X509TrustOptions = {
 *   anchors: readFileSync('pki/anchors.pem', 'utf8'),
 *   issuers: [{ prefix: 'spiffe://example.org/' }], // what these anchors may vouch for
 *   revocation: async () => 'unknown' as const,
 *   revocationFailure: 'allow', // a hook that cannot answer does not stop traffic
 * };
 * const keys = x509Trust(options);
 * ```
 */
export interface X509TrustOptions {
  /** Trust anchors: PEM text (a bundle of one or more certificates), or a list of PEM texts / certificates. */
  readonly anchors: string | readonly (string | X509Certificate)[];
  /** Only these issuers may be vouched for by these anchors (default: any URI SAN of a valid leaf). */
  readonly issuers?: readonly IssuerBinding[];
  /** Most certificates in `x5c` (default 5). */
  readonly maxChainLength?: number;
  /** How long a validated chain is remembered, seconds (default 60; 0 = no cache). */
  readonly cacheSeconds?: number;
  /** Most chains remembered (default 1000). */
  readonly cacheSize?: number;
  /** Consulted for the leaf and each intermediate on every verification (it may cache itself). */
  readonly revocation?: RevocationCheck;
  /** When the hook throws, times out or answers `unknown`: `reject` (default) or `allow`. */
  readonly revocationFailure?: 'reject' | 'allow';
  /** Longest wait for the hook, milliseconds (default 2000); a timeout is a hook failure. */
  readonly revocationTimeoutMs?: number;
  /** The setting named in configuration errors (default `x509`). */
  readonly setting?: string;
}

/** The result of validating one chain, valid for [notBefore, notAfter]. */
interface ValidChain {
  readonly key: KeyObject;
  readonly uris: readonly string[];
  readonly notBefore: number;
  readonly notAfter: number;
  /** Certificates below the anchor, leaf first, each with its issuer (for the revocation hook). */
  readonly links: readonly {
    readonly certificate: X509Certificate;
    readonly issuer: X509Certificate;
  }[];
}

interface Certificate {
  readonly x509: X509Certificate;
  readonly fields: CertificateFields;
}

// RFC 5280 §4.2: a critical extension that is not understood makes the certificate unusable.
// Extended key usage (2.5.29.37) is recognised and places no limit an ECT could break;
// subject/authority key identifiers (2.5.29.14, 2.5.29.35) are never critical but harmless.
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  '2.5.29.37',
  '2.5.29.14',
  '2.5.29.35',
]);

// RFC 7515 §4.1.6: base64 (not base64url), padded.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function unresolved(message: string, member = 'x5c'): ECTError {
  return new ECTError('ECT_KEY_UNRESOLVED', message, { member });
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function describe(position: number, anchor = false): string {
  if (anchor) return 'the trust anchor';
  return position === 0 ? 'the leaf certificate (x5c[0])' : `x5c[${position}]`;
}

/**
 * Reads a PEM bundle (one or more `CERTIFICATE` blocks). Throws `ECTConfigError` naming `setting`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parsePemBundle } from 'wimse-ect/identity';
 *
 * for (const certificate of parsePemBundle(readFileSync('pki/anchors.pem', 'utf8'))) {
 *   console.log(certificate.subject, certificate.validTo);
 * }
 * ```
 */
export function parsePemBundle(text: string, setting = 'anchors'): X509Certificate[] {
  const blocks =
    String(text).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ECTConfigError(setting, 'no PEM certificate found');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new ECTConfigError(
        `${setting}[${index}]`,
        `not a certificate (${(error as Error).message})`,
        { cause: error },
      );
    }
  });
}

function readCertificate(der: Buffer | X509Certificate, what: string): Certificate {
  try {
    const x509 = der instanceof X509Certificate ? der : new X509Certificate(der);
    return { x509, fields: readCertificateFields(x509.raw) };
  } catch (error) {
    throw unresolved(`${what} is not a usable certificate (${(error as Error).message})`);
  }
}

function checkTime(certificate: Certificate, now: number, what: string): void {
  if (now < certificate.fields.notBefore)
    throw unresolved(`${what} is not valid before ${iso(certificate.fields.notBefore)}`);
  if (now > certificate.fields.notAfter)
    throw unresolved(`${what} expired at ${iso(certificate.fields.notAfter)}`);
}

function checkCritical(certificate: Certificate, what: string): void {
  const unknown = certificate.fields.critical.find((oid) => !UNDERSTOOD_CRITICAL.has(oid));
  if (unknown !== undefined)
    throw unresolved(
      `${what} has a critical extension this verifier does not understand (${unknown}, RFC 5280 §4.2)`,
    );
}

/** Where an issuing certificate sits: how many intermediates are below it, and its name. */
interface IssuingPosition {
  /** Intermediate certificates between it and the leaf (the leaf itself does not count). */
  readonly below: number;
  readonly what: string;
}

/**
 * RFC 5280 §6.1.4 (l), (n): a certificate that signs another may sign certificates (keyUsage
 * keyCertSign, §4.2.1.3) and allows the intermediates below it (pathLenConstraint, §4.2.1.9).
 * Applied to intermediates and to the trust anchor alike.
 */
function checkIssuing(issuer: Certificate, position: IssuingPosition): void {
  const { keyUsage, pathLength } = issuer.fields;
  if (keyUsage !== undefined && !keyUsage.keyCertSign) {
    const reason = 'keyUsage without keyCertSign, RFC 5280 §4.2.1.3';
    throw unresolved(`${position.what} may not sign certificates (${reason})`);
  }
  if (pathLength !== undefined && position.below > pathLength) {
    throw unresolved(
      `${position.what} allows ${pathLength} intermediate certificate(s) below it, the chain has ` +
        `${position.below} (pathLenConstraint, RFC 5280 §4.2.1.9)`,
    );
  }
}

/**
 * A leaf that carries a SPIFFE ID (a URI SAN in the `spiffe` scheme) is an X509-SVID, and the
 * SPIFFE leaf validation applies (X509-SVID §5.2): exactly one URI SAN (§2: a second one would be
 * a second identity; VER-8 then requires `iss` to equal it), a valid SPIFFE ID (CLM-1) with a
 * non-root path, basicConstraints cA false (§4.1) and neither keyCertSign nor cRLSign (§4.3).
 */
function checkSpiffeLeaf(leaf: Certificate): void {
  const { uris, ca, keyUsage } = leaf.fields;
  if (!uris.some(hasSpiffeScheme)) return;
  if (uris.length !== 1) {
    const rule = 'an X509-SVID has exactly one (X509-SVID §2)';
    throw unresolved(`the leaf certificate carries ${uris.length} URI SANs; ${rule}`);
  }
  const problem = spiffeIdProblem(uris[0]!, { requirePath: true });
  if (problem !== undefined) {
    const san = JSON.stringify(uris[0]);
    throw unresolved(`the URI SAN ${san} of the leaf certificate is not a SPIFFE ID: ${problem}`);
  }
  if (ca) throw unresolved('the leaf certificate is a CA (basicConstraints cA, X509-SVID §4.1)');
  if (keyUsage !== undefined && (keyUsage.keyCertSign || keyUsage.cRLSign)) {
    throw unresolved('the leaf certificate may sign certificates or CRLs (X509-SVID §4.3)');
  }
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function hookTimeout(ms: number): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * The X.509 profile (IDB-2) as a key source. Anchors are read at once; a bad one is a
 * configuration error.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createVerifier } from 'wimse-ect';
 * import { x509Trust } from 'wimse-ect/identity';
 *
 * // The key: the leaf of the token's x5c chain, validated to these anchors; iss: a URI SAN of it.
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: x509Trust({ anchors: readFileSync('pki/anchors.pem', 'utf8') }),
 * });
 * ```
 */
export function x509Trust(options: X509TrustOptions): KeySource {
  const setting = options.setting ?? 'x509';
  const anchorList = typeof options.anchors === 'string' ? [options.anchors] : options.anchors;
  const given: unknown = anchorList; // Array.isArray would narrow the anchors to any
  if (!Array.isArray(given) || anchorList.length === 0)
    throw new ECTConfigError(`${setting}.anchors`, 'at least one trust anchor is needed');
  const anchors: Certificate[] = [];
  anchorList.forEach((item, index) => {
    const certificates =
      item instanceof X509Certificate
        ? [item]
        : parsePemBundle(item, `${setting}.anchors[${index}]`);
    for (const x509 of certificates) {
      try {
        anchors.push({ x509, fields: readCertificateFields(x509.raw) });
      } catch (error) {
        throw new ECTConfigError(`${setting}.anchors[${index}]`, (error as Error).message, {
          cause: error,
        });
      }
    }
  });
  const anchorsByDer = new Map(
    anchors.map((anchor) => [anchor.x509.raw.toString('base64'), anchor]),
  );
  const maxChainLength = numberSetting({
    value: options.maxChainLength,
    fallback: DEFAULT_MAX_CHAIN_LENGTH,
    setting: `${setting}.max_chain_length`,
    min: 1,
    integer: true,
  });
  const cacheSeconds = numberSetting({
    value: options.cacheSeconds,
    fallback: DEFAULT_CHAIN_CACHE_SECONDS,
    setting: `${setting}.cache_seconds`,
    unit: 'seconds',
  });
  const cacheSize = numberSetting({
    value: options.cacheSize,
    fallback: DEFAULT_CHAIN_CACHE_SIZE,
    setting: `${setting}.cache_size`,
    min: 1,
    integer: true,
  });
  const failurePolicy = choiceSetting({
    value: options.revocationFailure,
    fallback: 'reject',
    setting: `${setting}.revocation_failure`,
    choices: ['reject', 'allow'],
  });
  const revocationTimeoutMs = numberSetting({
    value: options.revocationTimeoutMs,
    fallback: DEFAULT_REVOCATION_TIMEOUT_MS,
    setting: `${setting}.revocation_timeout_ms`,
    min: 1,
    integer: true,
    unit: 'milliseconds',
  });
  const allowed = options.issuers;
  const cache = new Map<string, { chain: ValidChain; until: number }>();

  /** RFC 5280 §6.1, as far as IDB-2 needs it. Throws `ECT_KEY_UNRESOLVED` naming the certificate at fault. */
  function validate(x5c: readonly string[], now: number): ValidChain {
    const chain = x5c.map((encoded, index) =>
      readCertificate(Buffer.from(encoded, 'base64'), describe(index)),
    );
    const links: { certificate: X509Certificate; issuer: X509Certificate }[] = [];
    let notBefore = -Infinity;
    let notAfter = Infinity;
    const within = (certificate: Certificate, what: string): void => {
      checkTime(certificate, now, what);
      checkCritical(certificate, what);
      notBefore = Math.max(notBefore, certificate.fields.notBefore);
      notAfter = Math.min(notAfter, certificate.fields.notAfter);
    };
    for (let i = 0; ; i++) {
      const current = chain[i]!;
      within(current, describe(i));
      if (anchorsByDer.has(current.x509.raw.toString('base64'))) break; // the chain includes its anchor
      const anchor = anchors.find((candidate) => signedBy(current.x509, candidate.x509));
      if (anchor !== undefined) {
        // RFC 5280 §6.1.1 (d) makes the anchor an input of path validation rather than part of the
        // path, but the constraints it carries still bind what it signs (RFC 5937 enforces them, so
        // does `openssl verify`): its validity, key usage and path length.
        checkTime(anchor, now, describe(i, true));
        checkIssuing(anchor, { below: i, what: describe(i, true) });
        notBefore = Math.max(notBefore, anchor.fields.notBefore);
        notAfter = Math.min(notAfter, anchor.fields.notAfter);
        links.push({ certificate: current.x509, issuer: anchor.x509 });
        break;
      }
      const parent = chain[i + 1];
      if (parent === undefined)
        throw unresolved(
          `the x5c chain does not lead to a trusted anchor (${describe(i)} is issued by ${current.x509.issuer.replace(/\n/g, ', ')})`,
        );
      if (!signedBy(current.x509, parent.x509))
        throw unresolved(`${describe(i)} is not signed by x5c[${i + 1}]`);
      // RFC 5280 §4.2.1.9 / §6.1.4 (k), (l), (n): an issuing certificate is a CA, may sign
      // certificates, and allows this many intermediates below it.
      if (!parent.fields.ca)
        throw unresolved(
          `x5c[${i + 1}] signs certificates but is not a CA (basicConstraints cA is not TRUE, RFC 5280 §4.2.1.9)`,
        );
      checkIssuing(parent, { below: i, what: `x5c[${i + 1}]` });
      links.push({ certificate: current.x509, issuer: parent.x509 });
    }
    const leaf = chain[0]!;
    // RFC 5280 §4.2.1.3: without the extension any use is allowed; with it, digitalSignature must be set.
    if (leaf.fields.keyUsage !== undefined && !leaf.fields.keyUsage.digitalSignature)
      throw unresolved(
        'the leaf certificate does not allow digital signatures (keyUsage, RFC 5280 §4.2.1.3)',
      );
    checkSpiffeLeaf(leaf);
    const uris =
      allowed === undefined
        ? leaf.fields.uris
        : leaf.fields.uris.filter((uri) => issuerMatches(uri, allowed));
    return { key: leaf.x509.publicKey, uris, notBefore, notAfter, links };
  }

  function cached(x5c: readonly string[], now: number): ValidChain {
    const cacheKey = x5c.join('.');
    const hit = cache.get(cacheKey);
    // The cache skips the signature work, never the time checks: they use this request's `now`.
    if (
      hit !== undefined &&
      Date.now() < hit.until &&
      now >= hit.chain.notBefore &&
      now <= hit.chain.notAfter
    )
      return hit.chain;
    if (hit !== undefined) cache.delete(cacheKey);
    const chain = validate(x5c, now);
    if (cacheSeconds > 0) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(cacheKey, { chain, until: Date.now() + cacheSeconds * 1000 });
    }
    return chain;
  }

  async function checkRevocation(chain: ValidChain, now: number): Promise<void> {
    const hook = options.revocation;
    if (hook === undefined) return;
    for (const [position, link] of chain.links.entries()) {
      let status: RevocationStatus | 'failed';
      let reason = '';
      const timeout = hookTimeout(revocationTimeoutMs);
      try {
        status = await Promise.race([
          Promise.resolve(
            hook({ certificate: link.certificate, issuer: link.issuer, position, now }),
          ),
          timeout.promise,
        ]);
      } catch (error) {
        status = 'failed';
        reason = (error as Error)?.message ?? String(error);
      } finally {
        timeout.cancel();
      }
      if (status === 'good') continue;
      if (status === 'revoked') throw unresolved(`${describe(position)} is revoked`);
      if (status === 'unknown') reason = 'the revocation status is unknown';
      else if (status !== 'failed')
        reason = `the revocation hook answered ${JSON.stringify(status)}`;
      // IDB-2: the failure policy is reject unless configured otherwise.
      if (failurePolicy === 'reject')
        throw unresolved(`the revocation check of ${describe(position)} failed: ${reason}`);
    }
  }

  return {
    async resolve(request: KeyRequest): Promise<ResolvedKey> {
      const x5c = request.header['x5c'];
      if (!Array.isArray(x5c) || x5c.length === 0)
        throw unresolved('the token has no x5c chain; the X.509 profile requires one (HDR-3)');
      if (x5c.length > maxChainLength)
        throw unresolved(
          `the x5c chain has ${x5c.length} certificates, at most ${maxChainLength} are accepted`,
        );
      if (
        !x5c.every(
          (entry): entry is string =>
            typeof entry === 'string' && entry.length > 0 && BASE64.test(entry),
        )
      ) {
        throw unresolved(
          'every x5c entry is a base64 (not base64url) DER certificate (RFC 7515 §4.1.6)',
        );
      }
      const chain = cached(x5c, request.now);
      await checkRevocation(chain, request.now);
      if (isAlgorithm(request.alg) && !keyFitsAlgorithm(chain.key, request.alg))
        throw unresolved(`the leaf certificate's key does not fit ${request.alg} (HDR-2)`, 'alg');
      // VER-8: the token's iss must be one of the leaf's URI SANs.
      return { key: chain.key, issuers: chain.uris.map((uri) => ({ exact: uri })) };
    },
  };
}
