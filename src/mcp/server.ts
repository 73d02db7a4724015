/**
 * The tool server's side of `wimse-ect/mcp`: a transport wrapper that verifies the ECT of every
 * `tools/call` before the call reaches the server (profile section 5), refuses a bad one with a
 * JSON-RPC error whose `data.code` is the section 11 code (HTTP-2 applied to MCP), hands the
 * verified ECT to the tool handler (`ectOf(extra)`), and adds the server's own ECT to each result
 * (HTTP-5: `pred` the caller's task, `inp_hash` of the canonical arguments, `out_hash` of the
 * canonical result). It wraps any SDK transport: stdio, in-memory, Streamable HTTP (whose request
 * header `Execution-Context` is read with the codec of src/http/header.ts, HTTP-1 and HTTP-3).
 * @module
 */
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
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
import { loadOptional } from '../optional.js';
import type { VerifyOptions } from '../verify/options.js';
import { verifierOf } from '../verify/verifier-of.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';
import {
  argumentsHash,
  ECT_REJECTED_ERROR_CODE,
  isObject,
  metaToken,
  rejectionData,
  resultHash,
  TOOLS_CALL,
  withoutToken,
  withToken,
  type JSONObject,
} from './meta.js';

/**
 * Options of `ectServerTransport`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import type { ECTServerTransportOptions } from 'wimse-ect/mcp';
 *
 * const agent = generateKeyPair();
 * const tools = generateKeyPair();
 * const options: ECTServerTransportOptions = {
 *   verifier: { audience: 'spiffe://example.org/tools', keys: { keys: [agent.publicJwk] } },
 *   identity: { iss: 'spiffe://example.org/tools', key: tools.privateJwk },
 *   required: true,
 *   onError: (error) => console.error('tool server:', error),
 * };
 * ```
 */
export interface ECTServerTransportOptions {
  /** Verifies callers' ECTs; its audience is this server's identity (CLM-2). */
  readonly verifier: Verifier | VerifyOptions;
  /** This server's identity and key, signer of the result ECTs (HTTP-5). */
  readonly identity: SignerIdentity;
  /** Refuse a `tools/call` without an ECT (default true; `EXECUTION_CONTEXT_MISSING`). */
  readonly required?: boolean;
  /** CLM-6: the `exec_act` of the server's task for a tool (default: the tool's name). */
  readonly execAct?: (tool: string) => string;
  /** HTTP-3: most bytes of an `Execution-Context` header value (default 8 KiB). */
  readonly maxHeaderSize?: number;
  /** Told about failures that are not the caller's (a ledger that throws, a signing error). */
  readonly onError?: (error: unknown) => void;
}

/** A call that passed verification and waits for its result. */
interface PendingCall {
  readonly caller: VerifiedECT;
  readonly tool: string;
  readonly inpHash: string;
}

/**
 * What a tool handler's `extra` holds that `ectOf` reads: the request's `_meta`.
 *
 * @example
 * ```ts
 * import { ectOf, type ECTRequestExtra } from 'wimse-ect/mcp';
 *
 * function callerOf(extra: ECTRequestExtra): string {
 *   return ectOf(extra)?.claims.iss ?? 'anonymous';
 * }
 * ```
 */
export interface ECTRequestExtra {
  readonly _meta?: object | undefined;
}

const verifiedByMeta = new WeakMap<object, VerifiedECT>();

/**
 * The verified ECT of the call a tool handler is running for (the handler's second argument,
 * `extra`), or `undefined` when the call came without one (`required: false`).
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { ectOf } from 'wimse-ect/mcp';
 *
 * const server = new McpServer({ name: 'tools', version: '1.0.0' });
 * server.registerTool('whoami', { description: 'Names the caller' }, async (extra) => {
 *   const ect = ectOf(extra); // verified before the tool runs
 *   return { content: [{ type: 'text', text: `task ${ect?.claims.jti} of ${ect?.claims.iss}` }] };
 * });
 * ```
 */
export function ectOf(extra: ECTRequestExtra): VerifiedECT | undefined {
  return extra._meta === undefined ? undefined : verifiedByMeta.get(extra._meta);
}

type ResultParser = (result: unknown) => JSONObject;

/**
 * The SDK's own reading of a result (`CallToolResultSchema`): defaults filled, unknown members of
 * content blocks dropped. The result is sent as the client's SDK will read it, so both sides hash
 * the same value.
 */
async function loadResultParser(): Promise<ResultParser> {
  const types = await loadOptional({
    name: '@modelcontextprotocol/sdk',
    feature: 'the MCP integration (wimse-ect/mcp)',
  });
  return (result) => types.CallToolResultSchema.parse(result);
}

