// A single-node production Temporal server on PostgreSQL, from the project's own scripts: build (once), schema,
// config, start, wait until healthy, namespace and search attributes. Used by `npm run cluster`, the cluster
// test and the benchmark. State (config, log, pid file) lives in one folder, by default .consentflow/cluster/.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureTemporalCli } from '../temporal-cli';
import { ensureTemporalServer, postgresSchemaDirs } from '../temporal-server';
import { ensureTemporalUi } from '../temporal-ui';
import { isPortFree } from '../../client/dev-server';
import { freePortOn, runningCluster, writeClusterState, type ClusterState } from './state';
import { renderClusterConfig, renderDynamicConfig, type ClusterPorts, type PostgresTarget } from './config';
import { ensureClusterSchema } from './schema';
import { spawnGroup, stopProcess } from './process';
import { startWebUi, type WebUi } from './web-ui';
import {
  ensureNamespace,
  ensureSearchAttributes,
  isServing,
  waitForSearchAttributes,
  type CliTarget,
} from './cli-ops';

export interface ClusterOptions {
  stateDir: string;
  ip?: string;
  /** The frontend's gRPC port (default 7233); 0 picks a free one. The other ports are always picked free. */
  port?: number;
  postgres?: PostgresTarget;
  databases?: { temporal: string; visibility: string };
  namespace?: string;
  /** How long closed runs stay visible (`temporal operator namespace create --retention`). */
  retention?: string;
  numHistoryShards?: number;
  /** PostgreSQL connections per service and store (default 10 and 3: 4 services, at most 52 in all). */
  maxConns?: { persistence: number; visibility: number };
  logLevel?: string;
  /** The Web UI's HTTP port (default 8080); 0 picks a free one; `false`: no Web UI. */
  uiPort?: number | false;
  /** Leave the server running after this process exits (`npm run cluster -- --detach`). */
  detach?: boolean;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface Cluster extends ClusterState {
  process: ChildProcess;
  stop(): Promise<void>;
}

export const DEFAULT_POSTGRES: PostgresTarget = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const DEFAULT_DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' };

/** The server part of a postgres:// URL (its database is ignored: Temporal gets databases of its own). */
export function postgresTargetOf(url: string): PostgresTarget {
  const u = new URL(url);
  return {
    host: u.hostname || DEFAULT_POSTGRES.host,
    port: Number(u.port || DEFAULT_POSTGRES.port),
    user: decodeURIComponent(u.username || DEFAULT_POSTGRES.user),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

export class ClusterStartError extends Error {
  override name = 'ClusterStartError';
}

async function pickPorts(ip: string, frontend: number): Promise<ClusterPorts> {
  const taken = new Set<number>([frontend]);
  const free = () => freePortOn(ip, taken);
  return {
    frontend: frontend === 0 ? await free() : frontend,
    frontendHttp: await free(),
    frontendMembership: await free(),
    history: await free(),
    historyMembership: await free(),
    matching: await free(),
    matchingMembership: await free(),
    worker: await free(),
    workerMembership: await free(),
    metrics: await free(),
  };
}

/** The server's last error lines, without the stack traces its JSON log lines carry. */
function logTail(file: string, lines = 4): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
  const summary = text
    .trim()
    .split('\n')
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
        return `${entry.level ?? ''}: ${entry.msg ?? ''}${entry.error ? ` (${entry.error})` : ''}`;
      } catch {
        return line;
      }
    });
  return `${summary.slice(-lines).join('\n')}\n(full log: ${file})`;
}

