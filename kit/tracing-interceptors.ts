import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { patched, type WorkflowInboundCallsInterceptor, type WorkflowInterceptors, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/**
 * The workflow interceptors every bundle carries (lib/workflow-bundle.ts): OpenTelemetry's, for runs that started with
 * them. OpenTelemetry's interceptors await before an update or signal handler runs, which moves an update's completion
 * against the commands around it, so a run recorded without them fails to replay through them
 * (`UpsertWorkflowSearchAttributesMachine does not handle … WorkflowExecutionUpdateCompleted`). A run therefore decides
 * once, as it starts, with `patched('otel-tracing')`: runs from before replay exactly as they ran, untraced; runs from
 * now on are traced whether or not a worker exports their spans (see lib/telemetry.ts).
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
