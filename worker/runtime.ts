// Everything a running worker needs, assembled from settings: PostgreSQL (migrated), the watched rule folder,
// the transports, the activities and the Temporal worker itself.
import {
  DefaultLogger,
  Runtime,
  type LogLevel,
  type NativeConnection,
  type Worker,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadLinkConfig, type LinkConfig } from '../contracts/link-config';
import { createSmtpTransport } from '../activities/transports/email';
import { createHttpSmsTransport } from '../activities/transports/sms';
import { transportNotConfigured, type Transports } from '../activities/transports/types';
import { closeTransports } from '../activities/transports';
import { createRuleSource, type RuleSource } from '../rules';
import type { Settings } from '../client/config';
import { assertReachable, createPool, ensureDatabase, type Pool } from '../db/pool';
import { migrate } from '../db/migrate';
import { createWorker } from './create-worker';
import { connectTemporal, temporalWaitMsFromEnv } from './connect-temporal';
import { HISTOGRAM_BUCKETS } from './metrics';
import { versioningFromEnv, type VersioningSettings } from './versioning';
import { tracingFromEnv, type TracingConfig } from '../client/tracing-config';
import type { WorkerTracing } from './tracing';
import { metricsEndpointFromEnv, type MetricsEndpoint } from './metrics-endpoint';
import { MAX_CONCURRENT_ACTIVITIES, MAX_CONCURRENT_LOCAL_ACTIVITIES, POOL_MAX } from './limits';

export interface WorkerRuntimeOptions {
  log?: (line: string) => void;
  /** Warnings at start (a missing transport, a lost database connection); default: `log`. */
  warn?: (line: string) => void;
  /** How long to retry an unreachable Temporal at start (default: CONSENTFLOW_TEMPORAL_WAIT_SECONDS, or 60 s). */
  temporalWaitMs?: number;
  /** Overrides the transports built from SMTP_URL / SMS_API_URL (the demo and tests pass their sinks). */
  transports?: Transports;
  pool?: Pool;
  /** Where unsubscribe and preference links point and what signs them; default loadLinkConfig() (env). */
  links?: LinkConfig;
  /** Worker Deployment Versioning; default versioningFromEnv() (CONSENTFLOW_WORKER_VERSIONING). */
  versioning?: VersioningSettings;
  /** Serve Prometheus metrics here (default: CONSENTFLOW_METRICS_PORT, else none). */
  metrics?: MetricsEndpoint;
  /** Export traces over OTLP/HTTP (default: tracingFromEnv(), the OTEL_EXPORTER_OTLP_* variables, else none). */
  tracing?: TracingConfig;
  /** The benchmark's worker: its workflows module and the activities its baseline needs. */
  bench?: { workflowsPath: string; activities: object };
}

export interface WorkerRuntime {
  address: string;
  taskQueue: string;
  pool: Pool;
  rules: RuleSource;
  worker: Worker;
  /**
   * Settles when the Temporal worker stops: resolves after `stop()`, rejects when the worker failed on its own
   * (it then polls nothing, so a process should exit and let its supervisor restart it).
   */
  done: Promise<void>;
  stop(): Promise<void>;
}

const SMTP_EXAMPLE = 'smtp://127.0.0.1:2525';
const SMS_EXAMPLE = 'http://127.0.0.1:8025';

/**
 * The transports SMTP_URL and SMS_API_URL describe. A missing one fails every send with a `configuration`
 * DeliveryError: retried, never a permanent failure, so the messages go out once the operator sets it.
 */
export function transportsFromEnv(env: NodeJS.ProcessEnv = process.env): Transports {
  return {
    email: env.SMTP_URL
      ? createSmtpTransport({
          url: env.SMTP_URL,
          from: env.SMTP_FROM ?? 'consentflow <hello@consentflow.invalid>',
        })
      : {
          sendEmail: () => Promise.reject(transportNotConfigured('SMTP_URL', 'email', SMTP_EXAMPLE)),
        },
    sms: env.SMS_API_URL
      ? createHttpSmsTransport({
          baseUrl: env.SMS_API_URL,
          accountSid: env.SMS_ACCOUNT_SID ?? 'AC_consentflow',
          authToken: env.SMS_AUTH_TOKEN ?? 'dev-token',
          from: env.SMS_FROM ?? '+15005550006',
        })
      : { sendSms: () => Promise.reject(transportNotConfigured('SMS_API_URL', 'SMS', SMS_EXAMPLE)) },
  };
}

