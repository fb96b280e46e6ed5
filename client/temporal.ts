// Connecting to Temporal with one clear error when it is not there. The address, namespace and transport (TLS,
// mTLS, API key) come from the settings, which read them as Temporal's tools do (client/temporal-config.ts).
import { Client, Connection } from '@temporalio/client';
import type { Settings } from './config';
import { connectionOptions, type TemporalTransport } from './temporal-config';
import { DEFAULT_CLIENT_SERVICE_NAME, tracingFromEnv } from './tracing-config';

export class TemporalUnreachableError extends Error {
  constructor(address: string, cause: unknown, transport?: TemporalTransport) {
    super(
      `Temporal is not reachable at ${address} (${(cause as Error).message ?? String(cause)}). ` +
        (transport
          ? `The connection settings come from ${transport.source}: check its address, TLS files and API key.`
          : `Start the dev server with \`consentflow dev\`, or set TEMPORAL_ADDRESS (or a Temporal ` +
            `config profile, TEMPORAL_PROFILE) to your cluster.`),
    );
    this.name = 'TemporalUnreachableError';
  }
}

export async function connectClient(
  settings: Pick<Settings, 'temporalAddress' | 'temporalNamespace'> &
    Partial<Pick<Settings, 'temporalTransport'>>,
): Promise<Client> {
  // With an OTLP endpoint configured (client/tracing-config.ts), a trace starts at every workflow start; a
  // malformed one is bad input before anything connects.
  const tracing = tracingFromEnv(process.env, DEFAULT_CLIENT_SERVICE_NAME);
  const interceptors = tracing
    ? { workflow: await (await import('./tracing')).clientTracingInterceptors(tracing) }
    : undefined;
  const target = { address: settings.temporalAddress, transport: settings.temporalTransport };
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(target), connectTimeout: 5_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new TemporalUnreachableError(target.address, err, target.transport);
  }
  return new Client({
    connection,
    namespace: settings.temporalNamespace,
    ...(interceptors ? { interceptors } : {}),
  });
}
