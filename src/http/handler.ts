/**
 * The core of every server adapter: reads `Execution-Context` (HTTP-1, HTTP-3), verifies with a
 * verifier built once — binding the request body to the token (HTTP-4) by asking the verifier to
 * expect its hash as `out_hash` — and turns every rejection into a problem (HTTP-2). Adapters
 * only translate their framework's request and response to `ECTRequestInput` and back. Without the
 * header, a body of type `application/wimse-exec+jwt` or `multipart/mixed` carries the token
 * (HTTP-6, see multipart.ts); `multipleFieldLines` accepts several ECTs, one per line (HTTP-1).
 * @module
 */
import { ECTConfigError, ECTError, isECTError } from '../errors.js';
import { hashBytes } from '../format/hash.js';
import type { VerifyContext } from '../identity/key-source.js';
import type { Receipt } from '../ledger/types.js';
import type { VerifyOptions } from '../verify/options.js';
import { verifierOf } from '../verify/verifier-of.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';
import { DEFAULT_MAX_TOKEN_SIZE } from '../verify/options.js';
import { choiceSetting, numberSetting } from '../settings.js';
import {
  bodyLimit,
  BodyConsumedError,
  DEFAULT_MAX_BODY_BYTES,
  type BodyReadOptions,
} from './body.js';
import {
  decodeECTBody,
  ECT_MEDIA_TYPE,
  isECTBody,
  mediaType,
  type DecodedBody,
} from './multipart.js';
import {
  EXECUTION_CONTEXT_HEADER,
  headerLimit,
  RECEIPT_HEADER,
  readExecutionContext,
  readExecutionContexts,
  singleValue,
  WORKLOAD_IDENTITY_HEADER,
  type FieldLines,
} from './header.js';
import {
  BodyTooLargeError,
  ECT_MISSING_CODE,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemBody,
  problemFor,
  problemFromError,
  type ProblemCode,
  type ProblemDetails,
} from './problem.js';
import { createResponseECT, type RespondInit, type SignerIdentity } from './respond.js';

/**
 * Per-route settings: whether an ECT is required, and body binding.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress } from 'wimse-ect/express';
 * import type { RouteECTOptions } from 'wimse-ect/http';
 *
 * const ect = ectExpress({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * const health: RouteECTOptions = { required: false }; // passes without an ECT, unverified
 * const upload: RouteECTOptions = { bodyBinding: { maxBytes: 10 * 1024 * 1024 } };
 * const [healthCheck, uploadCheck] = [ect.forRoute(health), ect.forRoute(upload)];
 * ```
 */
export interface RouteECTOptions {
  /** `true` (default): a request without an ECT is refused with 403; `false`: it passes, unverified. */
  readonly required?: boolean;
  /** HTTP-4: require `out_hash` to be the SHA-256 of the request body, read up to `maxBytes` (default 1 MiB). */
  readonly bodyBinding?: boolean | { readonly maxBytes?: number };
}

/**
 * Options of every server adapter.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectNodeHandler, type ECTMiddlewareOptions } from 'wimse-ect/http';
 *
 * const caller = generateKeyPair();
 * const server = generateKeyPair();
 * const options: ECTMiddlewareOptions = {
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/b',
 *     keys: { keys: [caller.publicJwk] },
 *   }),
 *   bodyBinding: true, // HTTP-4
 *   responder: { iss: 'spiffe://example.org/b', key: server.privateJwk }, // HTTP-5
 *   onReject: (problem, cause) => console.warn(problem.code, cause),
 * };
 * const handler = ectNodeHandler((_request, response) => {
 *   response.end('ok');
 * }, options);
 * ```
 */
