import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { patched, type WorkflowInboundCallsInterceptor, type WorkflowInterceptors, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/**
 * The workflow interceptors every product bundle carries (lib/workflow-bundle.ts): OpenTelemetry's. OpenTelemetry's
 * interceptors await before an update or signal handler runs, which moves an update's completion against the commands
 * around it, so a run recorded without them fails to replay through them
 * (`UpsertWorkflowSearchAttributesMachine does not handle … WorkflowExecutionUpdateCompleted`). A run therefore decides
 * once, as it starts, with `patched('otel-tracing')`: every run a product worker starts is traced, whether or not a
 * worker exports its spans (see lib/telemetry.ts), and a run recorded by a bundle without them (the tests' bundle, whose
 * histories test/observability/replay-traced.test.ts replays through this one) replays untraced, as it ran. This is not
 * a 0.x compatibility branch: it stays for as long as bundles without tracing record runs.
 */
export const interceptors = (): WorkflowInterceptors => {
  const otelInbound = new OpenTelemetryInboundInterceptor();
  const otelOutbound = new OpenTelemetryOutboundInterceptor();
  let traced = false;
  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      traced = patched('otel-tracing');
      return traced ? otelInbound.execute(input, next) : next(input);
    },
    handleSignal: (input, next) => (traced ? otelInbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (traced ? otelInbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (traced ? otelInbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (traced ? otelInbound.handleQuery(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (traced ? otelOutbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (traced ? otelOutbound.scheduleLocalActivity(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) => (traced ? otelOutbound.startChildWorkflowExecution(input, next) : next(input)),
    continueAsNew: (input, next) => (traced ? otelOutbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (traced ? otelOutbound.signalWorkflow(input, next) : next(input)),
    startNexusOperation: (input, next) => (traced ? otelOutbound.startNexusOperation(input, next) : next(input)),
    getLogAttributes: (input, next) => (traced ? otelOutbound.getLogAttributes(input, next) : next(input)),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [new OpenTelemetryInternalsInterceptor()] };
};