function headerOf(
  extra: MessageExtraInfo | undefined,
  name: string,
): string | string[] | undefined {
  return extra?.requestInfo?.headers[name.toLowerCase()];
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & {
  id: RequestId;
  method: string;
  params?: JSONObject;
} {
  return 'method' in message && 'id' in message;
}

/** The transport a `Server` or `McpServer` connects to instead of the SDK's own. */
class ECTServerTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?:
    (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  readonly #inner: Transport;
  readonly #verifier: Verifier;
  readonly #signer: ECTSigner;
  readonly #identity: SignerIdentity;
  readonly #required: boolean;
  readonly #execAct: (tool: string) => string;
  readonly #maxHeaderSize: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #pending = new Map<RequestId, PendingCall>();
  #parser: Promise<ResultParser> | undefined;

  constructor(inner: Transport, options: ECTServerTransportOptions) {
    this.#inner = inner;
    const { verifier, identity } = options;
    if (verifier === undefined)
      throw new ECTConfigError('verifier', 'give a Verifier or VerifyOptions');
    this.#verifier = verifierOf(verifier);
    this.#identity = identity;
    this.#signer = identitySigner({
      identity,
      missing: 'the server signs its results: give its iss and key',
    });
    this.#required = options.required ?? true;
    this.#execAct = options.execAct ?? ((tool: string): string => tool);
    this.#maxHeaderSize = headerLimit(options);
    this.#onError = options.onError;
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.#receive(message, extra);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  close(): Promise<void> {
    this.#pending.clear();
    return this.#inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const id = 'id' in message && !('method' in message) ? message.id : undefined;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (id !== undefined && pending !== undefined) {
      this.#pending.delete(id);
      if ('result' in message) {
        message = await this.#signResult(message, id, pending);
      }
    }
    return this.#inner.send(message, options);
  }

  /** HTTP-5 for MCP: the result as the SDK reads it, with the server's ECT in its `_meta`. */
  async #signResult(
    message: JSONRPCMessage & { result: unknown },
    id: RequestId,
    pending: PendingCall,
  ): Promise<JSONRPCMessage> {
    try {
      this.#parser ??= loadResultParser();
      const result = withoutToken((await this.#parser)(message.result));
      const { caller } = pending;
      const token = this.#signer.sign({
        iss: this.#identity.iss,
        aud: caller.claims.iss,
        exec_act: this.#execAct(pending.tool),
        pred: [caller.claims.jti],
        ...(caller.claims.wid === undefined ? {} : { wid: caller.claims.wid }),
        inp_hash: pending.inpHash,
        out_hash: resultHash(result),
      });
      return { ...message, result: withToken(result, token) };
    } catch (error) {
      // The tool ran but its result cannot be vouched for: the caller gets an error, not silence.
      this.#onError?.(error);
      const failure = { code: -32603, message: 'the result could not be signed' };
      return { jsonrpc: '2.0', id, error: failure };
    }
  }

  #receive(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    if (!isRequest(message) || message.method !== TOOLS_CALL) {
      this.onmessage?.(message, extra);
      return;
    }
    this.#admit(message, extra).then(
      (admitted) => {
        if (admitted) this.onmessage?.(message, extra);
      },
      (error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** VER-1 to VER-13 for one call; answers a refusal itself and returns false. */
  async #admit(
    message: JSONRPCMessage & { id: RequestId; params?: JSONObject },
    extra: MessageExtraInfo | undefined,
  ): Promise<boolean> {
    const params: JSONObject = isObject(message.params) ? message.params : {};
    const tool = typeof params['name'] === 'string' ? params['name'] : '';
    try {
      const token = this.#tokenOf(params, extra);
      if (token === undefined) {
        if (!this.#required) return true;
        await this.#refuse(message.id, ECT_MISSING_CODE);
        return false;
      }
      const inpHash = argumentsHash(params['arguments']);
      const wit = singleValue(headerOf(extra, WORKLOAD_IDENTITY_HEADER));
      const caller = await this.#verifier.verify(token, {
        expect: { inp_hash: inpHash },
        ...(wit === undefined ? {} : { workloadIdentityToken: wit }),
      });
      const meta = isObject(params['_meta']) ? params['_meta'] : (params['_meta'] = {});
      verifiedByMeta.set(meta, caller);
      this.#pending.set(message.id, { caller, tool, inpHash });
      return true;
    } catch (error) {
      if (rejectionData(error) === undefined) {
        this.#onError?.(error);
        await this.#inner.send(
          { jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'internal error' } },
          { relatedRequestId: message.id },
        );
        return false;
      }
      await this.#refuse(message.id, error);
      return false;
    }
  }

  /** The call's ECT: the `Execution-Context` header over HTTP, else `_meta["wimse.ect"]`. */
  #tokenOf(params: JSONObject, extra: MessageExtraInfo | undefined): string | undefined {
    const fromHeader = readExecutionContext(headerOf(extra, EXECUTION_CONTEXT_HEADER), {
      maxHeaderSize: this.#maxHeaderSize,
    });
    const fromMeta = metaToken(params['_meta']);
    if (fromHeader !== undefined && fromMeta !== undefined) {
      const message =
        `the call carries an ECT in ${EXECUTION_CONTEXT_HEADER} and another in _meta; ` +
        'exactly one is allowed (HTTP-1)';
      throw new ECTError('ECT_MALFORMED', message);
    }
    return fromHeader ?? fromMeta;
  }

  async #refuse(id: RequestId, reason: unknown): Promise<void> {
    const data = rejectionData(reason)!;
    const error = { code: ECT_REJECTED_ERROR_CODE, message: `${data.title}: ${data.detail}`, data };
    await this.#inner.send({ jsonrpc: '2.0', id, error }, { relatedRequestId: id });
  }
}

/**
 * Wraps a server transport so that every `tools/call` is verified before the server sees it.
 * Connect the `Server` or `McpServer` to the returned transport; keep using the original one for
 * what is transport-specific (`handleRequest` of the Streamable HTTP transport).
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 * import { generateKeyPair } from 'wimse-ect';
 * import { ectServerTransport } from 'wimse-ect/mcp';
 *
 * // The calling agent's key pair: the server trusts its public half.
 * const agent = generateKeyPair();
 * const tools = generateKeyPair();
 * const server = new McpServer({ name: 'tools', version: '1.0.0' });
 * // … server.registerTool(…)
 * await server.connect(
 *   ectServerTransport(new StdioServerTransport(), {
 *     verifier: { audience: 'spiffe://example.org/tools', keys: { keys: [agent.publicJwk] } },
 *     identity: { iss: 'spiffe://example.org/tools', key: tools.privateJwk },
 *   }),
 * );
 * ```
 */
export function ectServerTransport(
  transport: Transport,
  options: ECTServerTransportOptions,
): Transport {
  return new ECTServerTransport(transport, options);
}