export interface ECTMiddlewareOptions extends RouteECTOptions {
  /**
   * The verifier (its replay cache, ECT store, ledger and minimum level apply), or options to build
   * one. Pass one `Verifier` to several middlewares so that they share its replay cache.
   */
  readonly verifier: Verifier | VerifyOptions;
  /** HTTP-3: most bytes of an `Execution-Context` value (default 8 KiB). */
  readonly maxHeaderSize?: number;
  /** HTTP-6, FMT-5: most bytes of a token carried in the body, checked before parsing (64 KiB). */
  readonly maxTokenSize?: number;
  /**
   * HTTP-1: accept several `Execution-Context` field lines, one ECT each (a call that continues
   * several tasks); every one is verified in full and all must pass. Default `false`: more than
   * one line, or a comma-separated list, is `ECT_MALFORMED`. With `true` a list counts as lines.
   */
  readonly multipleFieldLines?: boolean;
  /** Send the ledger's receipt JWS in `Execution-Context-Receipt` when there is one (default true). */
  readonly receiptHeader?: boolean;
  /** HTTP-5: this server's identity and key, for `ect.respond()`. */
  readonly responder?: SignerIdentity;
  /** Called with every rejection and its cause, for server-side logs (the client sees only the problem). */
  readonly onReject?: (problem: ProblemDetails, error: unknown) => void;
}

/**
 * What a request gives the core, in framework-neutral form.
 *
 * @example
 * ```ts
 * import { createECTHandler, type ECTRequestInput } from 'wimse-ect/http';
 *
 * // Any server: give the core handler the header lines and a way to set response headers.
 * const core = createECTHandler({ verifier: { audience: 'spiffe://example.org/b', minLevel: 1 } });
 * const input: ECTRequestInput = {
 *   ect: 'eyJ…',
 *   wit: undefined,
 *   readBody: async () => new Uint8Array(),
 *   setHeader: (name, value) => console.log(name, value),
 * };
 * const outcome = await core.handle(input);
 * ```
 */
export interface ECTRequestInput {
  /** The `Execution-Context` field lines. */
  readonly ect: FieldLines;
  /** The request's Content-Type: without the header, the token may be in the body (HTTP-6). */
  readonly contentType?: string | undefined;
  /** The `Workload-Identity-Token` field lines (IDB-3). */
  readonly wit: FieldLines;
  /** Reads the raw request body, at most `maxBytes` (body binding, HTTP-6 fallback), at most once. */
  readonly readBody: (options: BodyReadOptions) => Promise<Uint8Array>;
  /** Sets a response header (receipt, response ECT). */
  readonly setHeader: (name: string, value: string) => void;
}

/**
 * What a handler sees of the request's ECT.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectNodeHandler, type ECTContext } from 'wimse-ect/http';
 *
 * function describe(ect: ECTContext): string {
 *   const claims = ect.verified?.claims;
 *   return claims === undefined
 *     ? 'no ECT'
 *     : `${claims.exec_act} by ${claims.iss} (task ${claims.jti})`;
 * }
 * const handler = ectNodeHandler(
 *   (_request, response, ect) => {
 *     response.end(describe(ect));
 *   },
 *   {
 *     verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   },
 * );
 * ```
 */
export interface ECTContext {
  /** The token as received (`undefined` on an optional route without one). */
  readonly token: string | undefined;
  /** The verified ECT (`undefined` on an optional route without one); the first of several. */
  readonly verified: VerifiedECT | undefined;
  /** HTTP-1 with `multipleFieldLines`: every verified ECT, in field-line order. */
  readonly all: readonly VerifiedECT[];
  /** Where the token travelled: the header, or the body (HTTP-6). */
  readonly carrier: 'header' | 'body' | undefined;
  /**
   * HTTP-6: the content of a `multipart/mixed` fallback body (its Content-Type and bytes; the
   * request stream itself still holds the whole multipart body). `undefined` otherwise.
   */
  readonly content: { readonly contentType: string; readonly bytes: Uint8Array } | undefined;
  /** HTTP-4: the CLM-9 hash of the request body, when body binding read it. */
  readonly bodyHash: string | undefined;
  /** VER-13: the ledger's receipt, when the verifier has a ledger. */
  readonly receipt: Receipt | undefined;
  /**
   * HTTP-5: creates this server's ECT for the task it performed (`pred` = the caller's `jti`,
   * `inp_hash` = the request body's hash when known, `out_hash` = the hash of `body`), sets it in
   * the response's `Execution-Context` field and returns it. Needs the `responder` option.
   */
  respond(init: RespondInit): string;
}

