/**
 * A recorded workflow as OpenTelemetry spans, so that it appears in Jaeger, Tempo or any tracing
 * backend: one span per task (the ledger's entries, LED-1, or an evidence bundle's, LED-12), named
 * by its `exec_act`, from its `iat` to the time the ledger recorded it, with a link to each `pred`
 * and its first recorded predecessor as parent. Ids follow the mapping of ids.ts (docs/otel.md):
 * the trace id from the `wid`, the span id from the `jti`. The spans are handed to any span
 * exporter of the OpenTelemetry SDK (OTLP, Jaeger, the in-memory one), one resource per issuer
 * (`service.name` = `iss`). Exporting does not verify: check a bundle with `verifyBundle` first.
 * @module
 */
import type {
  Attributes,
  AttributeValue,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
  SpanStatusCode,
} from '@opentelemetry/api';
import { parseBundle, type EvidenceBundle } from '../bundle/format.js';
import { ECTConfigError } from '../errors.js';
import { isUuid } from '../format/claims.js';
import { parseToken } from '../format/parse.js';
import type { Level } from '../format/types.js';
import { parseEntry } from '../ledger/entry.js';
import type { Ledger } from '../ledger/ledger.js';
import { spanIdOf, traceIdOf } from './ids.js';
import { INSTRUMENTATION_NAME } from './instrument.js';

const INTERNAL = 0 as SpanKind.INTERNAL;
const UNSET = 0 as SpanStatusCode.UNSET;
const SAMPLED = 1;

/**
 * One recorded task: what a ledger entry or a bundle entry says.
 *
 * @example
 * ```ts
 * import { ledgerTasks, type RecordedTask } from 'wimse-ect/otel';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('sqlite:audit.db');
 * const tasks: RecordedTask[] = await ledgerTasks(ledger, '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13');
 * for (const task of tasks)
 *   console.log(task.seq, task.claims['exec_act'], new Date(task.recordedAt));
 * ```
 */
