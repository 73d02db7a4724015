/**
 * The agent's side of `wimse-ect/a2a`: a wrapper of the SDK's request handler that verifies the
 * ECT of every message (`SendMessage`, `SendStreamingMessage`) before the inner handler, hence the
 * `AgentExecutor`, sees it (profile section 5); refuses a bad one with an A2A error carrying the
 * section 11 code (HTTP-2, errors.ts); hands the verified ECT to the executor (`ectOf`); and puts
 * the agent's own ECT on the result (HTTP-5: `pred` the caller's task, `wid` the caller's,
 * `inp_hash` the message's, `out_hash` the canonical result). It works under every transport the
 * SDK serves from one handler (JSON-RPC, HTTP+JSON, gRPC).
 * @module
 */
import type { Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk';
import type { A2ARequestHandler, RequestContext, ServerCallContext } from '@a2a-js/sdk/server';
import type { ECTSigner } from '../create/create.js';
import { ECTConfigError, ECTError } from '../errors.js';
import {
  EXECUTION_CONTEXT_HEADER,
  headerLimit,
  readExecutionContext,
  singleValue,
  WORKLOAD_IDENTITY_HEADER,
} from '../http/header.js';
import { ECT_MISSING_CODE } from '../http/problem.js';
import { identitySigner, type SignerIdentity } from '../http/respond.js';
import type { VerifyOptions } from '../verify/options.js';
import { verifierOf } from '../verify/verifier-of.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';
import { rejectionError, rejectionOf } from './errors.js';
import { ECT_EXTENSION_URI } from './extension.js';
import {
  isFinalEvent,
  metadataToken,
  partsHash,
  resultHash,
  streamHash,
  withToken,
} from './meta.js';

/**
 * Options of `ectRequestHandler`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import type { ECTRequestHandlerOptions } from 'wimse-ect/a2a';
 *
 * const caller = generateKeyPair();
 * const agent = generateKeyPair();
 * const options: ECTRequestHandlerOptions = {
 *   verifier: { audience: 'spiffe://example.org/reviewer', keys: { keys: [caller.publicJwk] } },
 *   identity: { iss: 'spiffe://example.org/reviewer', key: agent.privateJwk },
 *   required: true,
 * };
 * ```
 */
export interface ECTRequestHandlerOptions {
  /** Verifies callers' ECTs; its audience is this agent's identity (CLM-2). Share one. */
  readonly verifier: Verifier | VerifyOptions;
  /** This agent's identity and key, signer of the ECTs of its results (HTTP-5). */
  readonly identity: SignerIdentity;
  /** Refuse a message without an ECT (default true; `EXECUTION_CONTEXT_MISSING`). */
  readonly required?: boolean;
  /** CLM-6: the `exec_act` of the agent's task (default: the caller's `exec_act`). */
  readonly execAct?: (caller: VerifiedECT, request: SendMessageRequest) => string;
  /** HTTP-3: most bytes of an `Execution-Context` header value (default 8 KiB). */
  readonly maxHeaderSize?: number;
  /** Told about failures that are not the caller's (a signing error, a store that throws). */
  readonly onError?: (error: unknown) => void;
}

const verifiedByContext = new WeakMap<ServerCallContext, VerifiedECT>();

/**
 * The verified ECT of the message an `AgentExecutor` runs for, or `undefined` when it came
 * without one (`required: false`).
 *
 * @example
 * ```ts
 * import type { AgentExecutor } from '@a2a-js/sdk/server';
 * import { ectOf } from 'wimse-ect/a2a';
 *
 * const executor: AgentExecutor = {
 *   async execute(requestContext, eventBus) {
 *     const ect = ectOf(requestContext); // verified before the executor runs
 *     console.log(`task ${ect?.claims.jti} for ${ect?.claims.iss}`);
 *     eventBus.finished();
 *   },
 *   async cancelTask() {},
 * };
 * ```
 */
export function ectOf(
  requestContext: Pick<RequestContext, 'context'> | ServerCallContext,
): VerifiedECT | undefined {
  const context = 'context' in requestContext ? requestContext.context : requestContext;
  return verifiedByContext.get(context);
}

/** What the wrapper needs, checked once. */
interface Settings {
  readonly verifier: Verifier;
  readonly signer: ECTSigner;
  readonly identity: SignerIdentity;
  readonly required: boolean;
  readonly execAct: (caller: VerifiedECT, request: SendMessageRequest) => string;
  readonly maxHeaderSize: number;
  readonly onError: ((error: unknown) => void) | undefined;
}

function settingsOf(options: ECTRequestHandlerOptions): Settings {
  const { verifier, identity } = options;
  if (verifier === undefined) {
    throw new ECTConfigError('verifier', 'give a Verifier or VerifyOptions');
  }
  return {
    verifier: verifierOf(verifier),
    signer: identitySigner({
      identity,
      missing: 'the agent signs its results: give its iss and key',
    }),
    identity,
    required: options.required ?? true,
    execAct: options.execAct ?? ((caller: VerifiedECT): string => caller.claims.exec_act),
    maxHeaderSize: headerLimit(options),
    onError: options.onError,
  };
}

/** A request header, as the SDK's default context builder keeps them (`state.get('headers')`). */
function headerOf(context: ServerCallContext, name: string): string | string[] | undefined {
  const headers = context.state.get('headers');
  if (typeof headers !== 'object' || headers === null) return undefined;
  return (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
}

/** The message's ECT: the `Execution-Context` header and/or the message metadata (one token). */
function tokenOf(
  message: Message,
  context: ServerCallContext,
  settings: Settings,
): string | undefined {
  const fromHeader = readExecutionContext(headerOf(context, EXECUTION_CONTEXT_HEADER), {
    maxHeaderSize: settings.maxHeaderSize,
  });
  const fromMetadata = metadataToken(message.metadata);
  if (fromHeader !== undefined && fromMetadata !== undefined && fromHeader !== fromMetadata) {
    const text =
      `the message carries one ECT in ${EXECUTION_CONTEXT_HEADER} and another in its ` +
      'metadata; they must be the same token (HTTP-1)';
    throw new ECTError('ECT_MALFORMED', text);
  }
  return fromHeader ?? fromMetadata;
}

/**
 * The error thrown for a message that failed: the A2A error of a refusal, or, for a failure that
 * is not the caller's (a store that throws), an error without detail, told to `onError`.
 */
async function failure(reason: unknown, settings: Settings): Promise<Error> {
  const rejection = rejectionOf(reason);
  if (rejection !== undefined) return rejectionError(rejection);
  settings.onError?.(reason);
  return new Error('the message could not be checked', { cause: reason });
}

/** Section 5 for one message; throws the A2A error of a refusal. */
async function admit(
  request: SendMessageRequest,
  context: ServerCallContext,
  settings: Settings,
): Promise<VerifiedECT | undefined> {
  const message = request.message;
  // No message: the inner handler refuses the request as malformed.
  if (message === undefined) return undefined;
  let token: string | undefined;
  try {
    token = tokenOf(message, context, settings);
  } catch (error) {
    throw await failure(error, settings);
  }
  if (token === undefined) {
    if (!settings.required) return undefined;
    throw await failure(ECT_MISSING_CODE, settings);
  }
  try {
    const wit = singleValue(headerOf(context, WORKLOAD_IDENTITY_HEADER));
    const caller = await settings.verifier.verify(token, {
      expect: { inp_hash: partsHash(message.parts) },
      ...(wit === undefined ? {} : { workloadIdentityToken: wit }),
    });
    verifiedByContext.set(context, caller);
    context.addActivatedExtension(ECT_EXTENSION_URI);
    return caller;
  } catch (error) {
    throw await failure(error, settings);
  }
}

/** The agent's ECT for a result whose digest is `outHash`. */
function sign(
  caller: VerifiedECT,
  request: SendMessageRequest,
  outHash: string,
  settings: Settings,
): string {
  const { claims } = caller;
  return settings.signer.sign({
    iss: settings.identity.iss,
    aud: claims.iss,
    exec_act: settings.execAct(caller, request),
    pred: [claims.jti],
    ...(claims.wid === undefined ? {} : { wid: claims.wid }),
    ...(claims.inp_hash === undefined ? {} : { inp_hash: claims.inp_hash }),
    out_hash: outHash,
  });
}

/** HTTP-5 for a `SendMessage` result: a copy carrying the agent's ECT in its metadata. */
function signResult(
  result: Message | Task,
  caller: VerifiedECT,
  request: SendMessageRequest,
  settings: Settings,
): Message | Task {
  const token = sign(caller, request, resultHash(result), settings);
  return { ...result, metadata: withToken(result.metadata, token) };
}

/** The final event of a stream with the agent's ECT, over every event sent so far. */
function signEvent(
  event: StreamResponse,
  sent: readonly StreamResponse[],
  caller: VerifiedECT,
  request: SendMessageRequest,
  settings: Settings,
): StreamResponse {
  const payload = event.payload!;
  const token = sign(caller, request, streamHash([...sent, event]), settings);
  const value = payload.value;
  const signed = { ...value, metadata: withToken(value.metadata, token) };
  return { payload: { ...payload, value: signed } } as StreamResponse;
}

/** A result that cannot be vouched for: the caller gets an error, not an unsigned result. */
function unsigned(error: unknown, settings: Settings): Error {
  settings.onError?.(error);
  return new Error('the result could not be signed', { cause: error });
}

/**
 * Wraps the SDK's request handler (a `DefaultRequestHandler`): every message is verified before
 * it reaches the inner handler and its `AgentExecutor`, and every result of a verified message
 * carries the agent's ECT. Give the returned handler to the transport (`jsonRpcHandler`,
 * `restHandler`, `agentCardHandler`), and advertise the extension in the card
 * (`ectAgentExtension`). Share one `Verifier` between requests, so that they share one replay
 * cache (RPL-1).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import type { AgentCard } from '@a2a-js/sdk';
 * import {
 *   DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor,
 * } from '@a2a-js/sdk/server';
 * import { jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
 * import { generateKeyPair } from 'wimse-ect';
 * import { ectRequestHandler } from 'wimse-ect/a2a';
 *
 * declare const card: AgentCard; // lists ectAgentExtension({ audience: … })
 * declare const executor: AgentExecutor;
 * const caller = generateKeyPair();
 * const agent = generateKeyPair();
 * const requestHandler = ectRequestHandler(
 *   new DefaultRequestHandler(card, new InMemoryTaskStore(), executor),
 *   {
 *     verifier: { audience: 'spiffe://example.org/reviewer', keys: { keys: [caller.publicJwk] } },
 *     identity: { iss: 'spiffe://example.org/reviewer', key: agent.privateJwk },
 *   },
 * );
 * const app = express();
 * app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
 * ```
 */
export function ectRequestHandler(
  handler: A2ARequestHandler,
  options: ECTRequestHandlerOptions,
): A2ARequestHandler {
  if (typeof handler?.sendMessage !== 'function') {
    throw new ECTConfigError('handler', 'give the SDK request handler (DefaultRequestHandler)');
  }
  const settings = settingsOf(options);
  return {
    getAgentCard: () => handler.getAgentCard(),
    getAuthenticatedExtendedAgentCard: (params, context) =>
      handler.getAuthenticatedExtendedAgentCard(params, context),
    async sendMessage(params, context) {
      const caller = await admit(params, context, settings);
      const result = await handler.sendMessage(params, context);
      if (caller === undefined) return result;
      try {
        return signResult(result, caller, params, settings);
      } catch (error) {
        throw unsigned(error, settings);
      }
    },
    async *sendMessageStream(params, context) {
      const caller = await admit(params, context, settings);
      const sent: StreamResponse[] = [];
      let signed = caller === undefined;
      for await (const event of handler.sendMessageStream(params, context)) {
        if (signed || !isFinalEvent(event)) {
          if (!signed) sent.push(event);
          yield event;
          continue;
        }
        let last: StreamResponse;
        try {
          last = signEvent(event, sent, caller!, params, settings);
        } catch (error) {
          throw unsigned(error, settings);
        }
        signed = true;
        yield last;
      }
    },
    getTask: (params, context) => handler.getTask(params, context),
    cancelTask: (params, context) => handler.cancelTask(params, context),
    createTaskPushNotificationConfig: (params, context) =>
      handler.createTaskPushNotificationConfig(params, context),
    getTaskPushNotificationConfig: (params, context) =>
      handler.getTaskPushNotificationConfig(params, context),
    listTaskPushNotificationConfigs: (params, context) =>
      handler.listTaskPushNotificationConfigs(params, context),
    deleteTaskPushNotificationConfig: (params, context) =>
      handler.deleteTaskPushNotificationConfig(params, context),
    resubscribe: (params, context) => handler.resubscribe(params, context),
    listTasks: (params, context) => handler.listTasks(params, context),
  };
}
