// The same activities under a real Temporal worker and the run's dev server: a 4xx deferral is retried by
// Temporal until it goes through, a 5xx is attempted once and returned as a recorded failure, and the history
// holds no address.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type DecideStepInput } from '../../activities';
import {
  createHttpSmsTransport,
  createSmtpTransport,
  startSmsSink,
  startSmtpSink,
  type SmsSink,
  type SmtpSink,
} from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from './contacts';
import type { ProbeResult } from './workflows/deliver-probe';

const AT = '2026-03-04T11:00:00.000Z';
const quiet = { info: () => undefined, warn: () => undefined };

let db: TestDatabase;
let smtp: SmtpSink;
let sms: SmsSink;
let rules: RuleSource;
let client: Client;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `activities-${randomUUID()}`;
const deferredTimes = new Map<string, number>();

beforeAll(async () => {
  // This file runs in its own process: keep the worker's expected activity-failure warnings out of the output.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  db = await createTestDatabase();
  smtp = await startSmtpSink({
    rejectRecipients: (r) => r.startsWith('bounce'),
    deferRecipients: (r) => {
      const left = deferredTimes.get(r) ?? 0;
      deferredTimes.set(r, left - 1);
      return left > 0;
    },
  });
  sms = await startSmsSink();
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  const address = inject('temporalAddress');
  native = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows/deliver-probe.ts', import.meta.url)),
    activities: createActivities({
      pool: db.pool,
      rules,
      log: quiet,
      transports: {
        email: createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' }),
        sms: createHttpSmsTransport({
          baseUrl: sms.url,
          accountSid: 'ACtest',
          authToken: 't',
          from: '+15005550006',
        }),
      },
    }),
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
  rules?.close();
  await smtp?.close();
  await sms?.close();
  await db?.drop();
});

async function runProbe(contact: { id: string; email: string }, step: string) {
  const workflowId = `probe:${contact.id}:${randomUUID()}`;
  const input: DecideStepInput = {
    workflowId,
    runChain: 'chain-1',
    runId: 'run-1',
    messageKey: `${workflowId}/chain-1/${step}`,
    clockOffsetMs: Date.parse(AT) - Date.now(),
    step,
    contactId: contact.id,
    message: { channel: 'email', type: 'welcome', template: 'welcome-1-email' },
    at: AT,
  };
  const handle = await client.workflow.start('deliverProbe', { taskQueue, workflowId, args: [input] });
  const result = (await handle.result()) as ProbeResult;
  const history = JSON.stringify(await handle.fetchHistory());
  const { rows } = await db.pool.query<{ state: string; attempts: number }>(
    'SELECT state, attempts FROM outbox WHERE idempotency_key = $1',
    [input.messageKey],
  );
  return { result, history, row: rows[0] };
}

describe('delivery under Temporal retries', () => {
  it('retries a 4xx deferral until the message goes through, and sends it once', async () => {
    const c = { id: 'c-deferred', email: 'deferred@example.com', first_name: 'Dee' };
    await seedContact(db.pool, c);
    deferredTimes.set(c.email, 2);
    const { result, history, row } = await runProbe(c, 'w0');
    expect(result.delivery).toMatchObject({ state: 'sent', channel: 'email' });
    expect(row).toEqual({ state: 'sent', attempts: 3 });
    expect(smtp.messages().filter((m) => m.to.includes(c.email))).toHaveLength(1);
    expect(history).not.toContain(c.email);
  });

  it('does not retry a 5xx rejection, and returns it as a recorded failure instead of failing the workflow', async () => {
    const c = { id: 'c-bounce', email: 'bounce@example.com', first_name: 'Bo' };
    await seedContact(db.pool, c);
    const { result, history, row } = await runProbe(c, 'w0');
    expect(result.failure).toBeUndefined();
    expect(result.delivery).toMatchObject({ state: 'failed', failure: { kind: 'recipient-refused' } });
    expect(row).toEqual({ state: 'failed', attempts: 1 });
    expect(history).not.toContain(c.email);
  });
});
