/**
 * The calling side of `wimse-ect/a2a`: a `CallInterceptor` for the SDK's `Client` that gives every
 * outgoing message (`sendMessage`, `sendMessageStream`) the caller's ECT (CLM-6 `exec_act`, CLM-7
 * `pred` from the caller's context, CLM-8 `wid`, CLM-9 `inp_hash` of the canonical parts) in the
 * message `metadata` and in the `Execution-Context` service parameter (an HTTP header on the
 * JSON-RPC and HTTP+JSON transports, HTTP-1), activates the extension (`A2A-Extensions`), and
 * verifies the agent's ECT on the result: signature and claims (section 5), `pred` naming the
 * message's task, `wid` its workflow, `out_hash` the canonical result (HTTP-5 applied to A2A).
 * @module
 */
import type { AgentCard, Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk';
import type {
  AfterArgs,
  BeforeArgs,
  CallInterceptor,
  ClientCallContext,
  ContextUpdate,
  RequestOptions,
} from '@a2a-js/sdk/client';
import { ECTConfigError, ECTError, isECTError } from '../errors.js';
import { isUuid } from '../format/claims.js';
import { parseToken } from '../format/parse.js';
import type { ECTClaims } from '../format/types.js';
import { EXECUTION_CONTEXT_HEADER, formatExecutionContext, headerLimit } from '../http/header.js';
import { identitySigner, type SignerIdentity } from '../http/respond.js';
import type { VerifyOptions } from '../verify/options.js';
import { callClaims, checkResultChain, type CallECT } from '../verify/result-chain.js';
import { verifierOf } from '../verify/verifier-of.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';
import { ECT_EXTENSION_URI, ectExtensionOf } from './extension.js';
import {
  eventValue,
  isFinalEvent,
  metadataToken,
  partsHash,
  resultHash,
  streamHash,
  withToken,
} from './meta.js';

export type { CallECT, CallerContext } from '../verify/result-chain.js';

/**
 * Per message: the context it continues, and claims to set. Without `wid`: the context's, else
 * the message's `contextId` when it is a UUID; without `exec_act`: `execAct(call)`, else the method.
 *
 * @example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import type { MessageECT } from 'wimse-ect/a2a';
 *
 * const ect: MessageECT = {
 *   context: { jti: randomUUID(), wid: randomUUID() }, // pred and wid come from here
 *   exec_act: 'review_spec',
 *   ect_ext: { ticket: 'OPS-42' },
 * };
 * ```
 */
export type MessageECT = CallECT;

/**
 * What `execAct` is told about a call.
 *
 * @example
 * ```ts
 * import type { A2ACall } from 'wimse-ect/a2a';
 *
 * // The first skill of the agent as the action, else the method.
 * const execAct = (call: A2ACall): string => call.agentCard.skills[0]?.id ?? call.method;
 * ```
 */
export interface A2ACall {
  /** The A2A method: `SendMessage` or `SendStreamingMessage`. */
  readonly method: 'SendMessage' | 'SendStreamingMessage';
  readonly request: SendMessageRequest;
  readonly agentCard: AgentCard;
}

/**
 * Options of `ectInterceptor`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import type { ECTInterceptorOptions } from 'wimse-ect/a2a';
 *
 * const caller = generateKeyPair();
 * const agent = generateKeyPair();
 * const options: ECTInterceptorOptions = {
 *   identity: { iss: 'spiffe://example.org/planner', key: caller.privateJwk },
 *   verifier: { audience: 'spiffe://example.org/planner', keys: { keys: [agent.publicJwk] } },
 *   execAct: () => 'review_spec',
 * };
 * ```
 */
export interface ECTInterceptorOptions {
  /** The caller's identity and key: `iss` and signer of its ECTs. */
  readonly identity: SignerIdentity;
  /** Verifies the agent's ECTs (its audience is the caller's identity). */
  readonly verifier: Verifier | VerifyOptions;
  /** CLM-2: `aud` of the caller's ECTs (default: the card's extension `params.audience`). */
  readonly audience?: string | readonly string[];
  /** CLM-6: the `exec_act` of a message (default: the A2A method, `SendMessage`). */
  readonly execAct?: (call: A2ACall) => string;
  /** Refuse a result without the agent's ECT (default true; `ECT_MALFORMED`). */
  readonly requireResultECT?: boolean;
  /** A new message (no `contextId`, no `taskId`) goes into the A2A context `wid` (default true). */
  readonly contextIdFromWid?: boolean;
  /** HTTP-3: most bytes of the `Execution-Context` header (default 8 KiB; above: metadata). */
  readonly maxHeaderSize?: number;
}

/**
 * The ECTs of one exchange: the caller's as sent, and the agent's, verified.
 *
 * @example
 * ```ts
 * import type { A2AECTExchange } from 'wimse-ect/a2a';
 *
 * function chain(exchange: A2AECTExchange): string {
 *   // The agent's task follows the caller's: its pred is the message's jti.
 *   return `${exchange.claims.jti} -> ${exchange.resultECT?.claims.jti}`;
 * }
 * ```
 */
export interface A2AECTExchange {
  /** The caller's ECT as sent, and its claims. */
  readonly token: string;
  readonly claims: ECTClaims;
  /** The agent's ECT as received (`undefined` when it sent none). */
  readonly resultToken: string | undefined;
  /** The agent's ECT, verified. */
  readonly resultECT: VerifiedECT | undefined;
}

const CALL_KEY = Symbol('wimse-ect/a2a: the ECT of this call');
const PENDING_KEY = Symbol('wimse-ect/a2a: the ECT sent with this call');

/** One call in flight: what was sent, and the stream events seen so far. */
interface Pending {
  readonly token: string;
  readonly claims: ECTClaims;
  readonly events: StreamResponse[];
  done: boolean;
}

const exchanges = new WeakMap<object, A2AECTExchange>();

/**
 * Sets the ECT claims of one call, through the SDK's per-call context.
 *
 * @example
 * ```ts
 * import { ClientCallContext, type Client } from '@a2a-js/sdk/client';
 * import type { SendMessageRequest } from '@a2a-js/sdk';
 * import { withECT, type CallerContext } from 'wimse-ect/a2a';
 *
 * async function delegate(client: Client, request: SendMessageRequest, task: CallerContext) {
 *   // pred = [task.jti], wid = task.wid
 *   return client.sendMessage(request, {
 *     context: ClientCallContext.create(withECT({ context: task, exec_act: 'review_spec' })),
 *   });
 * }
 * ```
 */
export function withECT(ect: MessageECT): ContextUpdate {
  return (context: ClientCallContext): void => {
    context[CALL_KEY] = ect;
  };
}

/**
 * The ECTs of a result the client returned (`sendMessage`'s Message or Task, or the final event
 * of `sendMessageStream`), or `undefined` for anything else.
 *
 * @example
 * ```ts
 * import type { Client } from '@a2a-js/sdk/client';
 * import type { SendMessageRequest } from '@a2a-js/sdk';
 * import { ectExchangeOf } from 'wimse-ect/a2a';
 *
 * async function send(client: Client, request: SendMessageRequest): Promise<string | undefined> {
 *   const result = await client.sendMessage(request);
 *   return ectExchangeOf(result)?.resultECT?.claims.jti; // the agent's task
 * }
 * ```
 */
export function ectExchangeOf(result: Message | Task | StreamResponse): A2AECTExchange | undefined {
  return exchanges.get(result);
}

/** The service parameters with the extension activated (A2A-Extensions, either spelling). */
function activated(parameters: Record<string, string>): Record<string, string> {
  const key =
    Object.keys(parameters).find((name) => /^(x-)?a2a-extensions$/i.test(name)) ?? 'A2A-Extensions';
  const list = (parameters[key] ?? '')
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri.length > 0);
  if (!list.includes(ECT_EXTENSION_URI)) list.push(ECT_EXTENSION_URI);
  return { ...parameters, [key]: list.join(', ') };
}

