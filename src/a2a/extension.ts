/**
 * The A2A extension that carries ECTs (`https://wimse-ect.dev/a2a/ect/v1`): the URI, the metadata
 * key, the agent card entry an agent advertises (`capabilities.extensions[]`, with `params` saying
 * which tokens it accepts), and the reading of that entry on the client's side. docs/a2a.md is the
 * extension's description.
 * @module
 */
import type { AgentCard, AgentExtension } from '@a2a-js/sdk';
import { ECTConfigError } from '../errors.js';
import { EXECUTION_CONTEXT_HEADER } from '../http/header.js';

/**
 * The URI of the extension, in the agent card and in the `A2A-Extensions` service parameter that
 * activates it. A breaking change gets a new URI (`…/v2`).
 *
 * @example
 * ```ts
 * import { ECT_EXTENSION_URI } from 'wimse-ect/a2a';
 *
 * console.log(ECT_EXTENSION_URI); // https://wimse-ect.dev/a2a/ect/v1
 * ```
 */
export const ECT_EXTENSION_URI = 'https://wimse-ect.dev/a2a/ect/v1';

/**
 * The `metadata` key of a message (caller → agent) or of a result (the agent's Message or Task,
 * or the final event of a stream) whose value is one ECT in compact form: the extension's URI, so
 * it cannot collide with another extension's data.
 *
 * @example
 * ```ts
 * import { ECT_METADATA_KEY } from 'wimse-ect/a2a';
 *
 * // Where a raw JSON-RPC SendMessage carries its ECT.
 * const message = { messageId: '1', role: 'ROLE_USER', parts: [{ text: 'hi' }],
 *   metadata: { [ECT_METADATA_KEY]: 'eyJ…' } };
 * ```
 */
export const ECT_METADATA_KEY: string = ECT_EXTENSION_URI;

/**
 * `params` of the extension in an agent card: what the agent accepts.
 *
 * @example
 * ```ts
 * import type { ECTExtensionParams } from 'wimse-ect/a2a';
 *
 * const params: ECTExtensionParams = {
 *   audience: ['spiffe://example.org/reviewer'],
 *   algorithms: ['ES256', 'EdDSA'],
 *   minLevel: 2,
 *   metadataKey: 'https://wimse-ect.dev/a2a/ect/v1',
 *   header: 'Execution-Context',
 * };
 * ```
 */
export interface ECTExtensionParams {
  /** CLM-2: the agent's identities; a caller's ECT names one of them in `aud`. */
  readonly audience: readonly string[];
  /** HDR-2: the signature algorithms the agent verifies. */
  readonly algorithms?: readonly string[];
  /** FMT-4: the lowest assurance level the agent accepts. */
  readonly minLevel?: number;
  /** IDB-1: where the agent's own public keys are, for the ECTs of its results. */
  readonly jwksUri?: string;
  /** The message `metadata` key of the token (`ECT_METADATA_KEY`). */
  readonly metadataKey: string;
  /** The HTTP header of the token (`Execution-Context`, HTTP-1). */
  readonly header: string;
}

/**
 * Options of `ectAgentExtension`.
 *
 * @example
 * ```ts
 * import type { ECTAgentExtensionOptions } from 'wimse-ect/a2a';
 *
 * const options: ECTAgentExtensionOptions = {
 *   audience: 'spiffe://example.org/reviewer',
 *   required: true,
 *   jwksUri: 'https://reviewer.example.org/.well-known/jwks.json',
 * };
 * ```
 */
export interface ECTAgentExtensionOptions {
  /** The agent's identity (or identities): the audience of callers' ECTs. */
  readonly audience: string | readonly string[];
  /** Callers must send an ECT (default true): the card says so, and the server refuses others. */
  readonly required?: boolean;
  readonly algorithms?: readonly string[];
  readonly minLevel?: number;
  readonly jwksUri?: string;
  /** Replaces the default description. */
  readonly description?: string;
}

function audienceList(audience: string | readonly string[], setting: string): string[] {
  const list = typeof audience === 'string' ? [audience] : [...audience];
  if (list.length === 0 || list.some((value) => typeof value !== 'string' || value === '')) {
    throw new ECTConfigError(setting, 'give the agent identity (one or more non-empty strings)');
  }
  return list;
}

/**
 * The agent card entry of the extension, for `capabilities.extensions`.
 *
 * @example
 * ```ts
 * import type { AgentCard } from '@a2a-js/sdk';
 * import { ectAgentExtension } from 'wimse-ect/a2a';
 *
 * const capabilities: AgentCard['capabilities'] = {
 *   streaming: true,
 *   extensions: [ectAgentExtension({ audience: 'spiffe://example.org/reviewer' })],
 * };
 * ```
 */
export function ectAgentExtension(options: ECTAgentExtensionOptions): AgentExtension {
  const params: ECTExtensionParams = {
    audience: audienceList(options.audience, 'audience'),
    ...(options.algorithms === undefined ? {} : { algorithms: [...options.algorithms] }),
    ...(options.minLevel === undefined ? {} : { minLevel: options.minLevel }),
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    metadataKey: ECT_METADATA_KEY,
    header: EXECUTION_CONTEXT_HEADER,
  };
  return {
    uri: ECT_EXTENSION_URI,
    description:
      options.description ??
      'Each message carries an Execution Context Token (draft-nennemann-wimse-ect-01); ' +
        'results carry the agent’s own.',
    required: options.required ?? true,
    params,
  };
}

/**
 * The extension's entry in an agent card, or `undefined` when the agent does not advertise it:
 * a client checks this before relying on the agent to verify (or sign) ECTs.
 *
 * @example
 * ```ts
 * import type { AgentCard } from '@a2a-js/sdk';
 * import { ectExtensionOf } from 'wimse-ect/a2a';
 *
 * function audienceOf(card: AgentCard): readonly string[] {
 *   return ectExtensionOf(card)?.params.audience ?? [];
 * }
 * ```
 */
export function ectExtensionOf(
  card: Pick<AgentCard, 'capabilities'>,
): (AgentExtension & { readonly params: ECTExtensionParams }) | undefined {
  const entry = card.capabilities?.extensions?.find((ext) => ext.uri === ECT_EXTENSION_URI);
  if (entry === undefined) return undefined;
  const params = (entry.params ?? {}) as Partial<ECTExtensionParams>;
  const audience = Array.isArray(params.audience)
    ? params.audience.filter((value): value is string => typeof value === 'string')
    : typeof params.audience === 'string'
      ? [params.audience]
      : [];
  return {
    ...entry,
    params: {
      ...params,
      audience,
      metadataKey: typeof params.metadataKey === 'string' ? params.metadataKey : ECT_METADATA_KEY,
      header: typeof params.header === 'string' ? params.header : EXECUTION_CONTEXT_HEADER,
    },
  };
}
