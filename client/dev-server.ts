// The embedded Temporal dev server: `temporal server start-dev` from the CLI built into .tools/bin, with the
// Web UI, a persistent SQLite file under .consentflow/ and the project's search attributes registered.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { SEARCH_ATTRIBUTE_ARGS } from '../contracts/search-attributes';

export interface DevServerOptions {
  stateDir: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** SQLite pragmas; WAL with synchronous=NORMAL cuts fsyncs per workflow task (see docs/benchmarks.md). */
  sqlitePragmas?: Record<string, string>;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  dbFile: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const DEFAULT_PRAGMAS = { journal_mode: 'wal', synchronous: 'normal' };

export class PortInUseError extends Error {
  constructor(ip: string, port: number, what: string, envVar: string) {
    super(
      `Port ${port} on ${ip} (${what}) is already in use: another Temporal dev server or program holds it. ` +
        `Stop it, or pick another port with ${envVar}=<port>.`,
    );
    this.name = 'PortInUseError';
  }
}

export function isPortFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function waitUntilReady(
  address: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exit: { code?: number } = {};
  child.once('exit', (code) => (exit.code = code ?? -1));
  for (;;) {
    if (exit.code !== undefined)
      throw new Error(`The Temporal dev server exited (code ${exit.code}) while starting; see ${logFile}.`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(
          `The Temporal dev server did not answer at ${address} within ${timeoutMs / 1000}s; see ${logFile}.`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const log = opts.log ?? (() => undefined);
  if (!(await isPortFree(ip, port)))
    throw new PortInUseError(ip, port, 'Temporal frontend', 'CONSENTFLOW_DEV_PORT');
  if (!opts.headless && !(await isPortFree(ip, uiPort)))
    throw new PortInUseError(ip, uiPort, 'Temporal Web UI', 'CONSENTFLOW_UI_PORT');

  const binary = await ensureTemporalCli(log);
  mkdirSync(opts.stateDir, { recursive: true });
  const dbFile = path.join(opts.stateDir, 'temporal.sqlite');
  const logFile = path.join(opts.stateDir, 'temporal-server.log');
  const pragmas = opts.sqlitePragmas ?? DEFAULT_PRAGMAS;
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--db-filename',
    dbFile,
    '--namespace',
    opts.namespace ?? 'default',
    '--log-level',
    'warn',
    ...Object.entries(pragmas).flatMap(([k, v]) => ['--sqlite-pragma', `${k}=${v}`]),
    ...SEARCH_ATTRIBUTE_ARGS,
    ...(opts.headless ? ['--headless'] : ['--ui-ip', ip, '--ui-port', String(uiPort)]),
  ];
  const out = openSync(logFile, 'a');
  // Own process group, so stop() can take down anything the server spawned.
  const child = spawn(binary, args, { stdio: ['ignore', out, out], detached: true });
  const address = `${ip}:${port}`;
  // However this process ends (an error, Ctrl-C, process.exit), the server's process group goes with it.
  const killOnExit = (): void => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilReady(address, child, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    uiUrl: opts.headless ? undefined : `http://${ip}:${uiPort}`,
    dbFile,
    logFile,
    process: child,
    stop,
  };
}
