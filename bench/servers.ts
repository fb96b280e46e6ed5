// The same automation load on both Temporal servers the project runs, in one run: the CLI's dev server
// (SQLite, WAL) and the production server on PostgreSQL (`npm run cluster`'s scripts), each served by two worker
// processes. Per server: order confirmations and bare no-op workflows at 100 in flight, one order at a time, the
// send step, the server process's CPU, and what PostgreSQL committed for it. The ratio is cluster / dev server.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { REPO_ROOT } from '../client/config';
import { DEFAULT_PRAGMAS, startDevServer } from '../client/dev-server';
import { postgresTargetOf, startCluster } from '../scripts/cluster/start';
import type { SmsSink } from '../activities/transports/sinks/sms-sink';
import type { SmtpSink } from '../activities/transports/sinks/smtp-sink';
import { bareBatch, orderBatch, sendStepLatency, sum, type Batch } from './batches';
import { TASK_QUEUE, seedContacts } from './automation-stack';
import { freePort, freshDatabase, round, type BenchDatabase } from './support';
import { startSmsSink } from '../activities/transports/sinks/sms-sink';
import { startSmtpSink } from '../activities/transports/sinks/smtp-sink';

export const WORKER_PROCESSES = 2;

interface Server {
  kind: 'dev server (SQLite)' | 'cluster (PostgreSQL)';
  address: string;
  pid: number;
  /** The database whose commits are counted (the cluster's persistence database), if any. */
  temporalDatabase?: string;
}

export interface ServerFigures {
  server: Server['kind'];
  orders: Batch;
  bare: Batch;
  oneAtATime: { orderLatencyP50Ms: number; orderLatencyP99Ms: number; workflows: number };
  sendStepP50Ms: number;
  sendStepP99Ms: number;
  /** CPU seconds of the server process per 1,000 workflows (orders and bare batches together). */
  serverCpuSecondsPer1000: number;
  /** Commits in the cluster's persistence database per workflow, orders and bare alike (cluster only). */
  temporalCommitsPerWorkflow?: number;
  /** Commits in consentflow's database per order confirmation. */
  consentflowCommitsPerOrder: number;
}

/** utime + stime of a process in seconds (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15 of stat, in clock ticks
  } catch {
    return 0;
  }
}

async function commits(serverUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    // Statistics reach the shared counters within about a second of a transaction's end.
    await new Promise((r) => setTimeout(r, 1_500));
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Two (or `count`) worker processes; their output goes to worker-<i>.log in `logDir`. */
function startWorkers(
  env: NodeJS.ProcessEnv,
  count: number,
  logDir: string,
  log: (line: string) => void,
): { ready: Promise<void>; stop(): Promise<void> } {
  mkdirSync(logDir, { recursive: true });
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  let stopping = false;
  for (let i = 0; i < count; i++) {
    const logFile = path.join(logDir, `worker-${i}.log`);
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'worker-process.ts')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', out],
    });
    closeSync(out);
    children.push(child);
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (c: Buffer) => {
          if (/bench worker polling/.test(c.toString())) resolve();
        });
        child.once('exit', (code, signal) => {
          const why = `bench worker ${i} exited (code ${code}, signal ${signal}); see ${logFile}`;
          if (!stopping) log(`  ${why}`);
          reject(new Error(why));
        });
      }),
    );
  }
  const killAll = (): void => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.on('exit', killAll);
  return {
    ready: Promise.all(ready).then(() => undefined),
    async stop() {
      stopping = true;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
      process.off('exit', killAll);
    },
  };
}

export interface ServersOptions {
  workflows: number;
  rounds: number;
  single: number;
  db: BenchDatabase;
  contacts: string[];
  smtp: SmtpSink;
  sms: SmsSink;
  run: string;
  stateDir: string;
  log: (line: string) => void;
}

