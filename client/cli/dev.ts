import type { Command } from 'commander';
import { loadSettings } from '../config';
import type * as DevServerModule from '../dev-server';
import { describeTemporalError } from '../../worker/temporal-errors';
import { CliError } from './errors';
import { metricsEndpointFromEnv, parseMetricsPort } from '../../worker/metrics-endpoint';
import { untilSignal } from './signals';
import type { WorkerRuntime } from '../../worker/runtime';

// The Temporal client loads when `dev` runs, not at every CLI start.
let startDevServer: typeof DevServerModule.startDevServer;
async function loadDevServer(): Promise<void> {
  ({ startDevServer } = await import('../dev-server'));
}

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new CliError(`Invalid port "${value}": expected 1-65535.`, 2);
  return n;
}

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
    .hook('preAction', loadDevServer)
    .description('run the Temporal dev server and its Web UI')
    .option('--port <port>', 'frontend port', portOption, Number(process.env.CONSENTFLOW_DEV_PORT ?? 7233))
    .option('--ui-port <port>', 'Web UI port', portOption, Number(process.env.CONSENTFLOW_UI_PORT ?? 8233))
    .option('--headless', 'no Web UI')
    .option('--with-worker', 'also run a consentflow worker in this process')
    .action(async (opts: { port: number; uiPort: number; headless?: boolean; withWorker?: boolean }) => {
      const settings = loadSettings();
      const server = await startDevServer({
        stateDir: settings.stateDir,
        port: opts.port,
        uiPort: opts.uiPort,
        headless: opts.headless ?? false,
        namespace: settings.temporalNamespace,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(
        `Temporal dev server at ${server.address} (namespace ${settings.temporalNamespace})\n` +
          (server.uiUrl
            ? `Web UI: ${server.uiUrl}/namespaces/${settings.temporalNamespace}/workflows\n`
            : '') +
          `State: ${server.dbFile}\nLog: ${server.logFile}\nCtrl-C stops it.\n`,
      );
      let runtime: WorkerRuntime | undefined;
      if (opts.withWorker) {
        const { startWorkerRuntime } = await import('../../worker/runtime');
        runtime = await startWorkerRuntime(
          // The dev server just started, plain: no TLS or API key of a profile meant for a cluster.
          { ...settings, temporalAddress: server.address, temporalTransport: undefined },
          { warn: (l) => process.stderr.write(`${l}\n`) },
        );
        process.stdout.write(`Worker polling task queue ${settings.taskQueue}\n`);
      }
      const ended = await untilSignalOrWorkerFailure(runtime);
      if (ended.signal) process.stdout.write(`${ended.signal}: stopping...\n`);
      await runtime?.stop();
      await server.stop();
      if (ended.failure) throw ended.failure;
    });

  program
    .command('worker')
    .description('run a worker for every automation')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics (Temporal SDK and consentflow) at :PORT/metrics (default: $CONSENTFLOW_METRICS_PORT)',
      (raw: string) => parseMetricsPort(raw),
    )
    .action(async (opts: { metricsPort?: number }) => {
      const { startWorkerRuntime } = await import('../../worker/runtime');
      const settings = loadSettings();
      const metrics =
        opts.metricsPort !== undefined
          ? { host: process.env.CONSENTFLOW_METRICS_HOST || '0.0.0.0', port: opts.metricsPort }
          : metricsEndpointFromEnv();
      // Read before the start, so a broken Temporal profile or versioning setting is bad input (exit 2).
      const namespace = settings.temporalNamespace;
      const { versioningFromEnv } = await import('../../worker/versioning');
      const versioning = versioningFromEnv();
      const { tracingFromEnv } = await import('../tracing-config');
      const tracing = tracingFromEnv();
      if (tracing) {
        // A missing optional OpenTelemetry package is bad input too, before anything connects.
        const { startWorkerTracing } = await import('../../worker/tracing');
        await startWorkerTracing(tracing);
      }
      let runtime: WorkerRuntime;
      try {
        runtime = await startWorkerRuntime(settings, {
          versioning,
          tracing,
          ...(metrics ? { metrics } : {}),
          log: (l) => process.stdout.write(`${l}\n`),
          warn: (l) => process.stderr.write(`${l}\n`),
        });
      } catch (err) {
        process.stderr.write(`consentflow: ${describeTemporalError(err, namespace)}\n`);
        // A failed Worker.create can leave native handles that keep the process alive: exit now.
        process.exit(1);
      }
      process.stdout.write(
        `Worker polling task queue ${runtime.taskQueue} at ${runtime.address}; Ctrl-C stops it.\n` +
          versionLine(runtime) +
          (metrics ? `Metrics for Prometheus: http://${metrics.host}:${metrics.port}/metrics\n` : '') +
          (tracing ? `Traces over OTLP/HTTP: ${tracing.url} (service ${tracing.serviceName})\n` : ''),
      );
      const ended = await untilSignalOrWorkerFailure(runtime);
      await runtime.stop();
      if (ended.failure) {
        process.stderr.write(`consentflow: ${ended.failure.message}\n`);
        // Native handles of a failed worker can outlive stop(); a supervisor must see the exit now.
        process.exit(ended.failure.exitCode);
      }
    });
}

/** The worker's Worker Deployment version, and whether Temporal routes by it (docs/deployment.md). */
function versionLine(runtime: WorkerRuntime): string {
  const d = runtime.worker.options.workerDeploymentOptions;
  if (!d) return '';
  const routing = d.useWorkerVersioning
    ? `versioned, default behavior ${d.defaultVersioningBehavior}`
    : 'not versioned (CONSENTFLOW_WORKER_VERSIONING=off)';
  return `Worker deployment ${d.version.deploymentName}, build id ${d.version.buildId}: ${routing}\n`;
}

/**
 * Waits for Ctrl-C / SIGTERM, or for the Temporal worker to fail on its own: a worker that polls nothing must
 * not look alive, so that failure ends the command with exit code 1 (Temporal's samples do the same).
 */
async function untilSignalOrWorkerFailure(
  runtime: WorkerRuntime | undefined,
): Promise<{ signal?: NodeJS.Signals; failure?: CliError }> {
  const failed = runtime
    ? runtime.done.then(
        () => new Promise<never>(() => undefined), // stopped by us: only a signal ends the wait
        (err: unknown) => ({
          failure: new CliError(
            `the Temporal worker for task queue ${runtime.taskQueue} stopped: ` +
              `${describeTemporalError(err, runtime.worker.options.namespace)}. Nothing polls that queue ` +
              `from this process any more; ` +
              `exiting so a supervisor can start a new worker.`,
            1,
          ),
        }),
      )
    : new Promise<never>(() => undefined);
  return Promise.race([untilSignal().then((signal) => ({ signal })), failed]);
}
