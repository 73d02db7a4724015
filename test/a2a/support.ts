/**
 * Shared set-up of the A2A tests: two workloads (a planner that calls, a reviewer agent), their
 * keys, and a real A2A agent of the SDK (DefaultRequestHandler wrapped by `ectRequestHandler`,
 * served by the SDK's Express handlers on a loopback port) whose executor reports the ECT it
 * received, and a real SDK client (ClientFactory, JSON-RPC transport) with `ectInterceptor`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  AGENT_CARD_PATH,
  A2A_PROTOCOL_VERSION,
  Role,
  TaskState,
  type AgentCard,
  type Message,
  type Part,
  type SendMessageRequest,
} from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type CallInterceptor,
  type Client,
} from '@a2a-js/sdk/client';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
} from '@a2a-js/sdk/server';
import {
  agentCardHandler,
  jsonRpcHandler,
  restHandler,
  UserBuilder,
} from '@a2a-js/sdk/server/express';
import {
  ectAgentExtension,
  ectInterceptor,
  ectOf,
  ectRequestHandler,
  type ECTInterceptorOptions,
  type ECTRequestHandlerOptions,
} from '../../src/a2a/index.js';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import type { VerifiedECT } from '../../src/verify/verify.js';

export const PLANNER = 'spiffe://example.org/planner';
export const REVIEWER = 'spiffe://example.org/reviewer';
export const WORKFLOW = '6f1c2b7e-3a4d-4e8f-9b0a-1c2d3e4f5a6b';

export const plannerKeys: GeneratedKeyPair = generateKeyPair({ kid: 'planner-key' });
export const reviewerKeys: GeneratedKeyPair = generateKeyPair({ kid: 'reviewer-key' });

/** What the agent saw: each executor run's ECT (`null` without one), and each POST's header. */
export interface Seen {
  readonly executed: (VerifiedECT | null)[];
  readonly headers: (string | undefined)[];
}

/** A running agent. */
export interface Agent {
  readonly url: string;
  readonly seen: Seen;
  close(): Promise<void>;
}

function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

/** A user message with one text part (and one data part). */
export function userMessage(text: string, fields: Partial<Message> = {}): SendMessageRequest {
  return {
    tenant: '',
    metadata: undefined,
    configuration: undefined,
    message: {
      messageId: randomUUID(),
      contextId: '',
      taskId: '',
      role: Role.ROLE_USER,
      parts: [
        textPart(text),
        {
          content: { $case: 'data', value: { b: 2, a: [1, 'x'] } },
          metadata: undefined,
          filename: '',
          mediaType: 'application/json',
        },
      ],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
      ...fields,
    },
  };
}

/**
 * The reviewer: a text starting with "task" gets a task (working, an artifact, completed); any
 * other text a message `reviewed <text> for <caller>`.
 */
function executor(seen: Seen): AgentExecutor {
  return {
    async execute(requestContext, bus) {
      const ect = ectOf(requestContext);
      seen.executed.push(ect ?? null);
      const part = requestContext.userMessage.parts[0]?.content;
      const text = part?.$case === 'text' ? part.value : '';
      const reply = textPart(`reviewed ${text} for ${ect?.claims.iss ?? 'nobody'}`);
      const { taskId, contextId } = requestContext;
      if (!text.startsWith('task')) {
        bus.publish(
          AgentEvent.message({
            messageId: randomUUID(),
            contextId,
            taskId: '',
            role: Role.ROLE_AGENT,
            parts: [reply],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          }),
        );
        bus.finished();
        return;
      }
      const status = (
        state: TaskState,
      ): { state: TaskState; message: undefined; timestamp: string } => ({
        state,
        message: undefined,
        timestamp: '2026-11-28T12:00:00.000Z',
      });
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: status(TaskState.TASK_STATE_SUBMITTED),
          artifacts: [],
          history: [requestContext.userMessage],
          metadata: undefined,
        }),
      );
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: 'review',
            name: 'review',
            description: '',
            parts: [reply],
            metadata: undefined,
            extensions: [],
          },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: status(TaskState.TASK_STATE_COMPLETED),
          metadata: undefined,
        }),
      );
      bus.finished();
    },
    async cancelTask() {},
  };
}

function card(url: string, required: boolean): AgentCard {
  const version = A2A_PROTOCOL_VERSION;
  return {
    name: 'reviewer',
    description: 'Reviews specifications',
    version: '1.0.0',
    provider: undefined,
    supportedInterfaces: [
      { url: `${url}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: version },
      { url: `${url}/rest`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: version },
    ],
    capabilities: {
      streaming: true,
      extensions: [
        ectAgentExtension({
          audience: REVIEWER,
          required,
          algorithms: ['ES256'],
          jwksUri: 'https://reviewer.example.org/.well-known/jwks.json',
        }),
      ],
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'review_spec',
        name: 'Review',
        description: 'Reviews a specification',
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
}

/** Starts the reviewer on a loopback port. */
export async function startAgent(options: Partial<ECTRequestHandlerOptions> = {}): Promise<Agent> {
  const seen: Seen = { executed: [], headers: [] };
  const app = express();
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const required = options.required ?? true;
  const inner = new DefaultRequestHandler(
    card(url, required),
    new InMemoryTaskStore(),
    executor(seen),
  );
  const requestHandler = ectRequestHandler(inner, {
    verifier: { audience: REVIEWER, keys: { keys: [plannerKeys.publicJwk] } },
    identity: { iss: REVIEWER, key: reviewerKeys.privateJwk },
    ...options,
  });
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
  const userBuilder = UserBuilder.noAuthentication;
  app.use(['/a2a', '/rest'], (request, _response, next) => {
    seen.headers.push(request.headers['execution-context'] as string | undefined);
    next();
  });
  app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder }));
  app.use('/rest', restHandler({ requestHandler, userBuilder }));
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The planner's interceptor options (it trusts the reviewer's key). */
export function plannerOptions(): ECTInterceptorOptions {
  return {
    identity: { iss: PLANNER, key: plannerKeys.privateJwk },
    verifier: { audience: PLANNER, keys: { keys: [reviewerKeys.publicJwk] } },
  };
}

/** The transport a client uses: JSON-RPC, or HTTP+JSON (REST). */
export type Binding = 'JSONRPC' | 'HTTP+JSON';

/** A real SDK client of the agent, with these interceptors (none: a client without ECTs). */
export async function connect(
  agent: Agent,
  interceptors: CallInterceptor[],
  binding: Binding = 'JSONRPC',
): Promise<Client> {
  const transport =
    binding === 'JSONRPC' ? new JsonRpcTransportFactory() : new RestTransportFactory();
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [transport],
      preferredTransports: [binding],
      clientConfig: { interceptors },
    }),
  );
  return factory.createFromUrl(agent.url);
}

/** The planner's client: `ectInterceptor` with its options, then any other interceptors. */
export async function plannerClient(
  agent: Agent,
  overrides: Partial<ECTInterceptorOptions> = {},
  after: CallInterceptor[] = [],
  binding: Binding = 'JSONRPC',
): Promise<Client> {
  const interceptors = [ectInterceptor({ ...plannerOptions(), ...overrides }), ...after];
  return connect(agent, interceptors, binding);
}