type SendMethod = 'sendMessage' | 'sendMessageStream';

function isSend(method: string): method is SendMethod {
  return method === 'sendMessage' || method === 'sendMessageStream';
}

/**
 * A `CallInterceptor` that puts an ECT on every message the client sends and verifies the agent's
 * ECT on every result. Give it to the client (`clientConfig.interceptors` of `ClientFactory`);
 * set per-call claims with `withECT`; read the verified ECTs with `ectExchangeOf(result)`. A
 * refusal by the agent arrives as the SDK's error (`ectRejectionOf(error)` reads its code); a
 * result whose ECT fails verification is an `ECTError` with the section 11 code.
 *
 * @example
 * ```ts
 * import {
 *   ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory,
 * } from '@a2a-js/sdk/client';
 * import { generateKeyPair } from 'wimse-ect';
 * import { ectExtensionOf, ectInterceptor } from 'wimse-ect/a2a';
 *
 * const caller = generateKeyPair();
 * const agent = generateKeyPair(); // the agent's key pair; the caller trusts its public half
 * const factory = new ClientFactory(
 *   ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
 *     transports: [new JsonRpcTransportFactory()],
 *     clientConfig: {
 *       interceptors: [
 *         ectInterceptor({
 *           identity: { iss: 'spiffe://example.org/planner', key: caller.privateJwk },
 *           verifier: {
 *             audience: 'spiffe://example.org/planner',
 *             keys: { keys: [agent.publicJwk] },
 *           },
 *         }),
 *       ],
 *     },
 *   }),
 * );
 * const client = await factory.createFromUrl('https://reviewer.example.org');
 * if (ectExtensionOf(await client.getAgentCard()) === undefined) throw new Error('no ECTs');
 * ```
 */
