// Everything a running worker needs, assembled from settings: PostgreSQL (migrated), the watched rule folder,
// the transports, the activities and the Temporal worker itself.
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSmtpTransport } from '../activities/transports/email';
import { createHttpSmsTransport } from '../activities/transports/sms';
import type { Transports } from '../activities/transports/types';
import { closeTransports } from '../activities/transports';
import { createRuleSource, type RuleSource } from '../rules';
import type { Settings } from '../client/config';
import { TemporalUnreachableError } from '../client/temporal';
import { assertReachable, createPool, ensureDatabase, type Pool } from '../db/pool';
import { migrate } from '../db/migrate';
import { createWorker } from './create-worker';

export interface WorkerRuntimeOptions {
  log?: (line: string) => void;
  /** Overrides the transports built from SMTP_URL / SMS_API_URL (the demo and tests pass their sinks). */
  transports?: Transports;
  pool?: Pool;
}

export interface WorkerRuntime {
  address: string;
  taskQueue: string;
  pool: Pool;
  rules: RuleSource;
  worker: Worker;
  stop(): Promise<void>;
}

export function transportsFromEnv(env: NodeJS.ProcessEnv = process.env): Transports {
  const missing = (name: string, example: string) => () => {
    throw new Error(
      `${name} is not set: no ${name.startsWith('SMTP') ? 'email' : 'SMS'} transport. Set it, e.g. ${name}=${example}.`,
    );
  };
  return {
    email: env.SMTP_URL
      ? createSmtpTransport({
          url: env.SMTP_URL,
          from: env.SMTP_FROM ?? 'consentflow <hello@consentflow.invalid>',
        })
      : { sendEmail: missing('SMTP_URL', 'smtp://127.0.0.1:2525') },
    sms: env.SMS_API_URL
      ? createHttpSmsTransport({
          baseUrl: env.SMS_API_URL,
          accountSid: env.SMS_ACCOUNT_SID ?? 'AC_consentflow',
          authToken: env.SMS_AUTH_TOKEN ?? 'dev-token',
          from: env.SMS_FROM ?? '+15005550006',
        })
      : { sendSms: missing('SMS_API_URL', 'http://127.0.0.1:8025') },
  };
}

/** SDK logs at WARN unless CONSENTFLOW_LOG_LEVEL says otherwise; a process installs its runtime once. */
function installRuntime(): void {
  const level = (process.env.CONSENTFLOW_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* already installed by this process */
  }
}

export async function startWorkerRuntime(
  settings: Settings,
  opts: WorkerRuntimeOptions = {},
): Promise<WorkerRuntime> {
  const log = opts.log ?? (() => undefined);
  installRuntime();
  let pool = opts.pool;
  if (!pool) {
    await ensureDatabase(settings.databaseUrl);
    await migrate(settings.databaseUrl, log);
    // At least as many connections as concurrent activities, so deliveries do not queue for the pool.
    pool = createPool(settings.databaseUrl, 25);
    await assertReachable(pool, settings.databaseUrl);
  }
  const rules = createRuleSource(settings.rulesDir, { watch: true, log });
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: settings.temporalAddress });
  } catch (err) {
    rules.close();
    throw new TemporalUnreachableError(settings.temporalAddress, err);
  }
  const transports = opts.transports ?? transportsFromEnv();
  const activities = createActivities({ pool, rules, transports });
  const worker = await createWorker({
    connection,
    namespace: settings.temporalNamespace,
    taskQueue: settings.taskQueue,
    activities,
    maxConcurrentActivityTaskExecutions: 20,
  });
  const running = worker.run();
  running.catch((err: unknown) => log(`worker stopped: ${(err as Error).message}`));
  const ownPool = !opts.pool;
  return {
    address: settings.temporalAddress,
    taskQueue: settings.taskQueue,
    pool,
    rules,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      rules.close();
      await closeTransports(transports);
      if (ownPool) await pool.end();
    },
  };
}
