/**
 * `wimse-ect/otel`: ECTs in OpenTelemetry (`@opentelemetry/api`, an optional peer; without it the
 * wrappers do nothing). Opt-in instrumentation of creating, verifying and recording ECTs (spans and
 * metrics), and an exporter that turns a recorded workflow into spans. docs/otel.md documents the
 * attributes and the mapping of ECT ids to W3C trace context.
 * @module wimse-ect/otel
 */
export { spanIdOf, traceIdOf } from './ids.js';
export {
  createECTInstrumentation,
  DEFAULT_REMEMBERED_SPANS,
  INSTRUMENTATION_NAME,
  instrumentVerifier,
  METRIC_REJECTIONS,
  METRIC_VERIFY_DURATION,
  SPAN_CREATE,
  SPAN_RECORD,
  SPAN_VERIFY,
  type ECTInstrumentation,
  type ECTInstrumentationOptions,
} from './instrument.js';
export {
  bundleTasks,
  exportSpans,
  exportWorkflow,
  ledgerTasks,
  spanResource,
  workflowSpans,
  type ExportOutcome,
  type ExportWorkflowOptions,
  type RecordedTask,
  type SpanExporterLike,
  type SpanResource,
  type WorkflowSpan,
  type WorkflowSpansOptions,
} from './export.js';
