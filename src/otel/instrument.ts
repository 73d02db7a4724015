/**
 * OpenTelemetry instrumentation the application opts into: spans for creating, verifying and
 * recording ECTs (`ect.create`, `ect.verify`, `ect.record`) with the token's identity as attributes
 * (`ect.jti`, `ect.wid`, `ect.exec_act`, `ect.iss`, `ect.level`, and the section 11 `ect.code` on
 * failure), a link to the span of each `pred` whose span context is known, and two metrics: the
 * verification time (`ect.verify.duration`, a histogram in seconds) and the rejections by code
 * (`ect.verify.rejections`). Everything wraps the public objects (a `Verifier`, an `ECTSigner`, a
 * `Ledger`); nothing inside the verifier changes.
 *
 * Without a tracer or meter in the options, the global ones of `@opentelemetry/api` are used; when
 * that package is not installed, every wrapper returns what it was given (a no-op).
 * @module
 */
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  Span,
  SpanContext,
  SpanKind,
  SpanStatusCode,
  Tracer,
} from '@opentelemetry/api';
import { createECT, type CreateOptions, type ECTInput, type ECTSigner } from '../create/create.js';
import { isECTError } from '../errors.js';
import { numberSetting } from '../settings.js';
import { parseToken } from '../format/parse.js';
import type { Level } from '../format/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Receipt } from '../ledger/types.js';
import { isInstalled, requireOptional } from '../optional.js';
import type { VerifyContext } from '../identity/key-source.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';

/**
 * The instrumentation scope name of every span and metric.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * import { INSTRUMENTATION_NAME } from 'wimse-ect/otel';
 *
 * const tracer = trace.getTracer(INSTRUMENTATION_NAME); // the tracer the wrappers use by default
 * ```
 */
export const INSTRUMENTATION_NAME = 'wimse-ect';
/**
 * The span of a creation (`ect.create`): `createECT` or a signer's `sign`.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { SPAN_CREATE } from 'wimse-ect/otel';
 *
 * const exporter = new InMemorySpanExporter();
 * const created = exporter.getFinishedSpans().filter((span) => span.name === SPAN_CREATE);
 * ```
 */
export const SPAN_CREATE = 'ect.create';
/**
 * The span of a verification (`ect.verify`); failed ones carry `ect.code`.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { SPAN_VERIFY } from 'wimse-ect/otel';
 *
 * const exporter = new InMemorySpanExporter();
 * const refused = exporter
 *   .getFinishedSpans()
 *   .filter((span) => span.name === SPAN_VERIFY && span.attributes['ect.code'] !== undefined);
 * ```
 */
export const SPAN_VERIFY = 'ect.verify';
/**
 * The span of a ledger append (`ect.record`), with the entry's `ect.seq`.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
 * import { SPAN_RECORD } from 'wimse-ect/otel';
 *
 * const exporter = new InMemorySpanExporter();
 * const appends = exporter.getFinishedSpans().filter((span) => span.name === SPAN_RECORD);
 * ```
 */
export const SPAN_RECORD = 'ect.record';
/**
 * The histogram of verification times, milliseconds (`ect.verify.duration`).
 *
 * @example
 * ```ts
 * import { METRIC_VERIFY_DURATION } from 'wimse-ect/otel';
 *
 * // A histogram, in milliseconds: alert on its p99.
 * console.log(`histogram_quantile(0.99, ${METRIC_VERIFY_DURATION.replaceAll('.', '_')})`);
 * ```
 */
export const METRIC_VERIFY_DURATION = 'ect.verify.duration';
/**
 * The counter of rejected tokens (`ect.verify.rejections`), by `ect.code`.
 *
 * @example
 * ```ts
 * import { METRIC_REJECTIONS } from 'wimse-ect/otel';
 *
 * // A counter with the attribute ect.code: a spike of ECT_REPLAY deserves a look.
 * console.log(`sum by (ect_code) (rate(${METRIC_REJECTIONS.replaceAll('.', '_')}[5m]))`);
 * ```
 */