/** Stops a cluster's processes: its Web UI first (it talks to the server), then the server. */
export async function stopCluster(state: Pick<ClusterState, 'pid' | 'webUi'>): Promise<void> {
  if (state.webUi) await stopProcess(state.webUi.pid);
  await stopProcess(state.pid);
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => undefined);
  const ip = opts.ip ?? '127.0.0.1';
  const postgres = opts.postgres ?? DEFAULT_POSTGRES;
  const databases = opts.databases ?? DEFAULT_DATABASES;
  const namespace = opts.namespace ?? 'default';
  const stateDir = path.resolve(opts.stateDir);
  const requested = opts.port ?? 7233;
  const running = runningCluster(stateDir);
  if (running)
    throw new ClusterStartError(
      `A cluster from ${stateDir} is already running at ${running.address} (pid ${running.pid}). ` +
        `Use it (TEMPORAL_ADDRESS=${running.address}), or stop it first: npm run cluster -- --stop`,
    );
  if (requested !== 0 && !(await isPortFree(ip, requested)))
    throw new ClusterStartError(
      `Port ${requested} on ${ip} (Temporal frontend) is already in use: a dev server or another cluster holds it. ` +
        `Stop it, or pick another port with --port <n> (0 picks a free one).`,
    );

  const uiRequested = opts.uiPort ?? 8080;
  if (uiRequested !== false && uiRequested !== 0 && !(await isPortFree(ip, uiRequested)))
    throw new ClusterStartError(
      `Port ${uiRequested} on ${ip} (Temporal Web UI) is already in use. Pick another with --ui-port <n> ` +
        `(0 picks a free one), or start without a UI: --no-ui.`,
    );
  const binaries = await ensureTemporalServer(log);
  const uiBinary = uiRequested === false ? undefined : await ensureTemporalUi(log);
  const cli = await ensureTemporalCli(log);
  const schemaDirs = postgresSchemaDirs();
  await ensureClusterSchema({ sqlTool: binaries.sqlTool, postgres, databases, schemaDirs, log });

  const configDir = path.join(stateDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const ports = await pickPorts(ip, requested);
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, renderDynamicConfig());
  const configFile = path.join(configDir, 'consentflow.yaml');
  writeFileSync(
    configFile,
    renderClusterConfig({
      ip,
      ports,
      postgres,
      databases,
      numHistoryShards: opts.numHistoryShards ?? 4,
      maxConns: opts.maxConns ?? { persistence: 10, visibility: 3 },
      dynamicConfigFile,
      logLevel: opts.logLevel ?? 'warn',
    }),
  );

  const logFile = path.join(stateDir, 'server.log');
  const { child, pid, exited } = spawnGroup(
    binaries.server,
    ['--root', stateDir, '--config', 'config', '--env', 'consentflow', '--allow-no-auth', 'start'],
    logFile,
    opts.detach ?? false,
  );

  const address = `${ip}:${ports.frontend}`;
  const target: CliTarget = { cli, address, namespace };
  const started = Date.now();
  let ui: WebUi | undefined;
  const stop = () => stopCluster({ pid, ...(ui ? { webUi: ui } : {}) });
  try {
    const deadline = started + (opts.startTimeoutMs ?? 120_000);
    while (!(await isServing(target))) {
      if (exited() !== undefined)
        throw new ClusterStartError(
          `The Temporal server exited (code ${exited()}) while starting:\n${logTail(logFile)}`,
        );
      if (Date.now() > deadline)
        throw new ClusterStartError(
          `The Temporal server did not report SERVING at ${address} within ${Math.round((Date.now() - started) / 1000)}s; see ${logFile}.`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
    log(`server healthy at ${address} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (await ensureNamespace(target, opts.retention ?? '72h')) log(`created namespace ${namespace}`);
    const added = await ensureSearchAttributes(target);
    if (added.length) log(`registered search attributes: ${added.join(', ')}`);
    await waitForSearchAttributes(target);
    if (uiBinary && uiRequested !== false) {
      ui = await startWebUi({
        binary: uiBinary,
        stateDir,
        ip,
        port: uiRequested === 0 ? await freePortOn(ip, new Set<number>(Object.values(ports))) : uiRequested,
        grpcAddress: address,
        namespace,
        detach: opts.detach ?? false,
      });
      log(`Web UI at ${ui.url}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const state: ClusterState = {
    pid,
    address,
    namespace,
    metricsUrl: `http://${ip}:${ports.metrics}/metrics`,
    configFile,
    logFile,
    databases,
    version: binaries.version,
    startedAt: new Date().toISOString(),
    ...(ui ? { webUi: { pid: ui.pid, url: ui.url, logFile: ui.logFile } } : {}),
  };
  writeClusterState(stateDir, state);
  return { ...state, process: child, stop };
}
