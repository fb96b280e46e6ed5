// The real stack of a chaos run: a Temporal dev server on a persistent SQLite file (so a restart keeps its
// state), worker PROCESSES (`node bin/consentflow.mjs worker`), and a fresh PostgreSQL database dropped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../client/config';
import { startDevServer, type DevServer } from '../client/dev-server';
import { migrate } from '../db/migrate';
import { parseDatabaseUrl } from '../db/pool';
import { pendingTimers } from './timers';

/** The harness's own PostgreSQL connections carry this name, so the terminations spare them. */
export const HARNESS_APP_NAME = 'consentflow-chaos-harness';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface ChaosDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createChaosDatabase(serverUrl: string, name: string): Promise<ChaosDatabase> {
  const admin = adminUrl(serverUrl);
  await withClient(admin, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    name,
    drop: () =>
      withClient(admin, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

/** Ends every connection to the database except the harness's own; returns how many it ended. */
export async function terminateWorkerConnections(pool: pg.Pool, database: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND coalesce(application_name, '') <> $2`,
    [database, HARNESS_APP_NAME],
  );
  return Number(rows[0]?.n ?? 0);
}

function adminUrl(serverUrl: string): string {
  const url = parseDatabaseUrl(serverUrl);
  url.pathname = '/postgres';
  url.search = '';
  return url.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: HARNESS_APP_NAME });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TemporalServer {
  address(): string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and starts it again on the same port and SQLite file. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTemporal(stateDir: string): Promise<TemporalServer> {
  const port = await freePort();
  let server: DevServer = await startDevServer({ stateDir, port, headless: true });
  return {
    address: () => server.address,
    async restart() {
      await server.stop();
      for (let i = 0; ; i++) {
        try {
          server = await startDevServer({ stateDir, port, headless: true });
          return;
        } catch (err) {
          // The port may linger for a moment after the old process is gone.
          if (i >= 20) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    stop: () => server.stop(),
  };
}

export interface WorkerExit {
  worker: number;
  pid: number;
  code: number | null;
  signal: string | null;
  at: number;
  logTail: string;
}

export interface WorkerPoolOptions {
  count: number;
  env: NodeJS.ProcessEnv;
  logDir: string;
  log: (line: string) => void;
}

export interface WorkerPool {
  /** Resolves when every worker said it polls (or rejects after `timeoutMs`). */
  ready(timeoutMs: number): Promise<void>;
  alive(): number[];
  /** Workers that said they poll (a worker still bundling its workflow code is alive but not polling). */
  polling(): number[];
  /** SIGKILLs worker `i`; it is started again after `restartAfterMs`. */
  kill(i: number, restartAfterMs: number): boolean;
  /** Exits the harness did not cause. */
  unexpectedExits(): WorkerExit[];
  /** Starts any worker that is not running (after the fault window). */
  ensureAll(): void;
  stop(): Promise<void>;
}

export function startWorkers(opts: WorkerPoolOptions): WorkerPool {
  const children: (ChildProcess | undefined)[] = [];
  const harnessKilled = new Set<number>();
  const exits: WorkerExit[] = [];
  const readyFlags: boolean[] = [];
  const timers = pendingTimers();
  const later = timers.later;
  let stopping = false;
  const logFile = (i: number) => path.join(opts.logDir, `worker-${i}.log`);

  const launch = (i: number): void => {
    if (stopping) return;
    const out = openSync(logFile(i), 'a');
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'worker'], {
      cwd: REPO_ROOT,
      env: opts.env,
      stdio: ['ignore', 'pipe', out],
    });
    closeSync(out);
    children[i] = child;
    readyFlags[i] = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (/polling task queue/i.test(chunk.toString())) readyFlags[i] = true;
    });
    child.once('exit', (code, signal) => {
      if (children[i] === child) children[i] = undefined;
      const pid = child.pid ?? -1;
      if (harnessKilled.delete(pid) || stopping) return;
      exits.push({ worker: i, pid, code, signal, at: Date.now(), logTail: tail(logFile(i)) });
      // A worker that keeps dying is restarted ever more slowly: each start bundles the workflow code (CPU).
      const own = exits.filter((e) => e.worker === i).length;
      const delay = Math.min(30_000, 1_000 * 2 ** (own - 1));
      opts.log(
        `worker ${i} (pid ${pid}) exited on its own (code ${code}, signal ${signal}); restart in ${delay} ms`,
      );
      later(delay, () => {
        if (!children[i]) launch(i);
      });
    });
  };
  const killAll = (signal: NodeJS.Signals): void => {
    for (const c of children) {
      if (c?.pid && c.exitCode === null && c.signalCode === null) {
        try {
          c.kill(signal);
        } catch {
          /* already gone */
        }
      }
    }
  };
  // However the harness ends, its workers end with it.
  const onExit = (): void => killAll('SIGKILL');
  process.on('exit', onExit);

  for (let i = 0; i < opts.count; i++) launch(i);

  return {
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!readyFlags.every(Boolean) || readyFlags.length < opts.count) {
        if (Date.now() > deadline) {
          throw new Error(`Workers not polling after ${timeoutMs / 1000}s; see ${opts.logDir}/worker-*.log.`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    alive: () => children.flatMap((c, i) => (c && c.exitCode === null ? [i] : [])),
    polling: () => children.flatMap((c, i) => (c && c.exitCode === null && readyFlags[i] ? [i] : [])),
    kill(i, restartAfterMs) {
      const child = children[i];
      if (!child?.pid || child.exitCode !== null) return false;
      harnessKilled.add(child.pid);
      child.kill('SIGKILL');
      // On a busy machine the exit may be reported after the restart delay: wait for it, then start anew.
      const relaunch = (): void => {
        if (!children[i]) launch(i);
        else if (children[i] === child) later(250, relaunch);
      };
      later(restartAfterMs, relaunch);
      return true;
    },
    unexpectedExits: () => [...exits],
    ensureAll() {
      for (let i = 0; i < opts.count; i++) if (!children[i]) launch(i);
    },
    async stop() {
      stopping = true;
      timers.cancelAll();
      const running = children.filter((c): c is ChildProcess => !!c && c.exitCode === null);
      const gone = Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
      killAll('SIGTERM');
      const force = setTimeout(() => killAll('SIGKILL'), 10_000);
      await gone;
      clearTimeout(force);
      process.off('exit', onExit);
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2_000);
  } catch {
    return '';
  }
}
