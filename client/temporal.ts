// Connecting to Temporal with one clear error when it is not there.
import { Client, Connection } from '@temporalio/client';
import type { Settings } from './config';

export class TemporalUnreachableError extends Error {
  constructor(address: string, cause: unknown) {
    super(
      `Temporal is not reachable at ${address} (${(cause as Error).message ?? String(cause)}). ` +
        `Start the dev server with \`consentflow dev\`, or set TEMPORAL_ADDRESS to your cluster.`,
    );
    this.name = 'TemporalUnreachableError';
  }
}

export async function connectClient(
  settings: Pick<Settings, 'temporalAddress' | 'temporalNamespace'>,
): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: settings.temporalAddress, connectTimeout: 5_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new TemporalUnreachableError(settings.temporalAddress, err);
  }
  return new Client({ connection, namespace: settings.temporalNamespace });
}
