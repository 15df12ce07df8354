import { trace, type Attributes } from '@opentelemetry/api';

/**
 * Adds a finished wait for people (a gate, an operator's decision) to the run's trace, as one span from when the wait
 * began to when it ended. The span is made once the wait is over, with both times given, so nothing spans workflow
 * tasks or worker restarts; the workflow interceptors that the bundle carries export it (never on replay) under the
 * run's `RunWorkflow` span. Without them the tracer is OpenTelemetry's no-op one.
 */
export function traceWait(name: string, startedAtMs: number, endedAtMs: number, attributes: Attributes): void {
  trace.getTracer('lifeboat').startSpan(name, { startTime: startedAtMs, attributes }).end(Math.max(startedAtMs, endedAtMs));
}
