/**
 * `wimse-ect/otel` instrumentation with the real OpenTelemetry SDK: spans of creating, verifying
 * and recording ECTs with their attributes, links to the spans of `pred` tasks, and the metrics
 * (verification time, rejections by code), read from the SDK's in-memory exporter and a reader.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { createECT, createSigner } from '../../src/create/create.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { isECTError } from '../../src/errors.js';
import { Ledger } from '../../src/ledger/ledger.js';
import {
  createECTInstrumentation,
  instrumentVerifier,
  METRIC_REJECTIONS,
  METRIC_VERIFY_DURATION,
  SPAN_CREATE,
  SPAN_RECORD,
  SPAN_VERIFY,
} from '../../src/otel/index.js';
import { createVerifier } from '../../src/verify/verify.js';

const ISS = 'spiffe://example.org/agent';
const AUD = 'spiffe://example.org/tool';
const WID = '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a';
const keys = generateKeyPair({ kid: 'agent' });

/** A reader collecting on demand (the SDK's base reader, no timer). */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let exporter: InMemorySpanExporter;
let reader: TestReader;
let otel: ReturnType<typeof createECTInstrumentation>;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  reader = new TestReader();
  const meters = new MeterProvider({ readers: [reader] });
  otel = createECTInstrumentation({
    tracer: provider.getTracer('test'),
    meter: meters.getMeter('test'),
  });
});

function verifier(options: { record?: Ledger } = {}): ReturnType<typeof createVerifier> {
  return createVerifier({
    audience: AUD,
    keys: { keys: [keys.publicJwk] },
    ...(options.record === undefined ? {} : { record: { ledger: options.record } }),
  });
}

function token(claims: Record<string, unknown> = {}): string {
  return createECT(
    { iss: ISS, aud: AUD, exec_act: 'review_spec', wid: WID, ...claims },
    { key: keys.privateJwk },
  );
}

function spans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return metric?.dataPoints ?? [];
}

