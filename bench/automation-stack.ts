// The automation benchmark's set-up: a headless dev server, the production worker runtime wired to the local
// sinks, a client, and contacts written through the contact store.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { loadSettings } from '../client/config';
import { startDevServer, type DevServer } from '../client/dev-server';
import { createSmtpTransport } from '../activities/transports/email';
import { createHttpSmsTransport } from '../activities/transports/sms';
import type { SmsSink } from '../activities/transports/sinks/sms-sink';
import type { SmtpSink } from '../activities/transports/sinks/smtp-sink';
import { upsertContact } from '../db/contacts/store';
import { startWorkerRuntime, type WorkerRuntime } from '../worker/runtime';
import { freePort, mapLimit, type BenchDatabase } from './support';

export const TASK_QUEUE = 'consentflow-bench';

export interface Stack {
  server: DevServer;
  runtime: WorkerRuntime;
  connection: Connection;
  client: Client;
  stop(): Promise<void>;
}

export async function startStack(
  stateDir: string,
  pragmas: Record<string, string>,
  db: BenchDatabase,
  smtp: SmtpSink,
  sms: SmsSink,
): Promise<Stack> {
  const server = await startDevServer({
    stateDir,
    port: await freePort(),
    headless: true,
    sqlitePragmas: pragmas,
  });
  const settings = loadSettings();
  const runtime = await startWorkerRuntime(
    { ...settings, temporalAddress: server.address, taskQueue: TASK_QUEUE, databaseUrl: db.url },
    {
      pool: db.pool,
      bench: {
        workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
        activities: { noop: () => Promise.resolve() },
      },
      transports: {
        email: createSmtpTransport({ url: smtp.url, from: 'Bench Shop <shop@bench.example>' }),
        sms: createHttpSmsTransport({
          baseUrl: sms.url,
          accountSid: 'ACbench',
          authToken: 'bench',
          from: '+15005550006',
        }),
      },
    },
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: settings.temporalNamespace });
  return {
    server,
    runtime,
    connection,
    client,
    async stop() {
      await connection.close();
      await runtime.stop();
      await server.stop();
    },
  };
}

/** Subscribed GB buyers, by email and SMS: every confirmation is sent. */
export async function seedContacts(db: BenchDatabase, n: number): Promise<string[]> {
  return mapLimit(
    Array.from({ length: n }, (_, i) => i),
    8,
    (i) =>
      upsertContact(
        db.pool,
        {
          id: `bench-contact-${i}`,
          email: `buyer${i}@bench.example`,
          phone: `+4477009${String(i).padStart(5, '0')}`,
          country: 'GB',
          timezone: 'Europe/London',
          status: 'subscribed',
          resource: 'shop',
          email_status: 'subscribed',
          sms_status: 'subscribed',
        },
        'api',
      ),
  );
}
