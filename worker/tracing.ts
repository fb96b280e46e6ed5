// Traces from a worker, when an OTLP endpoint is configured (client/tracing-config.ts): the interceptors package's
// activity interceptors (a span per activity attempt, child of the workflow span that scheduled it), its
// workflow interceptors (in the traced workflow bundle, worker/bundle.ts) and the `exporter` sink through which
// the workflow sandbox hands its spans to this process's exporter. Loaded by dynamic import only: an untraced
// worker loads no OpenTelemetry module.
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { installTracing, tracingPackagesMissing, type ProcessTracing } from '../client/tracing';
import type { TracingConfig } from '../client/tracing-config';

export interface WorkerTracing {
  tracing: ProcessTracing;
  activity: ActivityInterceptorsFactory[];
  // The sink's argument types are the package's own; Worker.create takes any injected sinks.
  sinks: InjectedSinks<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * What of a workflow's info its spans carry. The package's sink copies the whole WorkflowInfo onto every
 * workflow span (memo, search attributes, last result and failure, retry policy…): unbounded, and a memo or a
 * result is data, not an identifier. Kept: what finds the run in Temporal and which build ran it.
 */
export const TRACED_WORKFLOW_INFO = [
  'workflowId',
  'runId',
  'workflowType',
  'taskQueue',
  'namespace',
  'attempt',
  'historyLength',
  'currentBuildId',
] as const satisfies readonly (keyof WorkflowInfo)[];

export function tracedWorkflowInfo(info: WorkflowInfo): WorkflowInfo {
  const kept: Partial<Record<keyof WorkflowInfo, unknown>> = {};
  for (const key of TRACED_WORKFLOW_INFO) if (info[key] !== undefined) kept[key] = info[key];
  return kept as WorkflowInfo;
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
    sinks: { exporter: workflowExporter(makeWorkflowExporter(tracing.spanProcessor, tracing.resource)) },
  };
}

/** The package's workflow span sink, given only the traced part of the workflow info. */
function workflowExporter<S extends { export: { fn: (info: WorkflowInfo, ...rest: never[]) => void } }>(
  sink: S,
): S {
  const inner = sink.export;
  return {
    ...sink,
    export: {
      ...inner,
      fn: (info: WorkflowInfo, ...rest: never[]) => inner.fn(tracedWorkflowInfo(info), ...rest),
    },
  };
}
