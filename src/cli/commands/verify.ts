/**
 * `ect verify`: the full verification procedure (profile section 5) on one token, or on a batch
 * of tokens sharing one replay cache and ECT store.
 * @module
 */
import type { Command } from 'commander';
import { MemoryECTStore } from '../../dag/memory-store.js';
import { ECTConfigError } from '../../errors.js';
import { parseToken } from '../../format/parse.js';
import { canonicalId } from '../../format/task-key.js';
import { createVerifier, type Verifier } from '../../verify/verify.js';
import { collect, levelParser, parseSeconds } from '../args.js';
import { EXIT_VALID, json, readLines, readTokenArgument, type Io } from '../io.js';
import { withProgress } from '../progress.js';
import {
  acceptedReport,
  exitCodeAfter,
  humanReport,
  rejectedReport,
  type VerifyReport,
} from '../report.js';
import { configFromEnv, type EnvConfig } from '../../config/env.js';
import { DEFAULT_MIN_LEVEL } from '../../verify/options.js';
import { openStores, verifierOptions, type VerifierFlags } from '../verifier-options.js';

interface VerifyFlags extends VerifierFlags {
  ledgerKey?: string;
  json?: boolean;
  batch?: string;
  dag?: boolean;
  partial?: boolean;
}

async function report(verifier: Verifier, token: string): Promise<VerifyReport> {
  try {
    return acceptedReport(await verifier.verify(token));
  } catch (error) {
    return rejectedReport(error);
  }
}

/** Tokens of a batch in flight at once: enough for appends to share group commits. */
const WINDOW = 1024;
/** Tokens started between two turns of the event loop. */
const YIELD_EVERY = 64;

/** The ids a token's outcome depends on: its own `jti` and its predecessors (best effort). */
function dependencies(token: string): string[] {
  try {
    const { payload } = parseToken(token);
    const pred = payload['pred'] ?? payload['par'];
    const ids = [payload['jti'], ...(Array.isArray(pred) ? (pred as unknown[]) : [])];
    return ids.filter((id): id is string => typeof id === 'string').map(canonicalId);
  } catch {
    return [];
  }
}

/**
 * Verifies a batch with up to `WINDOW` tokens in flight, so that verification goes on while the
 * ledger group-commits the appends (one transaction, sync and checkpoint per batch), and yields
 * the reports in input order. A token waits for the tokens in flight that it names as its
 * predecessors or that share its `jti`, so DAG validation and duplicates see the same order as a
 * one-by-one run.
 */
