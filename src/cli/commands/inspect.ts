/**
 * `ect inspect`: decode a token WITHOUT verifying it, and say so loudly.
 * @module
 */
import type { Command } from 'commander';
import { isECTError } from '../../errors.js';
import { parseToken } from '../../format/parse.js';
import { EXIT_INVALID, EXIT_VALID, json, readTokenArgument, type Io } from '../io.js';

const WARNING =
  '*** UNVERIFIED: decoded only. Signature, issuer, audience, time and DAG were NOT checked. Use `ect verify` to trust it. ***\n';

export function registerInspect(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('inspect')
    .description(
      'decode a token without verifying it (prints level, header and claims; exit 1 when it does not parse)',
    )
    .argument('[token]', 'the token, or - (or nothing) to read it from standard input')
    .option(
      '--json',
      'the default: {"verified": false, "level", "header", "claims"} (kept for scripts)',
    )
    .action(async (tokenArg: string | undefined) => {
      const token = await readTokenArgument(tokenArg, io);
      io.stderr(WARNING);
      try {
        const parsed = parseToken(token);
        const header = parsed.level === 2 ? parsed.header : null;
        // One shape with and without --json; the warning goes to standard error.
        io.stdout(json({ verified: false, level: parsed.level, header, claims: parsed.payload }));
        setExit(EXIT_VALID);
      } catch (error) {
        if (!isECTError(error)) throw error;
        io.stdout(json({ verified: false, code: error.code, message: error.message }));
        setExit(EXIT_INVALID);
      }
    });
}
