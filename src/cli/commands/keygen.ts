/**
 * `ect keygen`: a signing key pair as JWK files (private key mode 0600), written together and
 * atomically (src/cli/write-files.ts).
 * @module
 */
import type { Command } from 'commander';
import { DEFAULT_ALGORITHM } from '../../crypto/algorithms.js';
import { generateKeyPair } from '../../crypto/keys.js';
import { parseAlgorithm } from '../args.js';
import { EXIT_VALID, json, type Io } from '../io.js';
import { writeNewFiles, type NewFile } from '../write-files.js';

interface KeygenFlags {
  alg: ReturnType<typeof parseAlgorithm>;
  kid?: string;
  out: string;
  jwksOut?: string;
  force?: boolean;
  json?: boolean;
}

export function registerKeygen(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('keygen')
    .description(
      'generate a signing key pair: a private JWK file, and optionally a JWK Set of its public key for verifiers',
    )
    .option(
      '--alg <alg>',
      'ES256 | ES384 | ES512 | EdDSA | PS256 | PS384 | PS512',
      parseAlgorithm,
      DEFAULT_ALGORITHM,
    )
    .option('--kid <id>', 'key id (default: the RFC 7638 thumbprint of the public key)')
    .requiredOption('--out <file>', 'where to write the private key (JWK, file mode 0600)')
    .option('--jwks-out <file>', 'where to write a JWK Set holding the public key')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  ect keygen --out agent-a.key.json --jwks-out agent-a.jwks.json\n',
    )
    .action((flags: KeygenFlags) => {
      const pair = generateKeyPair({
        alg: flags.alg,
        ...(flags.kid === undefined ? {} : { kid: flags.kid }),
      });
      const force = flags.force ?? false;
      // Both files or neither: a private key without its published half is a half result.
      const files: NewFile[] = [
        { path: flags.out, content: json(pair.privateJwk), mode: 0o600, setting: '--out' },
      ];
      if (flags.jwksOut !== undefined) {
        const content = json({ keys: [pair.publicJwk] });
        files.push({ path: flags.jwksOut, content, setting: '--jwks-out' });
      }
      writeNewFiles(files, { force });
      const result = {
        kid: pair.publicJwk.kid,
        alg: pair.publicJwk.alg,
        privateKey: flags.out,
        jwks: flags.jwksOut ?? null,
        publicJwk: pair.publicJwk,
      };
      io.stdout(
        flags.json
          ? json(result)
          : `generated ${result.alg} key ${result.kid}\n  private key: ${flags.out}\n${flags.jwksOut ? `  public JWK Set: ${flags.jwksOut}\n` : ''}`,
      );
      setExit(EXIT_VALID);
    });
}
