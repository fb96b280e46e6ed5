// Where the worker serves its Prometheus metrics: `consentflow worker --metrics-port PORT`, or
// CONSENTFLOW_METRICS_PORT (and CONSENTFLOW_METRICS_HOST, default 0.0.0.0 so a Prometheus elsewhere can
// scrape it). No port: no endpoint, as before.
import { CliError } from '../client/cli/errors';

export interface MetricsEndpoint {
  host: string;
  port: number;
}

export function parseMetricsPort(raw: string, what = '--metrics-port'): number {
  const port = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || port < 1 || port > 65535)
    throw new CliError(`${what} "${raw}" is not a port (1-65535); e.g. ${what} 9464`, 2);
  return port;
}

export function metricsEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsEndpoint | undefined {
  const raw = env.CONSENTFLOW_METRICS_PORT;
  if (raw === undefined || raw === '') return undefined;
  return {
    host: env.CONSENTFLOW_METRICS_HOST || '0.0.0.0',
    port: parseMetricsPort(raw, 'CONSENTFLOW_METRICS_PORT'),
  };
}
