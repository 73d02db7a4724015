/**
 * A recorded workflow exported as OpenTelemetry spans (LED-1 ledger, LED-12 evidence bundle) into
 * the SDK's in-memory span exporter: one span per task, the trace id from `wid`, the span id from
 * `jti` (docs/otel.md), the first predecessor as parent and a link for each `pred` (CLM-7).
 * @module
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { exportBundle } from '../../src/bundle/export.js';
import { formatBundle } from '../../src/bundle/format.js';
import { createECT } from '../../src/create/create.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import {
  exportWorkflow,
  spanIdOf,
  traceIdOf,
  workflowSpans,
  type RecordedTask,
} from '../../src/otel/index.js';

const WID = '3D2C1B0A-9F8E-4D7C-8B6A-5F4E3D2C1B0A';
const agent = generateKeyPair({ kid: 'agent' });
const RECORDED_AT = 1_800_000_000_000;

/** plan → (review, test) → merge, recorded in a ledger. */
async function workflow(): Promise<{ ledger: Ledger; jti: Record<string, string> }> {
  const ledger = await Ledger.open({
    key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
    origin: 'example.org/ect-ledger',
    clock: () => RECORDED_AT,
  });
  const jti: Record<string, string> = {};
  const steps: [string, string, string[]][] = [
    ['plan', 'spiffe://example.org/planner', []],
    ['review', 'spiffe://example.org/reviewer', ['plan']],
    ['test', 'spiffe://example.org/tester', ['plan']],
    ['merge', 'spiffe://example.org/planner', ['review', 'test']],
  ];
  for (const [name, iss, pred] of steps) {
    jti[name] = randomUUID();
    const token = createECT(
      {
        iss,
        aud: 'spiffe://example.org/ledger',
        exec_act: name,
        wid: WID,
        jti: jti[name],
        pred: pred.map((p) => jti[p]!),
      },
      { key: agent.privateJwk, now: RECORDED_AT / 1000 - 5 },
    );
    await ledger.append({ token, level: 3 });
  }
  return { ledger, jti };
}

describe('a recorded workflow as OpenTelemetry spans', () => {
  test("CLM-5, CLM-8: the trace id is the wid's 32 hex digits; the span id is from the jti", () => {
    assert.equal(traceIdOf(WID), '3d2c1b0a9f8e4d7c8b6a5f4e3d2c1b0a');
    assert.equal(traceIdOf(WID.toLowerCase()), traceIdOf(WID));
    const other = createHash('sha256').update('not-a-uuid').digest('hex').slice(0, 32);
    assert.equal(traceIdOf('not-a-uuid'), other);
    assert.notEqual(traceIdOf('00000000-0000-0000-0000-000000000000'), '0'.repeat(32));
    const jti = randomUUID();
    assert.equal(spanIdOf(jti), createHash('sha256').update(jti).digest('hex').slice(0, 16));
    assert.equal(spanIdOf(jti.toUpperCase()), spanIdOf(jti));
  });

  test('LED-1, CLM-7: from a ledger: one span per task, parent and links from pred', async () => {
    const { ledger, jti } = await workflow();
    const exporter = new InMemorySpanExporter();
    await exportWorkflow({ ledger, wid: WID, exporter });
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((s) => s.name),
      ['plan', 'review', 'test', 'merge'],
    );
    const trace = '3d2c1b0a9f8e4d7c8b6a5f4e3d2c1b0a';
    for (const span of spans) {
      assert.equal(span.spanContext().traceId, trace);
      assert.equal(span.spanContext().spanId, spanIdOf(String(span.attributes['ect.jti'])));
      assert.equal(span.attributes['ect.wid'], WID);
      assert.equal(span.attributes['ect.level'], 3);
      assert.deepEqual(span.endTime, [RECORDED_AT / 1000, 0]);
      assert.deepEqual(span.startTime, [RECORDED_AT / 1000 - 5, 0]);
    }
    const [plan, review, , merge] = spans;
    assert.equal(plan!.parentSpanContext, undefined);
    assert.equal(review!.parentSpanContext?.spanId, spanIdOf(jti['plan']!));
    assert.equal(merge!.parentSpanContext?.spanId, spanIdOf(jti['review']!));
    assert.deepEqual(
      merge!.links.map((l) => l.context.spanId),
      [spanIdOf(jti['review']!), spanIdOf(jti['test']!)],
    );
    assert.equal(merge!.resource.attributes['service.name'], 'spiffe://example.org/planner');
    assert.equal(review!.resource.attributes['service.name'], 'spiffe://example.org/reviewer');
    assert.equal(merge!.attributes['ect.ledger.seq'], 4);
  });

  test('LED-12: from an evidence bundle: the spans of the ledger (deterministic ids)', async () => {
    const { ledger } = await workflow();
    const bundle = formatBundle(await exportBundle({ ledger, wid: WID }));
    const fromBundle = new InMemorySpanExporter();
    await exportWorkflow({ bundle, exporter: fromBundle });
    const fromLedger = new InMemorySpanExporter();
    await exportWorkflow({ ledger, wid: WID, exporter: fromLedger });
    const ids = (e: InMemorySpanExporter): string[] =>
      e
        .getFinishedSpans()
        .map(
          (s) =>
            `${s.spanContext().traceId}/${s.spanContext().spanId}/${s.parentSpanContext?.spanId}`,
        );
    assert.deepEqual(ids(fromBundle), ids(fromLedger));
    assert.equal(fromBundle.getFinishedSpans().length, 4);
  });

  test('CLM-8: tasks without a wid are in the trace of their root task', () => {
    const root = randomUUID();
    const child = randomUUID();
    const task = (jti: string, pred: string[], seq: number): RecordedTask => ({
      seq,
      level: 2,
      recordedAt: RECORDED_AT,
      token: 'x',
      claims: { jti, pred, iss: 'spiffe://a', exec_act: 'step', iat: RECORDED_AT / 1000 },
    });
    const spans = workflowSpans({ tasks: [task(child, [root], 2), task(root, [], 1)] });
    assert.deepEqual(
      spans.map((s) => s.spanContext().traceId),
      [traceIdOf(root), traceIdOf(root)],
    );
    assert.equal(spans[1]!.parentSpanContext?.spanId, spanIdOf(root));
  });

  test('a failing exporter rejects the export', async () => {
    const { ledger } = await workflow();
    const exporter = new InMemorySpanExporter();
    await exporter.shutdown();
    await assert.rejects(exportWorkflow({ ledger, wid: WID, exporter }));
  });
});
