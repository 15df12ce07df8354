import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptors, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/**
 * The workflow interceptors every bundle carries (lib/workflow-bundle.ts): OpenTelemetry's, on every run, whether or
 * not a worker exports their spans (see lib/telemetry.ts). OpenTelemetry's interceptors await before an update or
 * signal handler runs, which moves an update's completion against the commands around it, so taking them out, or
 * handing them another call, changes the history of runs in flight: do either only behind `patched()`. The calls
 * they see are named one by one for that reason (their metric tags and disposal are not theirs to change).
 */
export const interceptors = (): WorkflowInterceptors => {
  const otelInbound = new OpenTelemetryInboundInterceptor();
  const otelOutbound = new OpenTelemetryOutboundInterceptor();
  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => otelInbound.execute(input, next),
    handleSignal: (input, next) => otelInbound.handleSignal(input, next),
    handleUpdate: (input, next) => otelInbound.handleUpdate(input, next),
    validateUpdate: (input, next) => otelInbound.validateUpdate(input, next),
    handleQuery: (input, next) => otelInbound.handleQuery(input, next),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => otelOutbound.scheduleActivity(input, next),
    scheduleLocalActivity: (input, next) => otelOutbound.scheduleLocalActivity(input, next),
    startChildWorkflowExecution: (input, next) => otelOutbound.startChildWorkflowExecution(input, next),
    continueAsNew: (input, next) => otelOutbound.continueAsNew(input, next),
    signalWorkflow: (input, next) => otelOutbound.signalWorkflow(input, next),
    startNexusOperation: (input, next) => otelOutbound.startNexusOperation(input, next),
    getLogAttributes: (input, next) => otelOutbound.getLogAttributes(input, next),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [new OpenTelemetryInternalsInterceptor()] };
};