export interface RecordedTask {
  readonly seq: number;
  readonly level: Level;
  /** When the ledger recorded it, Unix milliseconds. */
  readonly recordedAt: number;
  readonly token: string;
  /** The token's claims (not verified here). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * A span's resource: the SDK's `Resource` shape (attributes and the methods exporters call).
 *
 * @example
 * ```ts
 * import { spanResource, type SpanResource } from 'wimse-ect/otel';
 *
 * const resource: SpanResource = spanResource({
 *   'service.name': 'agent-a',
 *   'deployment.environment': 'prod',
 * });
 * ```
 */
export interface SpanResource {
  readonly attributes: Attributes;
  readonly asyncAttributesPending?: boolean;
  /** This resource with the other's attributes added (the other's win). */
  merge(other: SpanResource | null): SpanResource;
  /** The attributes as name-value pairs. */
  getRawAttributes(): [string, AttributeValue | undefined][];
}

/**
 * A finished span in the SDK's `ReadableSpan` shape, ready for any `SpanExporter`.
 *
 * @example
 * ```ts
 * import { bundleTasks, workflowSpans, type WorkflowSpan } from 'wimse-ect/otel';
 * import { readFileSync } from 'node:fs';
 *
 * const spans: WorkflowSpan[] = workflowSpans({
 *   tasks: bundleTasks(readFileSync('workflow.bundle.json', 'utf8')),
 * });
 * for (const span of spans)
 *   console.log(span.name, span.spanContext().spanId, span.parentSpanContext?.spanId);
 * ```
 */
export interface WorkflowSpan {
  readonly name: string;
  readonly kind: SpanKind;
  /** The span's trace id (from the `wid`) and span id (from the `jti`). */
  readonly spanContext: () => SpanContext;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: [];
  readonly duration: HrTime;
  readonly ended: true;
  readonly resource: SpanResource;
  readonly instrumentationScope: { readonly name: string; readonly version?: string };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/**
 * What `SpanExporter.export` reports (`code` 0 success).
 *
 * @example
 * ```ts
 * import type { ExportOutcome, SpanExporterLike } from 'wimse-ect/otel';
 *
 * // An exporter that prints the span names (any OpenTelemetry SpanExporter fits too).
 * const printer: SpanExporterLike = {
 *   export(spans, done: (outcome: ExportOutcome) => void) {
 *     for (const span of spans) console.log(span.name);
 *     done({ code: 0 });
 *   },
 * };
 * ```
 */
export interface ExportOutcome {
  readonly code: number;
  readonly error?: Error;
}

/**
 * The part of an OpenTelemetry `SpanExporter` used here.
 *
 * @example
 * ```ts
 * import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
 * import type { SpanExporterLike } from 'wimse-ect/otel';
 *
 * // Any OpenTelemetry SpanExporter: OTLP for Jaeger or Tempo, the console here.
 * const exporter: SpanExporterLike = new ConsoleSpanExporter();
 * ```
 */
export interface SpanExporterLike {
  /** Sends the spans; calls `done` once with the outcome. */
  export(spans: WorkflowSpan[], done: (outcome: ExportOutcome) => void): void;
}

/**
 * Options of `workflowSpans`.
 *
 * @example
 * ```ts
 * import {
 *   spanResource,
 *   workflowSpans,
 *   type RecordedTask,
 *   type WorkflowSpansOptions,
 * } from 'wimse-ect/otel';
 *
 * const tasks: RecordedTask[] = []; // from ledgerTasks or bundleTasks
 * const options: WorkflowSpansOptions = {
 *   tasks,
 *   resourceFor: (iss) => spanResource({ 'service.name': new URL(iss).pathname.slice(1) }),
 * };
 * const spans = workflowSpans(options);
 * ```
 */
export interface WorkflowSpansOptions {
  /** The tasks, in any order. */
  readonly tasks: readonly RecordedTask[];
  /** The resource of an issuer's spans (default: `service.name` = the `iss`). */
  readonly resourceFor?: (iss: string) => SpanResource;
}

/**
 * A minimal resource with these attributes (what the SDK's exporters read).
 *
 * @example
 * ```ts
 * import { spanResource, workflowSpans } from 'wimse-ect/otel';
 *
 * const spans = workflowSpans({
 *   tasks: [],
 *   resourceFor: (iss) => spanResource({ 'service.name': iss }),
 * });
 * ```
 */
export function spanResource(attributes: Attributes): SpanResource {
  return {
    attributes,
    asyncAttributesPending: false,
    merge(other) {
      return spanResource({ ...attributes, ...(other?.attributes ?? {}) });
    },
    getRawAttributes() {
      return Object.entries(attributes);
    },
  };
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function text(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' ? value : undefined;
}

function canonical(id: string): string {
  return isUuid(id) ? id.toLowerCase() : id;
}

function predOf(claims: Readonly<Record<string, unknown>>): string[] {
  const pred = claims['pred'];
  return Array.isArray(pred) ? pred.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The spans of recorded tasks. Tasks with a `wid` are in the trace of their workflow; tasks
 * without one are in the trace of their root task (following the first recorded predecessor),
 * whose `jti` then plays the part of the `wid`.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger } from 'wimse-ect';
 * import { ledgerTasks, workflowSpans } from 'wimse-ect/otel';
 *
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const wid = crypto.randomUUID();
 * const first = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'plan', wid },
 *   { level: 1 },
 * );
 * await ledger.append({ token: first, level: 1 });
 * const [span] = workflowSpans({ tasks: await ledgerTasks(ledger, wid) });
 * console.log(span?.name, span?.spanContext().traceId === wid.replaceAll('-', '')); // plan true
 * ```
 */
export function workflowSpans(options: WorkflowSpansOptions): WorkflowSpan[] {
  const byJti = new Map<string, RecordedTask>();
  for (const task of options.tasks) {
    const jti = text(task.claims, 'jti');
    if (jti === undefined) throw new ECTConfigError('tasks', `entry ${task.seq} has no jti`);
    byJti.set(canonical(jti), task);
  }
  const parentOf = (task: RecordedTask): RecordedTask | undefined =>
    predOf(task.claims)
      .map((p) => byJti.get(canonical(p)))
      .find((t) => t !== undefined);
  const traces = new Map<RecordedTask, string>();
  const traceOf = (task: RecordedTask): string => {
    const known = traces.get(task);
    if (known !== undefined) return known;
    const wid = text(task.claims, 'wid');
    let trace: string;
    if (wid !== undefined) {
      trace = traceIdOf(wid);
    } else {
      // Up the first-predecessor chain to the root (bounded: a cycle ends the walk).
      let root = task;
      const seen = new Set<RecordedTask>([task]);
      for (let up = parentOf(root); up !== undefined && !seen.has(up); up = parentOf(root)) {
        seen.add(up);
        root = up;
      }
      trace = traceIdOf(text(root.claims, 'jti')!);
    }
    traces.set(task, trace);
    return trace;
  };
  const resources = new Map<string, SpanResource>();
  const resourceFor =
    options.resourceFor ?? ((iss: string): SpanResource => spanResource({ 'service.name': iss }));
  const spans: WorkflowSpan[] = [];
  for (const task of [...options.tasks].sort((a, b) => a.seq - b.seq)) {
    const { claims } = task;
    const jti = text(claims, 'jti')!;
    const iss = text(claims, 'iss') ?? 'unknown';
    const traceId = traceOf(task);
    const context: SpanContext = { traceId, spanId: spanIdOf(jti), traceFlags: SAMPLED };
    const parent = parentOf(task);
    const links: Link[] = predOf(claims).map((pred) => {
      const known = byJti.get(canonical(pred));
      const linked = known === undefined ? traceId : traceOf(known);
      const linkContext = { traceId: linked, spanId: spanIdOf(pred), traceFlags: SAMPLED };
      return { context: linkContext, attributes: { 'ect.pred': pred } };
    });
    const iat = claims['iat'];
    const startMs = typeof iat === 'number' ? iat * 1000 : task.recordedAt;
    const endMs = Math.max(startMs, task.recordedAt);
    let resource = resources.get(iss);
    if (resource === undefined) resources.set(iss, (resource = resourceFor(iss)));
    const attributes: Attributes = {
      'ect.jti': jti,
      'ect.exec_act': text(claims, 'exec_act') ?? '',
      'ect.iss': iss,
      'ect.level': task.level,
      'ect.ledger.seq': task.seq,
      'ect.pred': predOf(claims),
    };
    const wid = text(claims, 'wid');
    if (wid !== undefined) attributes['ect.wid'] = wid;
    spans.push({
      name: text(claims, 'exec_act') ?? 'ect.task',
      kind: INTERNAL,
      spanContext: () => context,
      ...(parent === undefined
        ? {}
        : {
            parentSpanContext: {
              traceId: traceOf(parent),
              spanId: spanIdOf(text(parent.claims, 'jti')!),
              traceFlags: SAMPLED,
            },
          }),
      startTime: hrTime(startMs),
      endTime: hrTime(endMs),
      status: { code: UNSET },
      attributes,
      links,
      events: [],
      duration: hrTime(endMs - startMs),
      ended: true,
      resource,
      instrumentationScope: { name: INSTRUMENTATION_NAME },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
  }
  return spans;
}

/**
 * The tasks of a ledger's workflow (`ledger.workflowEntries(wid)`).
 *
 * @example
 * ```ts
 * import { ledgerTasks } from 'wimse-ect/otel';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('sqlite:audit.db');
 * const tasks = await ledgerTasks(ledger, '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13');
 * console.log(tasks.map((task) => task.claims['exec_act']));
 * ```
 */
export async function ledgerTasks(
  ledger: Pick<Ledger, 'workflowEntries'>,
  wid: string,
): Promise<RecordedTask[]> {
  return (await ledger.workflowEntries(wid)).map((entry) => ({
    seq: entry.seq,
    level: entry.level,
    recordedAt: entry.recordedAt,
    token: entry.token,
    claims: entry.claims,
  }));
}

/**
 * The tasks of an evidence bundle (its text or `parseBundle`'s result); not verified here.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { bundleTasks } from 'wimse-ect/otel';
 *
 * // Verify the bundle first (verifyBundle): the tasks are taken as they are.
 * const tasks = bundleTasks(readFileSync('workflow.bundle.json', 'utf8'));
 * ```
 */
export function bundleTasks(bundle: EvidenceBundle | string): RecordedTask[] {
  const parsed = typeof bundle === 'string' ? parseBundle(bundle) : bundle;
  return parsed.entries.map((item, index) => {
    const entry = parseEntry(item.entry);
    if (entry === undefined)
      throw new ECTConfigError('bundle', `entries[${index}].entry is not a ledger entry`);
    return { ...entry, claims: parseToken(entry.token).payload };
  });
}

/**
 * Hands spans to a span exporter; resolves when it reports success.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { exportSpans, workflowSpans } from 'wimse-ect/otel';
 *
 * const exporter = new InMemorySpanExporter();
 * await exportSpans(exporter, workflowSpans({ tasks: [] }));
 * ```
 */
export function exportSpans(exporter: SpanExporterLike, spans: WorkflowSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (outcome) => {
      if (outcome.code === 0) resolve();
      else reject(outcome.error ?? new Error('the span exporter failed'));
    });
  });
}

