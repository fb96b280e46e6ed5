import type { Command } from 'commander';
import { loadSettings } from '../config';
import { startDevServer } from '../dev-server';
import { CliError } from './errors';
import { untilSignal } from './signals';

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new CliError(`Invalid port "${value}": expected 1-65535.`, 2);
  return n;
}

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
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
      let stopWorker: (() => Promise<void>) | undefined;
      if (opts.withWorker) {
        const { startWorkerRuntime } = await import('../../worker/runtime');
        const runtime = await startWorkerRuntime({ ...settings, temporalAddress: server.address });
        stopWorker = () => runtime.stop();
        process.stdout.write(`Worker polling task queue ${settings.taskQueue}\n`);
      }
      const signal = await untilSignal();
      process.stdout.write(`${signal}: stopping...\n`);
      await stopWorker?.();
      await server.stop();
    });

  program
    .command('worker')
    .description('run a worker for every automation')
    .action(async () => {
      const { startWorkerRuntime } = await import('../../worker/runtime');
      const runtime = await startWorkerRuntime(loadSettings(), {
        log: (l) => process.stdout.write(`${l}\n`),
      });
      process.stdout.write(
        `Worker polling task queue ${runtime.taskQueue} at ${runtime.address}; Ctrl-C stops it.\n`,
      );
      await untilSignal();
      await runtime.stop();
    });
}
