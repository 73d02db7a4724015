/**
 * Test PKI for the X.509 profile (IDB-2): certificates made with the `openssl` command line in a
 * temporary directory. `openssl ca` is used (not `req -x509`) because it takes explicit start and
 * end dates, which the validity tests need.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate with its private key. */
export interface TestCert {
  readonly name: string;
  readonly pem: string;
  /** base64 DER, as in `x5c`. */
  readonly der: string;
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** What to put in a certificate. */
export interface CertSpec {
  readonly name: string;
  /** Signed by this certificate (absent: self-signed). */
  readonly issuer?: TestCert;
  /** basicConstraints cA (default false); `pathLen` adds pathlen. */
  readonly ca?: boolean;
  readonly pathLen?: number;
  /** keyUsage values, e.g. `digitalSignature` (default: keyCertSign,cRLSign for CAs, digitalSignature otherwise); `null` omits it. */
  readonly keyUsage?: string | null;
  /** URI SANs. */
  readonly uris?: readonly string[];
  /** Extra extension lines for the openssl extension section. */
  readonly extra?: readonly string[];
  /** Validity, `YYYYMMDDHHMMSSZ`. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** Key: `ec` (P-256, default) or `rsa`. */
  readonly keyType?: 'ec' | 'rsa';
}

function run(args: readonly string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A temporary CA workspace. Call `dispose` when done. */
export interface TestPki {
  issue(spec: CertSpec): TestCert;
  dispose(): void;
}

/** Creates a workspace for `openssl ca`. */
export function createPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ect-pki-'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const base = [
    '[ca]',
    'default_ca = CA_default',
    '[CA_default]',
    'database = index.txt',
    'new_certs_dir = .',
    'serial = serial',
    'default_md = sha256',
    'policy = policy_any',
    'unique_subject = no',
    'copy_extensions = none',
    '[policy_any]',
    'commonName = supplied',
    '[req]',
    'distinguished_name = dn',
    '[dn]',
  ].join('\n');
  writeFileSync(join(dir, 'ca.cnf'), base);
  return {
    issue(spec: CertSpec): TestCert {
      const keyFile = join(dir, `${spec.name}.key`);
      const certFile = join(dir, `${spec.name}.pem`);
      const csrFile = join(dir, `${spec.name}.csr`);
      const extFile = join(dir, `${spec.name}.ext`);
      if (spec.keyType === 'rsa')
        run(
          ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile],
          dir,
        );
      else
        run(
          ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile],
          dir,
        );
      run(
        [
          'req',
          '-new',
          '-key',
          keyFile,
          '-subj',
          `/CN=${spec.name}`,
          '-out',
          csrFile,
          '-config',
          'ca.cnf',
        ],
        dir,
      );
      const lines = ['[ext]'];
      const ca = spec.ca === true;
      lines.push(
        `basicConstraints = critical,CA:${ca ? 'TRUE' : 'FALSE'}${ca && spec.pathLen !== undefined ? `,pathlen:${spec.pathLen}` : ''}`,
      );
      const keyUsage =
        spec.keyUsage === undefined
          ? ca
            ? 'keyCertSign,cRLSign'
            : 'digitalSignature'
          : spec.keyUsage;
      if (keyUsage !== null) lines.push(`keyUsage = critical,${keyUsage}`);
      if (spec.uris !== undefined && spec.uris.length > 0)
        lines.push(`subjectAltName = ${spec.uris.map((u) => `URI:${u}`).join(',')}`);
      lines.push('subjectKeyIdentifier = hash');
      if (spec.issuer !== undefined) lines.push('authorityKeyIdentifier = keyid');
      lines.push(...(spec.extra ?? []));
      writeFileSync(extFile, `${lines.join('\n')}\n`);
      const signer =
        spec.issuer === undefined
          ? ['-selfsign', '-keyfile', keyFile]
          : ['-cert', spec.issuer.certFile, '-keyfile', spec.issuer.keyFile];
      run(
        [
          'ca',
          '-config',
          'ca.cnf',
          '-batch',
          '-notext',
          ...signer,
          '-in',
          csrFile,
          '-out',
          certFile,
          '-startdate',
          spec.notBefore,
          '-enddate',
          spec.notAfter,
          '-extfile',
          extFile,
          '-extensions',
          'ext',
        ],
        dir,
      );
      const pem = readFileSync(certFile, 'utf8');
      const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/
        .exec(pem)![1]!
        .replace(/\s+/g, '');
      return {
        name: spec.name,
        pem,
        der: body,
        keyPem: readFileSync(keyFile, 'utf8'),
        certFile,
        keyFile,
      };
    },
    dispose(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
