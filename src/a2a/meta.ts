/**
 * Where an ECT sits in A2A objects and what its digests cover, shared by the client and the
 * server side of `wimse-ect/a2a`. The digests (CLM-9) are SHA-256 of RFC 8785 canonical JSON of
 * the A2A v1.0 JSON binding (the SDK's `toJSON`, as the objects travel): `inp_hash` of a message's
 * `parts`, `out_hash` of a result (Message or Task) without the ECT in its `metadata`, or, for a
 * stream, of the array of events up to the one that carries the ECT.
 * @module
 */
import type { Message, Part, StreamResponse, Task, TaskState } from '@a2a-js/sdk';
import { ECTError } from '../errors.js';
import { hashJSON } from '../format/canonical-json.js';
import { requireOptional } from '../optional.js';
import { ECT_METADATA_KEY } from './extension.js';

/** A2A `metadata`: a JSON object, or absent. */
export type Metadata = { [key: string]: unknown } | undefined;

/** What the digests need of the SDK: the JSON codecs of the v1.0 types. */
interface Codecs {
  readonly Part: Pick<typeof Part, 'toJSON'>;
  readonly Message: Pick<typeof Message, 'toJSON'>;
  readonly Task: Pick<typeof Task, 'toJSON'>;
  readonly StreamResponse: Pick<typeof StreamResponse, 'toJSON'>;
  readonly TaskState: typeof TaskState;
}

let codecs: Codecs | undefined;

/** The SDK's codecs, loaded the first time a digest is computed (the SDK is an optional peer). */
function sdkCodecs(): Codecs {
  codecs ??= requireOptional({ name: '@a2a-js/sdk' });
  return codecs;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The ECT in a `metadata` object: `undefined` when absent; `ECT_MALFORMED` when not a string. */
export function metadataToken(metadata: unknown): string | undefined {
  if (!isObject(metadata) || !Object.hasOwn(metadata, ECT_METADATA_KEY)) return undefined;
  const token = metadata[ECT_METADATA_KEY];
  if (typeof token !== 'string' || token.length === 0) {
    throw new ECTError('ECT_MALFORMED', `metadata["${ECT_METADATA_KEY}"] must be one ECT string`);
  }
  return token;
}

/** `metadata` with `token` under the extension's key. */
export function withToken(metadata: Metadata, token: string): { [key: string]: unknown } {
  return { ...(metadata ?? {}), [ECT_METADATA_KEY]: token };
}

/** `metadata` without the ECT (`undefined` when that was its only member). */
export function withoutToken(metadata: Metadata): Metadata {
  if (!isObject(metadata) || !Object.hasOwn(metadata, ECT_METADATA_KEY)) {
    return isObject(metadata) && Object.keys(metadata).length === 0 ? undefined : metadata;
  }
  const { [ECT_METADATA_KEY]: _token, ...rest } = metadata;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

/**
 * CLM-9 `inp_hash` of a message: its `parts` in the JSON binding, canonical (RFC 8785).
 *
 * @example
 * ```ts
 * import { Role, type Message } from '@a2a-js/sdk';
 * import { partsHash } from 'wimse-ect/a2a';
 *
 * const message: Message = {
 *   messageId: '1', contextId: '', taskId: '', role: Role.ROLE_USER, extensions: [],
 *   referenceTaskIds: [], metadata: undefined,
 *   parts: [{ content: { $case: 'text', value: 'hi' }, metadata: undefined, filename: '',
 *     mediaType: 'text/plain' }],
 * };
 * console.log(partsHash(message.parts).length); // 43
 * ```
 */
export function partsHash(parts: readonly Part[]): string {
  const { Part: codec } = sdkCodecs();
  return hashJSON(parts.map((part) => codec.toJSON(part)));
}

/** A Message or Task, with its ECT out of `metadata`. */
function stripped<T extends { metadata: Metadata }>(value: T): T {
  return { ...value, metadata: withoutToken(value.metadata) };
}

/** The JSON of a result, without its ECT. */
function resultJSON(result: Message | Task): unknown {
  const { Message: message, Task: task } = sdkCodecs();
  return 'messageId' in result
    ? { message: message.toJSON(stripped(result)) }
    : { task: task.toJSON(stripped(result)) };
}

/**
 * CLM-9 `out_hash` of a result of `SendMessage`: `{"message": …}` or `{"task": …}` as the JSON
 * binding returns it, without the ECT in the result's `metadata`.
 *
 * @example
 * ```ts
 * import type { Message, Task } from '@a2a-js/sdk';
 * import { ECT_METADATA_KEY, resultHash } from 'wimse-ect/a2a';
 *
 * function sameResult(a: Message | Task, b: Message | Task): boolean {
 *   // The ECT a result carries is not part of its out_hash.
 *   return resultHash(a) === resultHash(b);
 * }
 * ```
 */
export function resultHash(result: Message | Task): string {
  return hashJSON(resultJSON(result));
}

/** The object of a stream event whose `metadata` carries an ECT. */
export type StreamPayloadValue = NonNullable<StreamResponse['payload']>['value'];

/** A stream event without the ECT in its payload's `metadata`. */
function strippedEvent(event: StreamResponse): StreamResponse {
  const payload = event.payload;
  if (payload === undefined) return event;
  return { payload: { ...payload, value: stripped(payload.value) } } as StreamResponse;
}

/**
 * CLM-9 `out_hash` of a stream (`SendStreamingMessage`): the array of its events in the JSON
 * binding, up to and including the one that carries the agent's ECT, without that ECT.
 *
 * @example
 * ```ts
 * import type { StreamResponse } from '@a2a-js/sdk';
 * import { streamHash } from 'wimse-ect/a2a';
 *
 * const events: StreamResponse[] = [];
 * console.log(streamHash(events).length); // 43
 * ```
 */
export function streamHash(events: readonly StreamResponse[]): string {
  const { StreamResponse: codec } = sdkCodecs();
  return hashJSON(events.map((event) => codec.toJSON(strippedEvent(event))));
}

/** The metadata-bearing object of a stream event. */
export function eventValue(event: StreamResponse): StreamPayloadValue | undefined {
  return event.payload?.value;
}

/**
 * The event that ends a stream for its caller, and carries the agent's ECT: a message, or a task
 * or status update in a terminal state or `INPUT_REQUIRED` (where the SDK's event queue stops).
 */
export function isFinalEvent(event: StreamResponse): boolean {
  const payload = event.payload;
  if (payload === undefined || payload.$case === 'artifactUpdate') return false;
  if (payload.$case === 'message') return true;
  const { TaskState: state } = sdkCodecs();
  const final: readonly TaskState[] = [
    state.TASK_STATE_COMPLETED,
    state.TASK_STATE_FAILED,
    state.TASK_STATE_CANCELED,
    state.TASK_STATE_REJECTED,
    state.TASK_STATE_INPUT_REQUIRED,
  ];
  const current = payload.value.status?.state;
  return current !== undefined && final.includes(current);
}