describe('OpenTelemetry instrumentation', () => {
  test('ect.verify: a span with ect.jti, ect.wid, ect.exec_act, ect.iss, ect.level', async () => {
    const jti = randomUUID();
    const verified = await otel.instrumentVerifier(verifier()).verify(token({ jti }));
    assert.equal(verified.claims.jti, jti);
    const [span] = spans(SPAN_VERIFY);
    assert.ok(span);
    assert.deepEqual(span.attributes, {
      'ect.jti': jti,
      'ect.wid': WID,
      'ect.exec_act': 'review_spec',
      'ect.iss': ISS,
      'ect.level': 2,
    });
    assert.equal(span.status.code, 0);
  });

  test('VER-6: a rejected token: ect.code on the span, status error, counted by code', async () => {
    const instrumented = otel.instrumentVerifier(verifier());
    const other = generateKeyPair({ kid: 'agent' });
    const forged = createECT(
      { iss: ISS, aud: AUD, exec_act: 'x', wid: WID },
      { key: other.privateJwk },
    );
    const error = await instrumented.verify(forged).catch((e: unknown) => e);
    assert.ok(isECTError(error) && error.code === 'ECT_SIGNATURE_INVALID');
    await instrumented.verify('garbage').catch(() => undefined);
    await instrumented.verify(token());
    const failed = spans(SPAN_VERIFY).filter((span) => span.status.code === SpanStatusCode.ERROR);
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.attributes['ect.code'], 'ECT_SIGNATURE_INVALID');
    assert.equal(failed[0]!.attributes['ect.iss'], ISS, 'what was known of the token');
    assert.equal(failed[1]!.attributes['ect.code'], 'ECT_MALFORMED');
    assert.equal(failed[0]!.events[0]!.name, 'exception');
    const rejections = await points(METRIC_REJECTIONS);
    const byCode = Object.fromEntries(
      rejections.map((p) => [p.attributes['ect.code'] as string, p.value]),
    );
    assert.deepEqual(byCode, { ECT_SIGNATURE_INVALID: 1, ECT_MALFORMED: 1 });
    const durations = await points(METRIC_VERIFY_DURATION);
    const count = durations.reduce((n, p) => n + (p.value as Histogram).count, 0);
    assert.equal(count, 3);
    const valid = durations.find((p) => p.attributes['ect.valid'] === true)!;
    assert.ok((valid.value as Histogram).sum! > 0);
  });

  test('CLM-7: a span links to the span of each pred whose span context is known', async () => {
    const first = otel.createECT(
      { iss: ISS, aud: AUD, exec_act: 'plan', wid: WID },
      { key: keys.privateJwk },
    );
    const signer = otel.instrumentSigner(createSigner({ key: keys.privateJwk }));
    const firstJti = (
      JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()) as { jti: string }
    ).jti;
    const unknown = randomUUID();
    const second = signer.sign({
      iss: ISS,
      aud: AUD,
      exec_act: 'review_spec',
      wid: WID,
      pred: [firstJti, unknown],
    });
    const [created1, created2] = spans(SPAN_CREATE);
    assert.equal(created1!.attributes['ect.exec_act'], 'plan');
    assert.equal(created2!.links.length, 1, 'the unknown pred has no link');
    assert.deepEqual(created2!.links[0]!.context, created1!.spanContext());
    assert.equal(created2!.links[0]!.attributes!['ect.pred'], firstJti);
    // Verification of the second task links to the first's span too, and is remembered.
    const verified = await otel.instrumentVerifier(verifier()).verify(second);
    const [verify] = spans(SPAN_VERIFY);
    assert.deepEqual(
      verify!.links.map((l) => l.context),
      [created1!.spanContext()],
    );
    assert.deepEqual(otel.spanContextOf(verified.claims.jti), verify!.spanContext());
  });

  test('spanContextOf: contexts of tasks seen elsewhere make links too', async () => {
    const remote = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    };
    const pred = randomUUID();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const instrumented = instrumentVerifier(verifier(), {
      tracer: provider.getTracer('test'),
      spanContextOf: (jti) => (jti === pred ? remote : undefined),
    });
    await instrumented.verify(token({ pred: [pred] }));
    assert.deepEqual(spans(SPAN_VERIFY)[0]!.links[0]!.context, remote);
  });

  test("VER-13: ect.record: the ledger append as a span with the entry's seq", async () => {
    const ledger = otel.instrumentLedger(new Ledger());
    const jti = randomUUID();
    const verified = await otel
      .instrumentVerifier(verifier({ record: ledger }))
      .verify(token({ jti }));
    assert.equal(verified.level, 3);
    const [record] = spans(SPAN_RECORD);
    assert.ok(record);
    assert.equal(record.attributes['ect.jti'], jti);
    assert.equal(record.attributes['ect.ledger.seq'], verified.receipt!.seq);
    assert.equal(spans(SPAN_VERIFY)[0]!.attributes['ect.level'], 3);
    assert.equal(spans(SPAN_VERIFY)[0]!.attributes['ect.ledger.seq'], verified.receipt!.seq);
    // The other methods of the ledger still work through the wrapper.
    assert.equal(await ledger.size(), 1);
  });

  test('CLM-6: a creation that fails is a span with ect.code and the error rethrown', () => {
    assert.throws(
      () => otel.createECT({ iss: ISS, aud: AUD, exec_act: '' }, { key: keys.privateJwk }),
      (e: unknown) => isECTError(e) && e.code === 'ECT_CLAIM_INVALID',
    );
    const [span] = spans(SPAN_CREATE);
    assert.equal(span!.attributes['ect.code'], 'ECT_CLAIM_INVALID');
    assert.equal(span!.status.code, 2);
  });

  test('without a tracer: the global API (no SDK registered) records nothing', async () => {
    const plain = createECTInstrumentation();
    assert.equal(plain.enabled, true);
    const verified = await plain.instrumentVerifier(verifier()).verify(token());
    assert.equal(verified.level, 2);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});