async function measure(server: Server, opts: ServersOptions): Promise<ServerFigures> {
  const workers = startWorkers(
    {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      DATABASE_URL: opts.db.url,
      SMTP_URL: opts.smtp.url,
      SMS_API_URL: opts.sms.url,
    },
    WORKER_PROCESSES,
    path.join(opts.stateDir, server.kind.startsWith('dev') ? 'dev-workers' : 'cluster-workers'),
    opts.log,
  );
  const connection = await Connection.connect({ address: server.address });
  try {
    await workers.ready;
    const client = new Client({ connection, namespace: 'default' });
    const tag = `${opts.run}-${server.kind.startsWith('dev') ? 'dev' : 'pg'}`;
    const { contacts, workflows: n } = opts;
    await bareBatch(client, `${tag}-warm`, 20);
    await orderBatch(client, contacts, `${tag}-warm`, 20);
    const alone = await orderBatch(client, contacts, `${tag}-alone`, opts.single, 1);
    const serverUrl = new URL(opts.db.url);
    serverUrl.pathname = '/postgres';
    const dbName = decodeURIComponent(new URL(opts.db.url).pathname.slice(1));
    const before = {
      cpu: cpuSeconds(server.pid),
      temporal: server.temporalDatabase ? await commits(serverUrl.toString(), server.temporalDatabase) : 0,
      consentflow: await commits(serverUrl.toString(), dbName),
    };
    const bare: Batch[] = [];
    const orders: Batch[] = [];
    const runs: string[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      bare.push(await bareBatch(client, `${tag}-${r}`, n));
      orders.push(await orderBatch(client, contacts, `${tag}-${r}`, n));
      runs.push(`${tag}-${r}`);
    }
    const cpu = cpuSeconds(server.pid) - before.cpu;
    const temporalCommits = server.temporalDatabase
      ? (await commits(serverUrl.toString(), server.temporalDatabase)) - before.temporal
      : undefined;
    const consentflowCommits = (await commits(serverUrl.toString(), dbName)) - before.consentflow;
    const sendStep = await sendStepLatency(opts.db, runs);
    const ordered = n * opts.rounds;
    if (sendStep.sent !== 2 * ordered)
      throw new Error(`${server.kind}: expected ${2 * ordered} sent outbox rows, found ${sendStep.sent}`);
    const order = sum(orders);
    const bareSum = sum(bare);
    const figures: ServerFigures = {
      server: server.kind,
      orders: order,
      bare: bareSum,
      oneAtATime: {
        orderLatencyP50Ms: alone.latencyP50Ms,
        orderLatencyP99Ms: alone.latencyP99Ms,
        workflows: opts.single,
      },
      sendStepP50Ms: sendStep.p50Ms,
      sendStepP99Ms: sendStep.p99Ms,
      serverCpuSecondsPer1000: round((cpu / (2 * ordered)) * 1000, 1),
      ...(temporalCommits !== undefined
        ? { temporalCommitsPerWorkflow: round(temporalCommits / (2 * ordered), 1) }
        : {}),
      consentflowCommitsPerOrder: round(consentflowCommits / ordered, 1),
    };
    opts.log(
      `  ${server.kind}, ${WORKER_PROCESSES} worker processes: orders ${order.perSecond} wf/s (p50 ${order.latencyP50Ms} ms, ` +
        `p99 ${order.latencyP99Ms} ms), bare ${bareSum.perSecond} wf/s, one order alone p50 ${alone.latencyP50Ms} ms, ` +
        `send step p50 ${sendStep.p50Ms} ms, server CPU ${figures.serverCpuSecondsPer1000} s per 1,000 workflows, ` +
        `commits per order: consentflow ${figures.consentflowCommitsPerOrder}` +
        (figures.temporalCommitsPerWorkflow === undefined
          ? ''
          : `; Temporal per workflow ${figures.temporalCommitsPerWorkflow}`),
    );
    return figures;
  } catch (err) {
    opts.log(`  ${server.kind}: ${(err as Error).message}`);
    throw err;
  } finally {
    await connection.close();
    await workers.stop();
  }
}

export interface ServersResult {
  workerProcesses: number;
  devServer: ServerFigures;
  cluster: ServerFigures;
  /** cluster / dev server */
  ordersRatio: number;
  bareRatio: number;
  orderLatencyP50Ratio: number;
  clusterDatabases: { temporal: string; visibility: string };
}

/** Runs the load on the dev server, then on a fresh cluster (own databases, dropped afterwards). */
export async function benchServers(opts: ServersOptions): Promise<ServersResult> {
  const dev = await startDevServer({
    stateDir: path.join(opts.stateDir, 'dev'),
    port: await freePort(),
    headless: true,
    sqlitePragmas: DEFAULT_PRAGMAS,
  });
  let devFigures: ServerFigures;
  try {
    devFigures = await measure(
      { kind: 'dev server (SQLite)', address: dev.address, pid: dev.process.pid! },
      opts,
    );
  } finally {
    await dev.stop();
  }

  const databases = {
    temporal: `cf_bench_temporal_${process.pid}`,
    visibility: `cf_bench_temporal_vis_${process.pid}`,
  };
  const cluster = await startCluster({
    stateDir: path.join(opts.stateDir, 'cluster'),
    port: 0,
    uiPort: false, // the server's own throughput: no Web UI process beside it
    postgres: postgresTargetOf(opts.db.url),
    databases,
    log: (line) => opts.log(`  cluster: ${line}`),
  });
  let clusterFigures: ServerFigures;
  try {
    clusterFigures = await measure(
      {
        kind: 'cluster (PostgreSQL)',
        address: cluster.address,
        pid: cluster.pid,
        temporalDatabase: databases.temporal,
      },
      opts,
    );
  } finally {
    await cluster.stop();
    await dropDatabases(opts.db.url, Object.values(databases));
  }
  return {
    workerProcesses: WORKER_PROCESSES,
    devServer: devFigures,
    cluster: clusterFigures,
    ordersRatio: round(clusterFigures.orders.perSecond / devFigures.orders.perSecond, 2),
    bareRatio: round(clusterFigures.bare.perSecond / devFigures.bare.perSecond, 2),
    orderLatencyP50Ratio: round(
      clusterFigures.oneAtATime.orderLatencyP50Ms / devFigures.oneAtATime.orderLatencyP50Ms,
      2,
    ),
    clusterDatabases: databases,
  };
}

async function dropDatabases(anyUrl: string, names: string[]): Promise<void> {
  const admin = new URL(anyUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const name of names)
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Standalone: npx tsx bench/servers.ts [--quick]; prints the figures as JSON at the end. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const n = quick ? 60 : 300;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'cf-bench-servers-'));
  const db = await freshDatabase('servers', { poolSize: 10 });
  const smtp = await startSmtpSink();
  const sms = await startSmsSink();
  try {
    const result = await benchServers({
      workflows: n,
      rounds: quick ? 1 : 2,
      single: quick ? 5 : 20,
      db,
      contacts: await seedContacts(db, Math.min(n, 500)),
      smtp,
      sms,
      run: Date.now().toString(36),
      stateDir,
      log: (line) => console.log(line),
    });
    console.log(
      `cluster / dev server: orders ${result.ordersRatio}x, bare ${result.bareRatio}x, one order alone p50 ${result.orderLatencyP50Ratio}x`,
    );
    console.log(JSON.stringify(result, null, 2));
    rmSync(stateDir, { recursive: true, force: true });
  } catch (err) {
    console.error(`failed; server and worker logs are kept in ${stateDir}`);
    throw err;
  } finally {
    await smtp.close();
    await sms.close();
    await db.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