/**
 * The context on a route that requires an ECT: there is always a verified token, so handlers
 * read `ect.verified.claims` without `?.` or `!`. The adapters type their required routes with it
 * (Express `ECTRequest`, Hono `ECTVariables`).
 *
 * @example
 * ```ts
 * import type { VerifiedECTContext } from 'wimse-ect/http';
 *
 * function taskOf(ect: VerifiedECTContext): string {
 *   return `${ect.verified.claims.exec_act} (${ect.verified.claims.jti}) via the ${ect.carrier}`;
 * }
 * ```
 */
export interface VerifiedECTContext extends ECTContext {
  readonly token: string;
  readonly verified: VerifiedECT;
  readonly carrier: 'header' | 'body';
}

/**
 * The outcome of one request: accepted with its context, or refused with a problem.
 *
 * @example
 * ```ts
 * import { createECTHandler, type ECTOutcome, type ECTRequestInput } from 'wimse-ect/http';
 *
 * const core = createECTHandler({ verifier: { audience: 'spiffe://example.org/b', minLevel: 1 } });
 * async function check(input: ECTRequestInput): Promise<string> {
 *   const outcome: ECTOutcome = await core.handle(input);
 *   return outcome.ok
 *     ? `accepted ${outcome.context.verified?.claims.jti}`
 *     : `refused ${outcome.problem.code}`;
 * }
 * ```
 */
export type ECTOutcome =
  | { readonly ok: true; readonly context: ECTContext }
  | {
      readonly ok: false;
      readonly problem: ProblemDetails;
      /** What caused the rejection (an `ECTError`, `BodyTooLargeError`; none if ECT missing). */
      readonly cause?: unknown;
    };

/**
 * Where an adapter sends a rejection: `'problem'` answers it at once with the RFC 9457 problem
 * (HTTP-2); `'framework'` hands it to the framework's error handling as an `ECTRejectionError`.
 *
 * @example
 * ```ts
 * import type { ECTErrorsMode } from 'wimse-ect/http';
 *
 * const errors: ECTErrorsMode = process.env.NODE_ENV === 'test' ? 'problem' : 'framework';
 * ```
 */
export type ECTErrorsMode = 'problem' | 'framework';

/**
 * The options every framework adapter takes besides the core's: `errors` chooses who answers a
 * rejection.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress, ECTRejectionError } from 'wimse-ect/express';
 *
 * const app = express();
 * app.post(
 *   '/tasks',
 *   ectExpress({
 *     verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *     errors: 'framework', // rejections become next(error)
 *   }),
 *   (_req, res) => res.send('ok'),
 * );
 * const handleErrors: express.ErrorRequestHandler = (error: unknown, _req, res, next) => {
 *   if (!(error instanceof ECTRejectionError)) return next(error);
 *   res.status(error.status).type('application/problem+json').send(error.problem);
 * };
 * app.use(handleErrors);
 * ```
 */
export interface ECTAdapterOptions {
  /**
   * `'problem'` (default): the adapter answers every rejection itself, 403 (413 for an oversized
   * body) with an `application/problem+json` body (HTTP-2). `'framework'`: the rejection is an
   * `ECTRejectionError` handed to the framework's error handling (Express `next(error)`,
   * Fastify's error handler, Hono's `onError`); that handler then answers, and keeping HTTP-2
   * (403, the problem body: `error.problem`) is its job.
   */
  readonly errors?: ECTErrorsMode;
}

