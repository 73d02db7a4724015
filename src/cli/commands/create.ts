/**
 * `ect create`: sign (or, at level 1, encode) an ECT and print it.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configFromEnv, readKeyFile } from '../../config/env.js';
import { createECT, type ECTInput } from '../../create/create.js';
import { ECTConfigError } from '../../errors.js';
import { hashBytes } from '../../format/hash.js';
import { parseStrictJSON } from '../../format/json.js';
import { parseToken } from '../../format/parse.js';
import {
  collect,
  levelParser,
  parseAlgorithm,
  parsePositiveSeconds,
  parseSeconds,
} from '../args.js';
import { EXIT_VALID, json, type Io } from '../io.js';

interface CreateFlags {
  key?: string;
  iss?: string;
  aud?: string[];
  execAct: string;
  pred?: string[];
  wid?: string;
  jti?: string;
  iat?: number;
  ttl?: number;
  exp?: number;
  ext?: string;
  inpFile?: string;
  outFile?: string;
  level: 1 | 2;
  alg?: ReturnType<typeof parseAlgorithm>;
  kid?: string;
  json?: boolean;
}

function fileDigest(path: string, setting: string): string {
  try {
    return hashBytes(readFileSync(path));
  } catch (error) {
    throw new ECTConfigError(setting, `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function parseExtension(text: string): Record<string, unknown> {
  const parsed = parseStrictJSON(text);
  if (
    !parsed.ok ||
    typeof parsed.value !== 'object' ||
    parsed.value === null ||
    Array.isArray(parsed.value)
  ) {
    throw new ECTConfigError(
      '--ext',
      'must be a JSON object, e.g. \'{"pol":"policy-7","pol_decision":"approved"}\'',
    );
  }
  return parsed.value as Record<string, unknown>;
}

export function registerCreate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('create')
    .description(
      'create an ECT for one task and print it (level 2 signed by default, level 1 unsigned)',
    )
    .option(
      '--key <file>',
      'private key, JWK or PEM (default: $ECT_KEY_FILE); not needed for --level 1',
    )
    .option(
      '--iss <id>',
      'issuing workload, e.g. spiffe://example.org/agent-a (default: $ECT_ISSUER)',
    )
    .option(
      '--aud <id>',
      'a party that will verify the token; repeat for several (default: $ECT_AUDIENCE)',
      collect,
    )
    .requiredOption('--exec-act <name>', 'the action performed, e.g. review_spec')
    .option(
      '--pred <jti>',
      'a predecessor task id; repeat for several (none = a root task)',
      collect,
    )
    .option('--wid <uuid>', 'workflow id')
    .option('--jti <uuid>', 'task id (default: a new UUID)')
    .option('--iat <unix>', 'issued-at time (default: now)', parseSeconds)
    .option('--ttl <seconds>', 'lifetime (default: $ECT_DEFAULT_TTL or 600)', parsePositiveSeconds)
    .option('--exp <unix>', 'expiry time (instead of --ttl)', parseSeconds)
    .option('--ext <json>', 'ect_ext extension object, e.g. \'{"pol_decision":"approved"}\'')
    .option('--inp-file <file>', 'set inp_hash to the SHA-256 of this file')
    .option('--out-file <file>', 'set out_hash to the SHA-256 of this file')
    .option('--level <n>', '1 (unsigned) or 2 (signed)', levelParser([1, 2]), 2)
    .option('--alg <alg>', 'signature algorithm (default: from the key)', parseAlgorithm)
    .option('--kid <id>', "key id (default: the key's kid, else its thumbprint)")
    .option('--json', 'print {"token", "header", "claims"} instead of the bare token')
    .addHelpText(
      'after',
      '\nExample:\n  ect create --key agent-a.key.json --iss spiffe://example.org/agent-a \\\n    --aud spiffe://example.org/agent-b --exec-act review_spec\n',
    )
    .action((flags: CreateFlags) => {
      if (flags.ttl !== undefined && flags.exp !== undefined)
        throw new ECTConfigError('--ttl/--exp', 'give one of --ttl and --exp, not both');
      const env = configFromEnv(io.env);
      const iss = flags.iss ?? env.issuer;
      if (iss === undefined)
        throw new ECTConfigError('--iss', 'the issuer is required (--iss or ECT_ISSUER)');
      const aud = flags.aud ?? env.audience;
      if (aud === undefined || aud.length === 0)
        throw new ECTConfigError(
          '--aud',
          'at least one audience is required (--aud or ECT_AUDIENCE)',
        );
      const input: Record<string, unknown> = {
        iss,
        aud: aud.length === 1 ? aud[0] : aud,
        exec_act: flags.execAct,
      };
      if (flags.pred) input['pred'] = flags.pred;
      if (flags.wid !== undefined) input['wid'] = flags.wid;
      if (flags.jti !== undefined) input['jti'] = flags.jti;
      if (flags.iat !== undefined) input['iat'] = flags.iat;
      if (flags.exp !== undefined) input['exp'] = flags.exp;
      if (flags.ext !== undefined) input['ect_ext'] = parseExtension(flags.ext);
      if (flags.inpFile !== undefined) input['inp_hash'] = fileDigest(flags.inpFile, '--inp-file');
      if (flags.outFile !== undefined) input['out_hash'] = fileDigest(flags.outFile, '--out-file');
      let key;
      if (flags.level === 2) {
        if (flags.key !== undefined) key = readKeyFile(flags.key, '--key');
        else if (env.key !== undefined) key = env.key;
        else
          throw new ECTConfigError(
            '--key',
            'a private key is required to sign (--key or ECT_KEY_FILE), or use --level 1',
          );
      }
      const ttl = flags.ttl ?? env.ttl;
      const token = createECT(input as unknown as ECTInput, {
        level: flags.level,
        ...(key === undefined ? {} : { key: key as never }),
        ...(flags.alg === undefined ? {} : { alg: flags.alg }),
        ...(flags.kid === undefined ? {} : { kid: flags.kid }),
        ...(ttl === undefined ? {} : { ttl }),
        ...(env.requireUuid === undefined ? {} : { rules: { requireUuid: env.requireUuid } }),
      });
      if (flags.json) {
        const parsed = parseToken(token);
        io.stdout(
          json({
            token,
            level: parsed.level,
            header: parsed.level === 2 ? parsed.header : null,
            claims: parsed.payload,
          }),
        );
      } else {
        io.stdout(`${token}\n`);
      }
      setExit(EXIT_VALID);
    });
}