export function ectInterceptor(options: ECTInterceptorOptions): CallInterceptor {
  const { identity } = options;
  const signer = identitySigner({
    identity,
    missing: 'the caller needs an identity (iss) and a key',
  });
  if (options.verifier === undefined) {
    throw new ECTConfigError('verifier', "the agent's ECT is verified: give a Verifier or options");
  }
  const verifier = verifierOf(options.verifier);
  const maxHeaderSize = headerLimit(options);
  const requireResult = options.requireResultECT ?? true;
  const contextIdFromWid = options.contextIdFromWid ?? true;

  function audienceFor(card: AgentCard): string | readonly string[] {
    if (options.audience !== undefined) return options.audience;
    const advertised = ectExtensionOf(card)?.params.audience ?? [];
    if (advertised.length === 0) {
      const text = `the agent card does not advertise ${ECT_EXTENSION_URI} with an audience`;
      throw new ECTConfigError('audience', `${text}; give the agent's identity`);
    }
    return advertised.length === 1 ? advertised[0]! : advertised;
  }

  /** The message with its ECT, and the ECT. */
  function stamp(args: BeforeArgs, method: SendMethod): Pending {
    const input = args.input as { value: SendMessageRequest };
    const request = input.value;
    const message = request.message;
    if (message === undefined) throw new ECTError('ECT_MALFORMED', 'the request has no message');
    const ect = (args.options?.context?.[CALL_KEY] ?? {}) as MessageECT;
    const call: A2ACall = {
      method: method === 'sendMessage' ? 'SendMessage' : 'SendStreamingMessage',
      request,
      agentCard: args.agentCard,
    };
    // CLM-8: the caller's workflow; an A2A context named by a UUID is one (docs/a2a.md).
    const claimed = callClaims(ect, {
      wid: isUuid(message.contextId) ? message.contextId : undefined,
      execAct: () => options.execAct?.(call) ?? call.method,
    });
    const wid = claimed.wid;
    const token = signer.sign({
      iss: identity.iss,
      aud: audienceFor(args.agentCard),
      ...claimed,
      inp_hash: partsHash(message.parts),
    });
    const newContext =
      contextIdFromWid && wid !== undefined && !message.contextId && !message.taskId;
    const stamped: Message = {
      ...message,
      ...(newContext ? { contextId: wid } : {}),
      metadata: withToken(message.metadata, token),
      extensions: [...new Set([...(message.extensions ?? []), ECT_EXTENSION_URI])],
    };
    input.value = { ...request, message: stamped };
    const claims = parseToken(token).payload as unknown as ECTClaims;
    return { token, claims, events: [], done: false };
  }

  /** The service parameters: the token in `Execution-Context` unless too large (HTTP-3). */
  function headers(parameters: Record<string, string>, token: string): Record<string, string> {
    try {
      const value = formatExecutionContext(token, { maxHeaderSize });
      return { ...activated(parameters), [EXECUTION_CONTEXT_HEADER]: value };
    } catch (error) {
      // Too large for the header: the metadata carries it alone.
      if (isECTError(error) && error.code === 'ECT_TOO_LARGE') return activated(parameters);
      throw error;
    }
  }

  /** Verifies the agent's ECT of a result whose digest is `outHash`. */
  async function check(
    pending: Pending,
    resultToken: string,
    outHash: string,
  ): Promise<VerifiedECT> {
    const expect = { out_hash: outHash, inp_hash: pending.claims.inp_hash! };
    const resultECT = await verifier.verify(resultToken, { expect });
    checkResultChain({ result: resultECT, call: pending.claims });
    return resultECT;
  }

  function missing(): ECTError {
    return new ECTError('ECT_MALFORMED', "the agent's result carries no ECT");
  }

  async function afterSend(pending: Pending, result: Message | Task): Promise<void> {
    const resultToken = metadataToken(result.metadata);
    if (resultToken === undefined && requireResult) throw missing();
    const resultECT =
      resultToken === undefined ? undefined : await check(pending, resultToken, resultHash(result));
    exchanges.set(result, { token: pending.token, claims: pending.claims, resultToken, resultECT });
  }

  async function afterEvent(
    pending: Pending,
    event: StreamResponse,
    card: AgentCard,
  ): Promise<void> {
    if (pending.done) return;
    const value = eventValue(event);
    const resultToken = metadataToken(value?.metadata);
    if (resultToken === undefined) {
      pending.events.push(event);
      if (isFinalEvent(event) && requireResult) throw missing();
      return;
    }
    pending.done = true;
    // Without streaming the SDK sends SendMessage and wraps its result: that result is signed.
    const outHash = card.capabilities?.streaming
      ? streamHash([...pending.events, event])
      : resultHash(value as Message | Task);
    const resultECT = await check(pending, resultToken, outHash);
    exchanges.set(event, { token: pending.token, claims: pending.claims, resultToken, resultECT });
  }

  return {
    async before(args: BeforeArgs): Promise<void> {
      const method = args.input?.method;
      if (method === undefined || !isSend(method)) return;
      const pending = stamp(args, method);
      const requestOptions: RequestOptions = args.options ?? {};
      args.options = {
        ...requestOptions,
        serviceParameters: headers(requestOptions.serviceParameters ?? {}, pending.token),
        // A copy: a context object the caller reuses for several calls is never written.
        context: { ...requestOptions.context, [PENDING_KEY]: pending },
      };
    },
    async after(args: AfterArgs): Promise<void> {
      const pending = args.options?.context?.[PENDING_KEY] as Pending | undefined;
      if (pending === undefined) return;
      const { result } = args;
      if (result === undefined) return;
      if (result.method === 'sendMessage') await afterSend(pending, result.value);
      if (result.method === 'sendMessageStream') {
        await afterEvent(pending, result.value, args.agentCard);
      }
    },
  };
}