/**
 * Options of `exportWorkflow`: where the workflow comes from, and the exporter.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { exportWorkflow, type ExportWorkflowOptions } from 'wimse-ect/otel';
 *
 * // From an evidence bundle (or: { ledger, wid }).
 * const options: ExportWorkflowOptions = {
 *   bundle: readFileSync('workflow.bundle.json', 'utf8'),
 *   exporter: new InMemorySpanExporter(),
 * };
 * const spans = await exportWorkflow(options);
 * ```
 */
export type ExportWorkflowOptions = {
  readonly exporter: SpanExporterLike;
  /** The resource of an issuer's spans (default: `service.name` = the `iss`). */
  readonly resourceFor?: (iss: string) => SpanResource;
} & (
  | { readonly ledger: Pick<Ledger, 'workflowEntries'>; readonly wid: string }
  | { readonly bundle: EvidenceBundle | string }
);

/**
 * Exports one recorded workflow as spans; returns them.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { exportWorkflow } from 'wimse-ect/otel';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const exporter = new InMemorySpanExporter(); // in production an OTLP exporter (Jaeger, Tempo)
 * const ledger = await openLedger('sqlite:audit.db');
 * const spans = await exportWorkflow({
 *   ledger,
 *   wid: '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13',
 *   exporter,
 * });
 * console.log(`${spans.length} tasks exported as one trace`);
 * ```
 */
export async function exportWorkflow(options: ExportWorkflowOptions): Promise<WorkflowSpan[]> {
  const tasks =
    'bundle' in options
      ? bundleTasks(options.bundle)
      : await ledgerTasks(options.ledger, options.wid);
  const spans = workflowSpans({
    tasks,
    ...(options.resourceFor === undefined ? {} : { resourceFor: options.resourceFor }),
  });
  await exportSpans(options.exporter, spans);
  return spans;
}
