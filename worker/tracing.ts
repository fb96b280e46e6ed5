// Traces from a worker, when an OTLP endpoint is configured (client/tracing-config.ts): the interceptors package's
// activity interceptors (a span per activity attempt, child of the workflow span that scheduled it), its
// workflow interceptors (in the traced workflow bundle, worker/bundle.ts) and the `exporter` sink through which
// the workflow sandbox hands its spans to this process's exporter. Loaded by dynamic import only: an untraced
// worker loads no OpenTelemetry module.
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { installTracing, tracingPackagesMissing, type ProcessTracing } from '../client/tracing';
import type { TracingConfig } from '../client/tracing-config';

export interface WorkerTracing {
  tracing: ProcessTracing;
  activity: ActivityInterceptorsFactory[];
  // The sink's argument types are the package's own; Worker.create takes any injected sinks.
  sinks: InjectedSinks<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function startWorkerTracing(config: TracingConfig): Promise<WorkerTracing> {
  const tracing = await installTracing(config);
  let otel;
  try {
    otel = await import('@temporalio/interceptors-opentelemetry/lib/worker/index.js');
  } catch (err) {
    throw tracingPackagesMissing(config, err);
  }
  const {
    OpenTelemetryActivityInboundInterceptor,
    OpenTelemetryActivityOutboundInterceptor,
    makeWorkflowExporter,
  } = otel;
  return {
    tracing,
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    // Workflow spans are exported by the worker process (the sandbox has no network), with its resource.
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