export const METRIC_REJECTIONS = 'ect.verify.rejections';
/**
 * How many tasks' span contexts are kept for links, by default.
 *
 * @example
 * ```ts
 * import { createECTInstrumentation, DEFAULT_REMEMBERED_SPANS } from 'wimse-ect/otel';
 *
 * // Long workflows: keep more span contexts for the links from pred.
 * const otel = createECTInstrumentation({ maxRemembered: 10 * DEFAULT_REMEMBERED_SPANS });
 * ```
 */
export const DEFAULT_REMEMBERED_SPANS = 10_000;

const INTERNAL = 0 as SpanKind.INTERNAL;
const ERROR = 2 as SpanStatusCode.ERROR;

/**
 * Options of `createECTInstrumentation`.
 *
 * @example
 * ```ts
 * import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
 * import { createECTInstrumentation, type ECTInstrumentationOptions } from 'wimse-ect/otel';
 *
 * const provider = new BasicTracerProvider();
 * const options: ECTInstrumentationOptions = {
 *   tracer: provider.getTracer('orders'),
 *   maxRemembered: 50_000,
 * };
 * const otel = createECTInstrumentation(options);
 * ```
 */
export interface ECTInstrumentationOptions {
  /** The tracer (default: the global tracer provider's, `wimse-ect`). */
  readonly tracer?: Tracer;
  /** The meter (default: the global meter provider's, `wimse-ect`). */
  readonly meter?: Meter;
  /** Span contexts of tasks this process did not see (a context propagated with the call). */
  readonly spanContextOf?: (jti: string) => SpanContext | undefined;
  /** Most tasks whose span context is kept for links (default 10,000; the oldest go first). */
  readonly maxRemembered?: number;
}

/**
 * The wrappers, sharing one memory of span contexts (so a verify span links to a create span).
 *
 * @example
 * ```ts
 * import { createECTInstrumentation, type ECTInstrumentation } from 'wimse-ect/otel';
 *
 * const otel: ECTInstrumentation = createECTInstrumentation(); // the global providers
 * if (!otel.enabled) console.log('@opentelemetry/api is not installed: nothing is recorded');
 * ```
 */
export interface ECTInstrumentation {
  /** Whether spans and metrics are recorded (false: the OpenTelemetry API is not installed). */
  readonly enabled: boolean;
  /** A verifier whose `verify` records an `ect.verify` span and the two metrics. */
  instrumentVerifier(verifier: Verifier): Verifier;
  /** A signer whose `sign` records an `ect.create` span. */
  instrumentSigner(signer: ECTSigner): ECTSigner;
  /** `createECT` recording an `ect.create` span. */
  createECT(input: ECTInput, options?: CreateOptions): string;
  /** A ledger whose `append` records an `ect.record` span (give it to the verifier's `record`). */
  instrumentLedger<L extends Pick<Ledger, 'append'>>(ledger: L): L;
  /** The span context of a task this instrumentation saw, if it still remembers it. */
  spanContextOf(jti: string): SpanContext | undefined;
}

/** What the attributes are made of: the claims as far as they are known. */
type Claims = Readonly<Record<string, unknown>>;

function claimAttributes(claims: Claims | undefined, level: Level | undefined): Attributes {
  const attributes: Attributes = {};
  if (claims !== undefined) {
    for (const name of ['jti', 'wid', 'exec_act', 'iss'] as const) {
      const value = claims[name];
      if (typeof value === 'string') attributes[`ect.${name}`] = value;
    }
  }
  if (level !== undefined) attributes['ect.level'] = level;
  return attributes;
}

function predOf(claims: Claims | undefined): readonly string[] {
  const pred = claims?.['pred'];
  return Array.isArray(pred) ? pred.filter((p): p is string => typeof p === 'string') : [];
}