/** The `errors` option of an adapter, checked once when it is built. */
export function errorsMode(options: ECTAdapterOptions): ECTErrorsMode {
  return choiceSetting<ECTErrorsMode>({
    value: options.errors,
    fallback: 'problem',
    setting: 'errors',
    choices: ['problem', 'framework'],
  });
}

/**
 * A rejected request, as handed to a framework's error handler with `errors: 'framework'`. Its
 * `code` is the problem's code (a section 11 code, `EXECUTION_CONTEXT_MISSING` or
 * `BODY_TOO_LARGE`), `status` and `statusCode` the status to answer (Express and Fastify read
 * these), `problem` the body HTTP-2 asks for, `cause` the `ECTError` behind it. `getResponse()` is
 * Hono's `HTTPException` convention: Hono's default error handler answers with the problem.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier } from 'wimse-ect';
 * import { ectFastify, ECTRejectionError } from 'wimse-ect/fastify';
 *
 * const app = Fastify();
 * app.setErrorHandler((error, _request, reply) => {
 *   if (error instanceof ECTRejectionError)
 *     return reply.code(error.status).type('application/problem+json').send(error.problem);
 *   return reply.send(error);
 * });
 * await app.register(ectFastify, {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   errors: 'framework',
 * });
 * ```
 */
