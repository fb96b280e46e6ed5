// Whether this process sends OpenTelemetry traces, read from the variables every OpenTelemetry SDK reads: an
// OTLP endpoint turns tracing on (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, used as is, or OTEL_EXPORTER_OTLP_ENDPOINT
// with /v1/traces appended), OTEL_SERVICE_NAME names the service (default consentflow-worker for a worker,
// consentflow-client for a process that only starts and signals workflows). Nothing set:
// no tracing, and no OpenTelemetry module is ever loaded (client/tracing.ts is imported only when this says so).
import { CliError } from './cli/errors';

export const DEFAULT_SERVICE_NAME = 'consentflow-worker';
export const DEFAULT_CLIENT_SERVICE_NAME = 'consentflow-client';

export interface TracingConfig {
  /** Where spans go: the full OTLP/HTTP traces URL. */
  url: string;
  serviceName: string;
  /** The variable the URL came from, for messages. */
  source: string;
}

/**
 * The tracing configuration of the environment, or undefined when no OTLP endpoint is set, or when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none say so (the standard switches). A malformed endpoint or
 * an unsupported protocol is bad input (exit 2): a silently untraced worker is worse than one that stops.
 */
export function tracingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  defaultServiceName = DEFAULT_SERVICE_NAME,
): TracingConfig | undefined {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporters === 'none') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const source = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const raw = traces || base;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(
      `${source} "${raw}" is not an http(s) URL; e.g. ${source}=http://127.0.0.1:4318` +
        (traces ? '/v1/traces' : ''),
      2,
    );
  if (exporters && exporters !== 'otlp')
    throw new CliError(
      `OTEL_TRACES_EXPORTER "${env.OTEL_TRACES_EXPORTER}" is not supported: consentflow exports traces over ` +
        `OTLP only (otlp, or none to turn tracing off)`,
      2,
    );
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || '').trim();
  if (protocol === 'grpc')
    throw new CliError(
      `OTEL_EXPORTER_OTLP_PROTOCOL "grpc" is not supported: consentflow sends traces as OTLP over HTTP ` +
        `(http/json); point ${source} at the collector's HTTP port (4318) and unset the protocol`,
      2,
    );
  const href = traces ? url.href : `${url.href.replace(/\/+$/, '')}/v1/traces`;
  return { url: href, serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName, source };
}