function claimsOfToken(token: string): { claims: Claims | undefined; level: 1 | 2 | undefined } {
  try {
    const parsed = parseToken(token);
    return { claims: parsed.payload, level: parsed.level };
  } catch {
    return { claims: undefined, level: undefined };
  }
}

function fail(span: Span, error: unknown): void {
  if (isECTError(error)) {
    span.setAttributes(claimAttributes(error.claims, error.level));
    span.setAttribute('ect.code', error.code);
  }
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Instruments with the tracer and meter in hand. */
class Instrumentation implements ECTInstrumentation {
  readonly enabled = true;
  readonly #tracer: Tracer;
  readonly #duration: Histogram | undefined;
  readonly #rejections: Counter | undefined;
  readonly #lookup: ((jti: string) => SpanContext | undefined) | undefined;
  readonly #max: number;
  readonly #known = new Map<string, SpanContext>();

  constructor(tracer: Tracer, meter: Meter | undefined, options: ECTInstrumentationOptions) {
    this.#tracer = tracer;
    this.#duration = meter?.createHistogram(METRIC_VERIFY_DURATION, {
      description: 'Time to verify one ECT (profile section 5)',
      unit: 's',
    });
    this.#rejections = meter?.createCounter(METRIC_REJECTIONS, {
      description: 'ECTs rejected, by section 11 code',
    });
    this.#lookup = options.spanContextOf;
    this.#max = numberSetting({
      value: options.maxRemembered,
      fallback: DEFAULT_REMEMBERED_SPANS,
      setting: 'maxRemembered',
      integer: true,
    });
  }

  spanContextOf(jti: string): SpanContext | undefined {
    return this.#known.get(jti.toLowerCase()) ?? this.#lookup?.(jti);
  }

  #remember(claims: Claims | undefined, span: Span): void {
    const jti = claims?.['jti'];
    if (typeof jti !== 'string' || this.#max === 0) return;
    const key = jti.toLowerCase();
    this.#known.delete(key);
    this.#known.set(key, span.spanContext());
    if (this.#known.size > this.#max) this.#known.delete(this.#known.keys().next().value!);
  }

  #linkPred(span: Span, claims: Claims | undefined): void {
    for (const pred of predOf(claims)) {
      const context = this.spanContextOf(pred);
      if (context !== undefined) span.addLink({ context, attributes: { 'ect.pred': pred } });
    }
  }

  /** Runs `work` in an active span of `name`; `done` describes the outcome on the span. */
  #inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => T): T {
    return this.#tracer.startActiveSpan(name, { kind: INTERNAL, attributes }, (span) => {
      let result: T;
      try {
        result = work(span);
      } catch (error) {
        fail(span, error);
        span.end();
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            fail(span, error);
            span.end();
            throw error;
          },
        ) as T;
      }
      span.end();
      return result;
    });
  }

  #created(span: Span, token: string): string {
    const { claims, level } = claimsOfToken(token);
    span.setAttributes(claimAttributes(claims, level));
    this.#linkPred(span, claims);
    this.#remember(claims, span);
    return token;
  }

  instrumentVerifier(verifier: Verifier): Verifier {
    const verify = async (token: string, context?: VerifyContext): Promise<VerifiedECT> => {
      const started = performance.now();
      try {
        const result = await this.#inSpan(SPAN_VERIFY, {}, async (span) => {
          const verified = await verifier.verify(token, context);
          span.setAttributes(claimAttributes(verified.claims, verified.level));
          if (verified.receipt !== undefined)
            span.setAttribute('ect.ledger.seq', verified.receipt.seq);
          this.#linkPred(span, verified.claims);
          this.#remember(verified.claims, span);
          return verified;
        });
        this.#duration?.record((performance.now() - started) / 1000, { 'ect.valid': true });
        return result;
      } catch (error) {
        const code = isECTError(error) ? error.code : 'ERROR';
        const attributes = { 'ect.valid': false, 'ect.code': code };
        this.#duration?.record((performance.now() - started) / 1000, attributes);
        this.#rejections?.add(1, { 'ect.code': code });
        throw error;
      }
    };
    return Object.assign(Object.create(verifier) as Verifier, { verify });
  }

  instrumentSigner(signer: ECTSigner): ECTSigner {
    return {
      alg: signer.alg,
      kid: signer.kid,
      sign: (input, options) =>
        this.#inSpan(SPAN_CREATE, claimAttributes(input, 2), (span) =>
          this.#created(span, signer.sign(input, options)),
        ),
    };
  }

  createECT(input: ECTInput, options: CreateOptions = {}): string {
    const attributes = claimAttributes(input, options.level ?? 2);
    return this.#inSpan(SPAN_CREATE, attributes, (span) =>
      this.#created(span, createECT(input, options)),
    );
  }

  instrumentLedger<L extends Pick<Ledger, 'append'>>(ledger: L): L {
    const append = (options: {
      readonly token: string;
      readonly level: Level;
    }): Promise<Receipt> => {
      const { claims } = claimsOfToken(options.token);
      const attributes = claimAttributes(claims, options.level);
      return this.#inSpan(SPAN_RECORD, attributes, async (span) => {
        const receipt = await ledger.append(options);
        span.setAttribute('ect.ledger.seq', receipt.seq);
        return receipt;
      });
    };
    return new Proxy(ledger, {
      get(target, property): unknown {
        if (property === 'append') return append;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }
}

/** Without the OpenTelemetry API: every wrapper gives back what it was given. */
const NO_OP: ECTInstrumentation = {
  enabled: false,
  instrumentVerifier: (verifier) => verifier,
  instrumentSigner: (signer) => signer,
  createECT: (input, options) => createECT(input, options),
  instrumentLedger: (ledger) => ledger,
  spanContextOf: () => undefined,
};

/**
 * Prepares the instrumentation. With `tracer` (and optionally `meter`) given, they are used;
 * otherwise the global providers of `@opentelemetry/api` (a no-op until an SDK registers), or, when
 * the API is not installed, nothing is recorded at all.
 *
 * @example
 * ```ts
 * import {
 *   createSigner,
 *   createVerifier,
 *   generateKeyPair,
 *   Ledger,
 *   MemoryECTStore,
 * } from 'wimse-ect';
 * import { createECTInstrumentation } from 'wimse-ect/otel';
 *
 * const otel = createECTInstrumentation(); // the global tracer and meter providers
 * const key = generateKeyPair();
 * const signer = otel.instrumentSigner(createSigner({ key: key.privateJwk }));
 * const ledger = otel.instrumentLedger(await Ledger.open({ origin: 'example.org/ect-ledger' }));
 * const verifier = otel.instrumentVerifier(
 *   createVerifier({
 *     audience: 'b',
 *     keys: { keys: [key.publicJwk] },
 *     record: { ledger },
 *     dag: {},
 *   }),
 * );
 * await verifier.verify(signer.sign({ iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' }));
 * ```
 */
export function createECTInstrumentation(
  options: ECTInstrumentationOptions = {},
): ECTInstrumentation {
  let { tracer, meter } = options;
  if (tracer === undefined || meter === undefined) {
    if (!isInstalled({ name: '@opentelemetry/api' })) {
      if (tracer === undefined) return NO_OP;
    } else {
      const api = requireOptional({ name: '@opentelemetry/api' });
      tracer ??= api.trace.getTracer(INSTRUMENTATION_NAME);
      meter ??= api.metrics.getMeter(INSTRUMENTATION_NAME);
    }
  }
  return new Instrumentation(tracer, meter, options);
}

/**
 * Shorthand: one verifier instrumented (see `createECTInstrumentation`).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { instrumentVerifier } from 'wimse-ect/otel';
 *
 * const verifier = instrumentVerifier(
 *   createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * );
 * ```
 */
export function instrumentVerifier(
  verifier: Verifier,
  options: ECTInstrumentationOptions = {},
): Verifier {
  return createECTInstrumentation(options).instrumentVerifier(verifier);
}
