// What a started cluster leaves in its state folder (cluster.json), so `npm run cluster -- --status` and
// `--stop` find a detached server, and a second start does not fight a running one over the same databases.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ClusterState {
  pid: number;
  /** host:port of the frontend: TEMPORAL_ADDRESS for workers and clients. */
  address: string;
  namespace: string;
  metricsUrl: string;
  configFile: string;
  logFile: string;
  databases: { temporal: string; visibility: string };
  version: string;
  startedAt: string;
  /** Temporal's Web UI in front of this cluster (absent with --no-ui). */
  webUi?: { pid: number; url: string; logFile: string };
}

const FILE = 'cluster.json';

export function writeClusterState(stateDir: string, state: ClusterState): void {
  writeFileSync(path.join(stateDir, FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** The state of the last start, or undefined when there is none or its process is gone (the file is removed). */
export function runningCluster(stateDir: string): ClusterState | undefined {
  const file = path.join(stateDir, FILE);
  if (!existsSync(file)) return undefined;
  let state: ClusterState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
    process.kill(state.pid, 0);
  } catch {
    rmSync(file, { force: true });
    return undefined;
  }
  return state;
}

export function clearClusterState(stateDir: string): void {
  rmSync(path.join(stateDir, FILE), { force: true });
}

function canListen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on `ip` nobody listens on right now, below 32768: the server stores membership ports in a
 * PostgreSQL smallint (cluster_membership.rpc_port), so the OS's ephemeral ports (32768 and up) fail its start.
 */
export async function freePortOn(ip: string, taken: Set<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (taken.has(port)) continue;
    if (await canListen(ip, port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`No free TCP port on ${ip} between 10000 and 32000.`);
}
