// OpenTelemetry tracing for one process, loaded only when client/tracing-config.ts finds an OTLP endpoint
// (a dynamic import: without one, no OpenTelemetry module is loaded). One tracer provider per process, with
// the W3C trace-context propagator the Temporal interceptors carry in workflow and activity headers, an
// AsyncLocalStorage context manager so a span started around a call is the parent of what the call does,
// and a batch processor exporting OTLP over HTTP (JSON). The packages are optional dependencies: a
// configured endpoint without them installed is one clear error.
import type { Resource } from '@opentelemetry/resources';
import type { BasicTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { CliError } from './cli/errors';
import type { TracingConfig } from './tracing-config';

export interface ProcessTracing {
  config: TracingConfig;
  provider: BasicTracerProvider;
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered; called before a short process exits and when a worker stops. */
  flush(): Promise<void>;
}

let installed: Promise<ProcessTracing> | undefined;

/** A configured endpoint with the optional packages missing: what to install, or what to unset. */
export function tracingPackagesMissing(config: TracingConfig, err: unknown): CliError {
  const detail = (err as Error).message?.split('\n')[0] ?? String(err);
  return new CliError(
    `${config.source} is set, so traces are exported, but the OpenTelemetry packages are not installed ` +
      `(${detail}). Install them (npm install @temporalio/interceptors-opentelemetry ` +
      `@opentelemetry/exporter-trace-otlp-http @opentelemetry/sdk-trace-base @opentelemetry/resources ` +
      `@opentelemetry/context-async-hooks), or unset ${config.source} to run without traces.`,
    2,
  );
}

/** This process's tracing, installed on first use with the first configuration. */
export function installTracing(config: TracingConfig): Promise<ProcessTracing> {
  installed ??= load(config).catch((err: unknown) => {
    installed = undefined;
    throw err;
  });
  return installed;
}

async function load(config: TracingConfig): Promise<ProcessTracing> {
  let mods;
  try {
    mods = await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/context-async-hooks'),
    ]);
  } catch (err) {
    throw tracingPackagesMissing(config, err);
  }
  const [{ BasicTracerProvider, BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }, hooks] = mods;
  const resource = Resource.default().merge(new Resource({ 'service.name': config.serviceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.url }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: the Temporal interceptors take their tracer, propagator and context from the OpenTelemetry API.
  provider.register({ contextManager: new hooks.AsyncLocalStorageContextManager().enable() });
  const flush = () => provider.forceFlush().catch(() => undefined);
  // A short CLI call (starting a workflow) ends before the batch is due: export it on the way out.
  process.once('beforeExit', () => void provider.shutdown().catch(() => undefined));
  return { config, provider, spanProcessor, resource, flush };
}

/** The client interceptor that starts a trace at every workflow start, signal and query of this client. */
export async function clientTracingInterceptors(config: TracingConfig): Promise<WorkflowClientInterceptor[]> {
  await installTracing(config);
  let mod;
  try {
    mod = await import('@temporalio/interceptors-opentelemetry/lib/client/index.js');
  } catch (err) {
    throw tracingPackagesMissing(config, err);
  }
  return [new mod.OpenTelemetryWorkflowClientInterceptor()];
}
