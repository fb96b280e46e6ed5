// A real stack for workflow tests: the run's dev server, an isolated database, the real rule files, a local
// SMTP server and SMS sink, and a worker on a task queue of its own.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { createSmtpTransport } from '../../activities/transports/email';
import { createHttpSmsTransport } from '../../activities/transports/sms';
import { startSmsSink, type SmsSink, type SmsSinkOptions } from '../../activities/transports/sinks/sms-sink';
import {
  startSmtpSink,
  type SmtpSink,
  type SmtpSinkOptions,
} from '../../activities/transports/sinks/smtp-sink';
import { createAutomationClient, type AutomationClient } from '../../client/automations';
import { REPO_ROOT } from '../../client/config';
import { createRuleSource, type RuleSource } from '../../rules';
import { createWorker } from '../../worker/create-worker';
import type { AutomationResult } from '../../contracts/automation-result';
import type { LinkConfig } from '../../contracts/link-config';
import { createTestDatabase, type TestDatabase } from './db';

export const DAYTIME = '2026-11-24T14:00:00.000Z';

export interface HarnessOptions {
  /** Multiplies automation durations; default: a day takes 200 ms. */
  timeScale?: number;
  smtp?: SmtpSinkOptions;
  sms?: SmsSinkOptions;
  /** Where the emails' consent links point and what signs them (a test's own server); default: environment. */
  links?: LinkConfig;
  /** The worker's activities as a test changes them (a slow page, say); default: as built. */
  wrapActivities?: (activities: ReturnType<typeof createActivities>) => ReturnType<typeof createActivities>;
}

export interface Harness {
  db: TestDatabase;
  client: Client;
  taskQueue: string;
  smtp: SmtpSink;
  sms: SmsSink;
  rules: RuleSource;
  /**
   * The virtual instant new workflows start at. Defaults to an afternoon in Europe (morning in New York), so a
   * marketing SMS is not held by quiet hours whenever the suite happens to run; undefined means real time.
   */
  clockStart: string | undefined;
  automations: AutomationClient;
  /** An automation client on this harness's queue and clock, at another pace (e.g. 2_000 / 86_400_000). */
  automationsAt(timeScale: number): AutomationClient;
  /** The result of an automation run (waits for it to end). */
  result(workflowId: string): Promise<AutomationResult>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  if (!runtimeInstalled) {
    // Worker state changes at INFO drown the test output; warnings and errors still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const db = await createTestDatabase();
  const smtp = await startSmtpSink(opts.smtp);
  const sms = await startSmsSink(opts.sms);
  const rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `test-${randomUUID()}`;
  const transports = {
    email: createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' }),
    sms: createHttpSmsTransport({
      baseUrl: sms.url,
      accountSid: 'ACtest',
      authToken: 'token',
      from: '+15005550006',
    }),
  };
  let native: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  const harness: Harness = {
    db,
    client,
    taskQueue,
    smtp,
    sms,
    rules,
    clockStart: DAYTIME,
    automations: undefined as unknown as AutomationClient,
    automationsAt(timeScale) {
      return createAutomationClient({ client, taskQueue, timeScale, clockStart: () => harness.clockStart });
    },
    async result(workflowId) {
      return (await client.workflow.getHandle(workflowId).result()) as AutomationResult;
    },
    async startWorker() {
      native = await NativeConnection.connect({ address });
      worker = await createWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        activities: (opts.wrapActivities ?? ((a) => a))(
          createActivities({
            pool: db.pool,
            rules,
            transports,
            ...(opts.links ? { links: opts.links } : {}),
          }),
        ),
      });
      running = worker.run();
    },
    async stopWorker() {
      worker?.shutdown();
      await running;
      await native?.close();
      worker = undefined;
    },
    async close() {
      await harness.stopWorker();
      await connection.close();
      rules.close();
      await smtp.close();
      await sms.close();
      await db.drop();
    },
  };
  harness.automations = createAutomationClient({
    client,
    taskQueue,
    timeScale: opts.timeScale ?? 200 / 86_400_000,
    clockStart: () => harness.clockStart,
  });
  await harness.startWorker();
  return harness;
}