async function* pipelined(
  verifier: Verifier,
  tokens: readonly string[],
): AsyncGenerator<VerifyReport> {
  const inFlight = new Map<string, Promise<VerifyReport>>();
  const pending: Promise<VerifyReport>[] = [];
  let next = 0;
  let running = 0;
  let stopped = false;
  const start = (token: string): void => {
    const ids = dependencies(token);
    const before = ids.map((id) => inFlight.get(id)).filter((p) => p !== undefined);
    const result = Promise.allSettled(before).then(() => report(verifier, token));
    for (const id of ids) inFlight.set(id, result);
    running++;
    void result.then(() => {
      for (const id of ids) if (inFlight.get(id) === result) inFlight.delete(id);
      running--;
      pump();
    });
    pending.push(result);
  };
  // Tokens start whenever any token in flight is done, not only the oldest: a batch of appends
  // committing at once frees room for as many new tokens, so the next group commit is as large.
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    void (async () => {
      while (!stopped && next < tokens.length && running < WINDOW) {
        start(tokens[next++]!);
        // Verification runs in microtasks; a turn of the event loop now and then lets the
        // ledger's commits (answers from its writer thread) through, not after the whole window.
        if (next % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      pumping = false;
    })();
  };
  pump();
  try {
    for (let done = 0; done < tokens.length; done++) {
      while (pending[done] === undefined) await new Promise((resolve) => setImmediate(resolve));
      yield await pending[done]!;
      pending[done] = null as never;
    }
  } finally {
    // Left early (the output's reader went away): let the tokens in flight finish before the
    // stores close under them.
    stopped = true;
    await Promise.allSettled(pending.filter((p) => p !== undefined && p !== null));
  }
}

/**
 * A verifier needs keys unless it accepts unsigned tokens only (--min-level 1). Named by the
 * flags (the library would name options.keys), after the store URLs were checked.
 */
function requireKeySource(flags: VerifyFlags, env: EnvConfig): void {
  const keys = flags.jwks ?? flags.trust ?? env.jwks ?? env.trustFile;
  if (keys !== undefined || (flags.minLevel ?? env.minLevel ?? DEFAULT_MIN_LEVEL) === 1) return;
  const message =
    'no key to verify signatures with: give --jwks FILE or --trust FILE (or set ' +
    'ECT_JWKS_FILE or ECT_TRUST); only --min-level 1 (unsigned tokens only) needs none';
  throw new ECTConfigError('--jwks', message);
}

export function registerVerify(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('verify')
    .description('verify an ECT (or a batch, one per line)')
    .argument('[token]', 'the token, or - (or nothing) to read it from standard input')
    .option('--jwks <file>', 'JWK Set of trusted public keys (default: $ECT_JWKS_FILE)')
    .option(
      '--trust <file>',
      'trust configuration: JWK sets per issuer, X.509 anchors, WIMSE trust domains (default: $ECT_TRUST; docs/trust.md)',
    )
    .option(
      '--audience <id>',
      "this verifier's identity; repeat for several (default: $ECT_AUDIENCE)",
      collect,
    )
    .option('--now <unix>', 'verification time (default: the clock)', parseSeconds)
    .option(
      '--min-level <n>',
      'minimum level 1, 2 or 3 (default: $ECT_MIN_LEVEL or 2)',
      levelParser([1, 2, 3]),
    )
    .option('--accept-legacy', 'read -00 claim names (par, ext)')
    .option('--clock-tolerance <seconds>', 'clock tolerance (default 30)', parseSeconds)
    .option('--max-iat-age <seconds>', 'maximum iat age, 0 = off (default 900)', parseSeconds)
    .option(
      '--batch <file>',
      'verify one token per line of FILE (- for standard input) in order, printing one JSON line each',
    )
    .option(
      '--dag',
      'with --batch: validate the DAG (accepted tokens join the store, so pred references resolve)',
    )
    .option('--partial', 'with --dag: report unknown predecessors instead of rejecting (DAG-2)')
    .option(
      '--ledger <url>',
      'record accepted tokens (L3): memory:, sqlite:PATH, postgres://… (default: $ECT_LEDGER)',
    )
    .option(
      '--ledger-key <file>',
      "the ledger's Ed25519 key: signs checkpoints and receipts (default: $ECT_LEDGER_KEY_FILE)",
    )
    .option(
      '--ledger-origin <origin>',
      'checkpoint origin of a new ledger, e.g. example.org/ect-ledger (default: $ECT_LEDGER_ORIGIN)',
    )
    .option(
      '--witness <url>',
      'a witness that cosigns the checkpoints (repeatable; default: $ECT_WITNESSES)',
      collect,
    )
    .option('--replay <url>', 'replay cache: memory: (default) or redis://… (default: $ECT_REPLAY)')
    .option('--json', 'print {"valid","code","message","level","header","claims","legacy"}')
    .addHelpText(
      'after',
      `
Examples:
  ect verify "$TOKEN" --jwks agent-a.jwks.json --audience spiffe://example.org/agent-b
  ect create ... | ect verify - --jwks agent-a.jwks.json --audience spiffe://example.org/agent-b --json
  ect verify --batch workflow.txt --dag --jwks all.jwks.json --audience spiffe://example.org/auditor
  ect verify --batch workflow.txt --jwks all.jwks.json --audience spiffe://example.org/auditor \
    --ledger sqlite:audit.db --ledger-key ledger.key.json --ledger-origin example.org/ect-ledger
  ect verify "$TOKEN" --trust trust.json --audience spiffe://example.org/agent-b --ledger sqlite:audit.db --replay redis://127.0.0.1:6379
`,
    )
    .action(async (tokenArg: string | undefined, flags: VerifyFlags) => {
      const env = configFromEnv(io.env);
      const ledgerNamed = (flags.ledger ?? env.ledgerUrl) !== undefined;
      if (flags.dag && flags.batch === undefined && !ledgerNamed)
        throw new ECTConfigError(
          '--dag',
          'DAG validation needs a store: use it with --batch or --ledger',
        );
      if (flags.partial && !flags.dag) throw new ECTConfigError('--partial', 'goes with --dag');
      if (flags.batch !== undefined && tokenArg !== undefined)
        throw new ECTConfigError('--batch', 'give either a token or --batch, not both');
      const stores = await openStores(flags, env);
      try {
        requireKeySource(flags, env);
        // With a ledger the ledger is the DAG store (VER-11 against what was recorded).
        const dag = flags.dag
          ? {
              ...(stores.ledger === undefined ? { store: new MemoryECTStore() } : {}),
              ...(flags.partial ? { partial: true } : {}),
            }
          : undefined;
        const verifier = createVerifier(
          await verifierOptions(flags, io, { stores, ...(dag === undefined ? {} : { dag }) }),
        );
        if (flags.batch !== undefined) {
          const tokens = await readLines(flags.batch, io, '--batch');
          const total = tokens.length;
          const progress = { stream: io.progress, label: 'verify', unit: 'tokens', total };
          let exit = EXIT_VALID;
          let done = 0;
          await withProgress(progress, async (shown) => {
            for await (const result of pipelined(verifier, tokens)) {
              exit = exitCodeAfter(exit, result);
              io.stdout(`${JSON.stringify(result)}\n`);
              shown.set(++done);
            }
          });
          setExit(exit);
          return;
        }
        const result = await report(verifier, await readTokenArgument(tokenArg, io));
        io.stdout(flags.json ? json(result) : humanReport(result));
        setExit(exitCodeAfter(EXIT_VALID, result));
      } finally {
        await stores.close();
      }
    });
}