export class ECTRejectionError extends Error {
  override readonly name = 'ECTRejectionError';
  /** The problem's `code`: a section 11 code, `EXECUTION_CONTEXT_MISSING` or `BODY_TOO_LARGE`. */
  readonly code: ProblemCode;
  /** The status to answer with: 403, or 413 for `BODY_TOO_LARGE` (HTTP-2). */
  readonly status: number;
  /** The same status, under the name Fastify and http-errors read. */
  readonly statusCode: number;
  /** The problem details to send (HTTP-2): fixed text per code, safe to show to the caller. */
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails, options: { readonly cause?: unknown } = {}) {
    super(
      `${problem.title}: ${problem.detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = problem.code;
    this.status = problem.status;
    this.statusCode = problem.status;
    this.problem = problem;
  }

  /** The problem as a Fetch `Response` (Hono's `HTTPException` convention). */
  getResponse(): Response {
    const headers: Record<string, string> = {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
    };
    if (this.status === 413) headers['Connection'] = 'close';
    return new Response(problemBody(this.problem), { status: this.status, headers });
  }
}

/**
 * The problem code of a setup mistake found while a request was handled (the body already
 * consumed by a parser, HTTP-4). Not a token code: the request may be fine, the server is not.
 *
 * @example
 * ```ts
 * import { CONFIG_INVALID_CODE } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/tasks', { method: 'POST' });
 * const { code } = (await response.json()) as { code?: string };
 * if (response.status === 500 && code === CONFIG_INVALID_CODE) console.log('server misconfigured');
 * ```
 */
export const CONFIG_INVALID_CODE = 'ECT_CONFIG_INVALID';

/**
 * An RFC 9457 problem for a setup mistake: status 500, and a detail that names the fix (the
 * detail is fixed text chosen by this library, never an exception message).
 *
 * @example
 * ```ts
 * import { BodyConsumedError, setupProblem } from 'wimse-ect/http';
 *
 * console.log(setupProblem(new BodyConsumedError())?.status); // 500
 * ```
 */
export interface SetupProblemDetails {
  readonly type: `${typeof PROBLEM_TYPE_PREFIX}${typeof CONFIG_INVALID_CODE}`;
  readonly title: string;
  readonly status: 500;
  readonly detail: string;
  readonly code: typeof CONFIG_INVALID_CODE;
}

/**
 * The 500 problem adapters answer for a setup mistake they can explain (`BodyConsumedError`), or
 * `undefined` for any other error (it goes to the framework's error handling as it is).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createECTHandler, nodeRequestInput, sendNodeProblem, setupProblem } from 'wimse-ect/http';
 *
 * const core = createECTHandler({
 *   verifier: { audience: 'spiffe://example.org/b', minLevel: 1 },
 *   bodyBinding: true,
 * });
 * createServer((request, response) => {
 *   core.handle(nodeRequestInput(request, response)).then(
 *     (outcome) => {
 *       if (!outcome.ok) return sendNodeProblem(response, outcome.problem);
 *       response.end('ok');
 *     },
 *     (error: unknown) => {
 *       const setup = setupProblem(error); // 500 ECT_CONFIG_INVALID, naming the fix
 *       if (setup !== undefined) return sendNodeProblem(response, setup);
 *       response.destroy();
 *     },
 *   );
 * }).listen(8080);
 * ```
 */
export function setupProblem(error: unknown): SetupProblemDetails | undefined {
  if (!(error instanceof BodyConsumedError)) return undefined;
  return {
    type: `${PROBLEM_TYPE_PREFIX}${CONFIG_INVALID_CODE}`,
    title: 'ECT middleware misconfigured',
    status: 500,
    detail:
      'The request body was read by a body parser before the ECT middleware could bind it ' +
      '(HTTP-4). Mount the ECT middleware before body parsers, or let the parser keep the raw ' +
      'bytes with captureRawBody (express.json({ verify: captureRawBody })).',
    code: CONFIG_INVALID_CODE,
  };
}

/**
 * A core handler: one verifier, settings checked once.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { createECTHandler, ectNodeHandler, type ECTHandler } from 'wimse-ect/http';
 *
 * // One handler, one verifier and replay cache, for several routes and adapters.
 * const core: ECTHandler = createECTHandler({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * const tasks = ectNodeHandler(
 *   (_request, response) => {
 *     response.end('ok');
 *   },
 *   { handler: core },
 * );
 * const uploads = ectNodeHandler(
 *   (_request, response) => {
 *     response.end('ok');
 *   },
 *   {
 *     handler: core.forRoute({ bodyBinding: true }),
 *   },
 * );
 * ```
 */
export interface ECTHandler {
  readonly verifier: Verifier;
  /** Runs the checks for one request. Errors other than token and body-limit failures are thrown. */
  handle(input: ECTRequestInput): Promise<ECTOutcome>;
  /** The same handler (same verifier, same replay cache) with other per-route settings. */
  forRoute(route: RouteECTOptions): ECTHandler;
}

interface Settings {
  readonly required: boolean;
  readonly bodyMaxBytes: number | undefined;
  readonly maxHeaderSize: number;
  readonly maxTokenSize: number;
  readonly multipleFieldLines: boolean;
  readonly receiptHeader: boolean;
  readonly responder: SignerIdentity | undefined;
  readonly onReject: ((problem: ProblemDetails, error: unknown) => void) | undefined;
}

function routeSettings(
  base: Omit<Settings, 'required' | 'bodyMaxBytes'>,
  route: RouteECTOptions,
): Settings {
  const binding = route.bodyBinding;
  let bodyMaxBytes: number | undefined;
  if (binding === true) bodyMaxBytes = bodyLimit(undefined);
  else if (typeof binding === 'object' && binding !== null)
    bodyMaxBytes = bodyLimit(binding.maxBytes);
  else if (binding !== undefined && binding !== false)
    throw new ECTConfigError('bodyBinding', 'must be true, false or { maxBytes }');
  if (route.required !== undefined && typeof route.required !== 'boolean')
    throw new ECTConfigError('required', 'must be a boolean');
  return { ...base, required: route.required ?? true, bodyMaxBytes };
}

function buildHandler(
  verifier: Verifier,
  settings: Settings,
  base: Omit<Settings, 'required' | 'bodyMaxBytes'>,
): ECTHandler {
  const reject = (error: unknown): ECTOutcome => {
    const problem = problemFromError(error);
    if (problem === undefined) throw error;
    settings.onReject?.(problem, error);
    return { ok: false, problem, cause: error };
  };

  async function handle(input: ECTRequestInput): Promise<ECTOutcome> {
    let tokens: string[];
    try {
      const codec = { maxHeaderSize: settings.maxHeaderSize };
      if (settings.multipleFieldLines) tokens = readExecutionContexts(input.ect, codec);
      else {
        const token = readExecutionContext(input.ect, codec);
        tokens = token === undefined ? [] : [token];
      }
    } catch (error) {
      return reject(error);
    }
    let bodyHash: string | undefined;
    let decoded: DecodedBody | undefined;
    // HTTP-6: the body is looked at only when the header is absent.
    if (tokens.length === 0 && isECTBody(input.contentType)) {
      try {
        decoded = await readFallback(input, settings);
      } catch (error) {
        if (error instanceof BodyTooLargeError || isECTError(error)) return reject(error);
        throw error;
      }
      tokens = [decoded.token];
      // HTTP-4 binds the content part's bytes (none for a token-only body).
      if (settings.bodyMaxBytes !== undefined)
        bodyHash = hashBytes(decoded.content?.bytes ?? new Uint8Array());
    }
    if (tokens.length === 0) {
      if (settings.required) {
        const problem = problemFor(ECT_MISSING_CODE);
        settings.onReject?.(problem, undefined);
        return { ok: false, problem };
      }
      const empty = { token: undefined, all: [], bodyHash: undefined, decoded: undefined };
      return { ok: true, context: makeContext(input, settings, empty) };
    }
    const wit = singleValue(input.wit);
    const all: VerifiedECT[] = [];
    try {
      if (decoded === undefined && settings.bodyMaxBytes !== undefined) {
        bodyHash = hashBytes(await input.readBody({ maxBytes: settings.bodyMaxBytes }));
      }
      // HTTP-4: the verifier checks the binding itself, after VER-10 and before the token is
      // recorded anywhere, so a mismatch never uses up the task.
      const context: VerifyContext = {
        ...(wit === undefined ? {} : { workloadIdentityToken: wit }),
        ...(bodyHash === undefined ? {} : { expect: { out_hash: bodyHash } }),
      };
      // HTTP-1: each of several ECTs is verified in full; the first failure refuses the request.
      for (const token of tokens) {
        const verified = await verifier.verify(token, context);
        // A custom Verifier may not know `expect`: the binding must hold whatever verified it.
        if (bodyHash !== undefined && verified.claims.out_hash !== bodyHash) {
          const message = 'out_hash is not the SHA-256 of the request body (HTTP-4)';
          throw new ECTError('ECT_CLAIM_INVALID', message, { member: 'out_hash' });
        }
        all.push(verified);
      }
    } catch (error) {
      if (error instanceof BodyTooLargeError || isECTError(error)) return reject(error);
      throw error;
    }
    const jws = all[0]!.receipt?.jws;
    if (settings.receiptHeader && jws !== undefined) input.setHeader(RECEIPT_HEADER, jws);
    const state = { token: tokens[0], all, bodyHash, decoded };
    return { ok: true, context: makeContext(input, settings, state) };
  }

  return {
    verifier,
    handle,
    forRoute: (route) => buildHandler(verifier, routeSettings(base, route), base),
  };
}

/**
 * HTTP-6: reads a fallback body within bounds and decodes it. A token-only body is read up to the
 * token size limit (FMT-5: a larger one is `ECT_TOO_LARGE` before parsing); a multipart body up to
 * that limit plus the content limit and room for the part headers (beyond: 413 `BODY_TOO_LARGE`).
 */
async function readFallback(input: ECTRequestInput, settings: Settings): Promise<DecodedBody> {
  const contentType = input.contentType ?? '';
  const tokenOnly = mediaType(contentType) === ECT_MEDIA_TYPE;
  const contentMax = settings.bodyMaxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBytes = tokenOnly ? settings.maxTokenSize : settings.maxTokenSize + contentMax + 4096;
  let body: Uint8Array;
  try {
    body = await input.readBody({ maxBytes });
  } catch (error) {
    if (tokenOnly && error instanceof BodyTooLargeError)
      throw new ECTError(
        'ECT_TOO_LARGE',
        `the ECT in the body is larger than ${settings.maxTokenSize} bytes (FMT-5)`,
      );
    throw error;
  }
  const decoded = decodeECTBody(contentType, body, { maxTokenSize: settings.maxTokenSize });
  if (decoded.content !== undefined && decoded.content.bytes.length > contentMax)
    throw new BodyTooLargeError(contentMax);
  return decoded;
}

interface RequestState {
  readonly token: string | undefined;
  readonly all: readonly VerifiedECT[];
  readonly bodyHash: string | undefined;
  readonly decoded: DecodedBody | undefined;
}

function makeContext(input: ECTRequestInput, settings: Settings, state: RequestState): ECTContext {
  const { token, all, bodyHash, decoded } = state;
  const verified = all[0];
  return {
    token,
    verified,
    all,
    carrier: token === undefined ? undefined : decoded === undefined ? 'header' : 'body',
    content: decoded?.content,
    bodyHash,
    receipt: verified?.receipt,
    respond(init: RespondInit): string {
      if (settings.responder === undefined)
        throw new ECTConfigError(
          'responder',
          'set the responder option (identity and key) to answer with an ECT (HTTP-5)',
        );
      if (verified === undefined)
        throw new ECTConfigError(
          'respond',
          "this request carried no ECT to answer (HTTP-5 needs the caller's jti)",
        );
      const response = createResponseECT({
        ...init,
        caller: verified,
        identity: settings.responder,
        requestBodyHash: bodyHash,
        maxHeaderSize: settings.maxHeaderSize,
      });
      input.setHeader(EXECUTION_CONTEXT_HEADER, response);
      // IDB-3: a WIMSE caller verifies the response ECT with the key of the responder's WIT.
      if (settings.responder.workloadIdentityToken !== undefined)
        input.setHeader(WORKLOAD_IDENTITY_HEADER, settings.responder.workloadIdentityToken);
      return response;
    },
  };
}

/**
 * Builds the core handler; the verifier is built here once when options are given.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { createECTHandler } from 'wimse-ect/http';
 *
 * const core = createECTHandler({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * const outcome = await core.handle({
 *   ect: undefined,
 *   wit: undefined,
 *   readBody: async () => new Uint8Array(),
 *   setHeader: () => {},
 * });
 * console.log(outcome.ok ? 'accepted' : outcome.problem.code); // EXECUTION_CONTEXT_MISSING
 * ```
 */
export function createECTHandler(options: ECTMiddlewareOptions): ECTHandler {
  if (typeof options !== 'object' || options === null || options.verifier === undefined) {
    throw new ECTConfigError('verifier', 'the ECT middleware needs a verifier or verifier options');
  }
  const verifier = verifierOf(options.verifier);
  if (options.multipleFieldLines !== undefined && typeof options.multipleFieldLines !== 'boolean')
    throw new ECTConfigError('multipleFieldLines', 'must be a boolean');
  const base = {
    maxHeaderSize: headerLimit(options),
    maxTokenSize: numberSetting({
      value: options.maxTokenSize,
      fallback: DEFAULT_MAX_TOKEN_SIZE,
      setting: 'maxTokenSize',
      min: 1,
      integer: true,
      unit: 'bytes',
    }),
    multipleFieldLines: options.multipleFieldLines ?? false,
    receiptHeader: options.receiptHeader ?? true,
    responder: options.responder,
    onReject: options.onReject,
  };
  return buildHandler(verifier, routeSettings(base, options), base);
}