/** One warning line per transport the environment leaves out: what waits, and how to fix it. */
export function missingTransportWarnings(env: NodeJS.ProcessEnv = process.env): string[] {
  const warnings: string[] = [];
  if (!env.SMTP_URL) {
    warnings.push(
      `warning: SMTP_URL is not set: email messages will wait (retried, not failed) until it is. ` +
        `Set SMTP_URL (e.g. ${SMTP_EXAMPLE}) and restart the worker.`,
    );
  }
  if (!env.SMS_API_URL) {
    warnings.push(
      `warning: SMS_API_URL is not set: SMS messages will wait (retried, not failed) until it is. ` +
        `Set SMS_API_URL (e.g. ${SMS_EXAMPLE}) and restart the worker.`,
    );
  }
  return warnings;
}

/**
 * SDK logs at WARN unless CONSENTFLOW_LOG_LEVEL says otherwise; with a metrics port, the SDK's runtime metrics
 * and consentflow's own (worker/metrics.ts) are served for Prometheus at http://HOST:PORT/metrics. A process
 * installs its runtime once: a second worker in the same process (tests, the benchmark) shares the first's.
 */
function installRuntime(metrics: MetricsEndpoint | undefined, warn: (line: string) => void): void {
  const level = (process.env.CONSENTFLOW_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      ...(metrics
        ? {
            telemetryOptions: {
              metrics: {
                prometheus: {
                  bindAddress: `${metrics.host}:${metrics.port}`,
                  histogramBucketOverrides: HISTOGRAM_BUCKETS,
                },
              },
            },
          }
        : {}),
    });
  } catch {
    // already installed by this process
    if (metrics)
      warn(
        `warning: metrics are not served on port ${metrics.port}: this process's Temporal runtime was ` +
          `installed before, without them. Run the worker in its own process to export metrics.`,
      );
  }
}

export async function startWorkerRuntime(
  settings: Settings,
  opts: WorkerRuntimeOptions = {},
): Promise<WorkerRuntime> {
  const log = opts.log ?? (() => undefined);
  const warn = opts.warn ?? log;
  // Read first: a bad value is bad input before anything starts.
  const versioning = opts.versioning ?? versioningFromEnv();
  const tracingConfig = 'tracing' in opts ? opts.tracing : tracingFromEnv();
  // Only a configured endpoint loads OpenTelemetry (a missing optional package is a clear error here).
  const tracing: WorkerTracing | undefined = tracingConfig
    ? await (await import('./tracing')).startWorkerTracing(tracingConfig)
    : undefined;
  installRuntime(opts.metrics ?? metricsEndpointFromEnv(), warn);
  const temporalWaitMs = opts.temporalWaitMs ?? temporalWaitMsFromEnv();
  if (!opts.transports) for (const line of missingTransportWarnings()) warn(line);
  let pool = opts.pool;
  if (!pool) {
    await ensureDatabase(settings.databaseUrl);
    await migrate(settings.databaseUrl, log);
    // Sized for every activity slot at once (worker/limits.ts), so no activity queues for a connection.
    pool = createPool(settings.databaseUrl, POOL_MAX, { log: warn });
    await assertReachable(pool, settings.databaseUrl);
  }
  const ownPool = !opts.pool;
  const rules = createRuleSource(settings.rulesDir, { watch: true, log });
  let connection: NativeConnection;
  try {
    connection = await connectTemporal({
      address: settings.temporalAddress,
      transport: settings.temporalTransport,
      waitMs: temporalWaitMs,
      log: warn,
    });
  } catch (err) {
    rules.close();
    if (ownPool) await pool.end();
    throw err;
  }
  const transports = opts.transports ?? transportsFromEnv();
  // Read at start, so a bad CONSENTFLOW_LINK_SECRET stops the worker before it sends anything.
  const activities = createActivities({ pool, rules, transports, links: opts.links ?? loadLinkConfig() });
  let worker: Worker;
  try {
    worker = await createWorker({
      connection,
      namespace: settings.temporalNamespace,
      taskQueue: settings.taskQueue,
      activities: opts.bench ? { ...activities, ...opts.bench.activities } : activities,
      ...(opts.bench ? { workflowsPath: opts.bench.workflowsPath } : {}),
      maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentLocalActivityExecutions: MAX_CONCURRENT_LOCAL_ACTIVITIES,
      versioning,
      ...(tracing ? { tracing } : {}),
    });
  } catch (err) {
    // Nothing may keep the process alive after a failed start: the CLI exits with the error.
    await connection.close().catch(() => undefined);
    rules.close();
    if (!opts.transports) await closeTransports(transports);
    if (ownPool) await pool.end();
    throw err;
  }
  const running = worker.run();
  // Marked handled here (a library caller may never look at it); `done` still rejects for whoever awaits it.
  running.catch((err: unknown) => log(`worker stopped: ${(err as Error).message}`));
  return {
    address: settings.temporalAddress,
    taskQueue: settings.taskQueue,
    pool,
    rules,
    worker,
    done: running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined); // a failed worker was reported through `done`
      await connection.close();
      rules.close();
      await closeTransports(transports);
      if (ownPool) await pool.end();
      await tracing?.tracing.flush();
    },
  };
}
