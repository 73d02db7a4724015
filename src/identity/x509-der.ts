/**
 * The few certificate fields node:crypto's `X509Certificate` does not expose, read from the DER
 * (RFC 5280 §4.1): the validity times as numbers, and the extensions key usage (§4.2.1.3), basic
 * constraints with the path length (§4.2.1.9), the URI names of the subject alternative name
 * (§4.2.1.6) and which extensions are critical (§4.2). Only what the X.509 profile (IDB-2) needs;
 * anything unexpected throws, and the caller treats the certificate as unusable.
 * @module
 */

/** One DER element: its tag and where its content lies in the buffer. */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** The key usage bits the X.509 profile looks at (RFC 5280 §4.2.1.3). */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

/** What the X.509 profile reads from a certificate. */
export interface CertificateFields {
  /** Validity, Unix seconds (RFC 5280 §4.1.2.5). */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Key usage bits (§4.2.1.3), or `undefined` when the extension is absent (no restriction). */
  readonly keyUsage: KeyUsage | undefined;
  /** Basic constraints (§4.2.1.9). */
  readonly ca: boolean;
  readonly pathLength: number | undefined;
  /** `uniformResourceIdentifier` names of the subject alternative name (§4.2.1.6). */
  readonly uris: readonly string[];
  /** Dotted OIDs of the extensions marked critical. */
  readonly critical: readonly string[];
}

// Extension OIDs (RFC 5280 §4.2.1), id-ce = 2.5.29.
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';

function fail(message: string): never {
  throw new Error(`malformed certificate: ${message}`);
}

function readElement(der: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) fail('truncated element');
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not used in certificates');
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) fail('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) fail('element runs past its container');
  return { tag, start, end };
}

function children(der: Uint8Array, parent: Element): Element[] {
  const list: Element[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const element = readElement(der, offset, parent.end);
    list.push(element);
    offset = element.end;
  }
  return list;
}

function oidString(der: Uint8Array, element: Element): string {
  if (element.tag !== 0x06 || element.end <= element.start) fail('expected an OBJECT IDENTIFIER');
  const first = der[element.start]!;
  const parts = [
    Math.min(2, Math.floor(first / 40)),
    first - 40 * Math.min(2, Math.floor(first / 40)),
  ];
  let value = 0;
  for (let i = element.start + 1; i < element.end; i++) {
    const byte = der[i]!;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), RFC 5280 §4.1.2.5.1/.2. */
function timeValue(der: Uint8Array, element: Element): number {
  const text = Buffer.from(der.subarray(element.start, element.end)).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (
    element.tag === 0x17 &&
    (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))
  ) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (
    element.tag === 0x18 &&
    (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))
  ) {
    year = Number(match[1]);
  } else {
    fail(`bad time ${JSON.stringify(text)}`);
  }
  return (
    Date.UTC(
      year,
      Number(match[2]) - 1,
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
      Number(match[6]),
    ) / 1000
  );
}

function integerValue(der: Uint8Array, element: Element): number {
  if (element.tag !== 0x02 || element.end <= element.start || element.end - element.start > 4)
    fail('bad INTEGER');
  let value = 0;
  for (let i = element.start; i < element.end; i++) value = value * 256 + der[i]!;
  return value;
}

/** Reads the fields of a DER certificate. Throws on anything it cannot read. */
export function readCertificateFields(der: Uint8Array): CertificateFields {
  const certificate = readElement(der, 0, der.length);
  if (certificate.tag !== 0x30 || certificate.end !== der.length) fail('not one SEQUENCE');
  const tbs = children(der, certificate)[0];
  if (tbs === undefined || tbs.tag !== 0x30) fail('no TBSCertificate');
  const fields = children(der, tbs);
  // version [0] EXPLICIT is optional; then serial, signature, issuer, validity, subject, spki.
  let index = fields[0]?.tag === 0xa0 ? 1 : 0;
  index += 3;
  const validity = fields[index];
  if (validity === undefined || validity.tag !== 0x30) fail('no validity');
  const [from, to] = children(der, validity);
  if (from === undefined || to === undefined) fail('incomplete validity');
  const result = {
    notBefore: timeValue(der, from),
    notAfter: timeValue(der, to),
    keyUsage: undefined as CertificateFields['keyUsage'],
    ca: false,
    pathLength: undefined as number | undefined,
    uris: [] as string[],
    critical: [] as string[],
  };
  const extensionsWrapper = fields.slice(index + 3).find((field) => field.tag === 0xa3);
  if (extensionsWrapper === undefined) return result;
  const extensionList = children(der, extensionsWrapper)[0];
  if (extensionList === undefined || extensionList.tag !== 0x30) fail('bad extensions');
  for (const extension of children(der, extensionList)) {
    const parts = children(der, extension);
    const oid = oidString(der, parts[0] ?? fail('empty extension'));
    const isCritical = parts.length === 3 && parts[1]!.tag === 0x01 && der[parts[1]!.start] !== 0;
    const octets = parts[parts.length - 1]!;
    if (octets.tag !== 0x04) fail('extension value is not an OCTET STRING');
    if (isCritical) result.critical.push(oid);
    const value = readElement(der, octets.start, octets.end);
    if (oid === OID_KEY_USAGE) {
      // BIT STRING: first octet = unused bits; bit 0 (MSB) digitalSignature, bit 5 keyCertSign,
      // bit 6 cRLSign.
      if (value.tag !== 0x03) fail('keyUsage is not a BIT STRING');
      const bits = value.end - value.start > 1 ? der[value.start + 1]! : 0;
      result.keyUsage = {
        digitalSignature: (bits & 0x80) !== 0,
        keyCertSign: (bits & 0x04) !== 0,
        cRLSign: (bits & 0x02) !== 0,
      };
    } else if (oid === OID_BASIC_CONSTRAINTS) {
      if (value.tag !== 0x30) fail('basicConstraints is not a SEQUENCE');
      for (const member of children(der, value)) {
        if (member.tag === 0x01) result.ca = der[member.start] !== 0;
        else if (member.tag === 0x02) result.pathLength = integerValue(der, member);
      }
    } else if (oid === OID_SUBJECT_ALT_NAME) {
      if (value.tag !== 0x30) fail('subjectAltName is not a SEQUENCE');
      for (const name of children(der, value)) {
        // uniformResourceIdentifier [6] IMPLICIT IA5String
        if (name.tag === 0x86)
          result.uris.push(Buffer.from(der.subarray(name.start, name.end)).toString('latin1'));
      }
    }
  }
  return result;
}
