import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { CliError, ExitCode } from './command-error';
import { visibleLogFunction } from './terminal-text';

/** Where a worker sends what it measures; either may be off. */
export interface TelemetrySettings {
  /** `host:port` the Prometheus endpoint (`/metrics`) listens on; off when absent. */
  metricsAddress?: string;
  /** Base URL of an OTLP/HTTP receiver (`http://collector:4318`); spans go to `<url>/v1/traces`. Off when absent. */
  otlpEndpoint?: string;
  /** The `service.name` spans carry. */
  serviceName: string;
}

/**
 * Reads the telemetry settings: flags first, then LIFEBOAT_METRICS_ADDRESS and the OpenTelemetry variables
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which is the full URL, or OTEL_EXPORTER_OTLP_ENDPOINT, the base; OTEL_SERVICE_NAME).
 */
export function telemetrySettingsFrom(flags: { metricsAddress?: string; otlpEndpoint?: string }, env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const metricsAddress = flags.metricsAddress ?? env.LIFEBOAT_METRICS_ADDRESS;
  if (metricsAddress !== undefined && !/^[^\s:]+:\d{1,5}$/.test(metricsAddress)) {
    throw new CliError(`metrics address "${metricsAddress}" is not host:port`, {
      code: 'bad-metrics-address',
      suggestion: 'pass --metrics-address 127.0.0.1:9464 (or 0.0.0.0:9464 to let Prometheus reach it from another machine)',
      exitCode: ExitCode.usage,
    });
  }
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const otlpEndpoint = flags.otlpEndpoint ?? (tracesUrl ? tracesUrl.replace(/\/v1\/traces\/?$/, '') : env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return {
    ...(metricsAddress ? { metricsAddress } : {}),
    ...(otlpEndpoint ? { otlpEndpoint: otlpEndpoint.replace(/\/+$/, '') } : {}),
    serviceName: env.OTEL_SERVICE_NAME ?? 'lifeboat-worker',
  };
}

/**
 * Installs the SDK runtime once per process: the log level, and the Prometheus endpoint when asked for. The SDK's
 * own metrics (`temporal_…`) and the runs' (`lifeboat_…`, from the kit) share it; durations are in seconds.
 */
export function installRuntime(settings: Pick<TelemetrySettings, 'metricsAddress'>, env: NodeJS.ProcessEnv = process.env): void {
  const debug = env.LIFEBOAT_LOG_LEVEL === 'debug';
  if (debug && !settings.metricsAddress) return;
  Runtime.install({
    // Log lines carry free text from runs (errors, names); control sequences in them are shown, not obeyed.
    ...(debug ? {} : { logger: new DefaultLogger((env.LIFEBOAT_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO', visibleLogFunction()) }),
    ...(settings.metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: settings.metricsAddress,
                useSecondsForDurations: true,
                histogramBucketOverrides: { lifeboat_gate_wait_seconds: gateWaitBuckets },
              },
            },
          },
        }
      : {}),
  });
}

/** Gate waits run from seconds (a drill's policy) to days (a manual-booking-mode run); buckets in seconds, up to 2 days. */
const gateWaitBuckets = [1, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800];

/** What a worker adds to its options to trace runs, and how to flush the spans still buffered when it stops. */
export interface Tracing {
  options: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  shutdown(): Promise<void>;
}

/**
 * Traces runs to an OTLP/HTTP receiver (JSON): activities through the SDK's interceptors, and workflow spans (the run,
 * each activity it schedules, signals, updates, and the kit's `gate:<name>` wait spans) through the workflow
 * interceptors that the bundle always carries and a sink that exports them. Without an endpoint the sink drops
 * workflow spans and activities are not traced.
 */
export function createTracing(settings: TelemetrySettings): Tracing {
  if (!settings.otlpEndpoint) return { options: { sinks: { exporter: { export: { fn: () => undefined } } } }, shutdown: async () => undefined };
  const resource = new Resource({ 'service.name': settings.serviceName });
  const processor: SpanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.otlpEndpoint}/v1/traces` }), { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // The W3C propagator reads a run's trace from an activity's headers; the context manager keeps it while the activity runs.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('lifeboat');
  return {
    options: {
      interceptors: {
        activity: [
          (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}
