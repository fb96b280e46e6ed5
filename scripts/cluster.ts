// `npm run cluster`: the production Temporal server (v1.29.1, built from its Go module) on PostgreSQL, single
// node, with the project's namespace and search attributes. Foreground by default (Ctrl-C stops it).
//   npm run cluster [-- --detach] [-- --stop] [-- --status] [-- --port 7233] [-- --postgres postgres://...]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '../client/config';
import { parseDatabaseUrl } from '../db/pool';
import {
  DEFAULT_DATABASES,
  postgresTargetOf,
  startCluster,
  stopCluster,
  type ClusterOptions,
} from './cluster/start';
import { clearClusterState, runningCluster, type ClusterState } from './cluster/state';
import type { PostgresTarget } from './cluster/config';
import { ensureTemporalServer } from './temporal-server';
import { ensureTemporalUi } from './temporal-ui';

const USAGE = `usage: npm run cluster -- [options]

Builds (first run only) and starts a single-node Temporal server on PostgreSQL, creates its databases and
schemas, the namespace and consentflow's search attributes, then prints the TEMPORAL_ADDRESS to use.

  --detach                keep it running in the background and return
  --build-only            build temporal-server, temporal-sql-tool and temporal-ui-server into .tools/bin (if
                          missing) and exit
  --status                print the running cluster's address (exit 1 if none)
  --stop                  stop a running (detached) cluster
  --port <n>              frontend gRPC port (default 7233, or CONSENTFLOW_CLUSTER_PORT; 0 picks a free one)
  --ui-port <n>           Temporal Web UI port (default 8080, or CONSENTFLOW_CLUSTER_UI_PORT; 0 picks a free one)
  --no-ui                 start no Web UI
  --ip <ip>               address to listen on (default 127.0.0.1)
  --postgres <url>        PostgreSQL server for Temporal (default: the server of DATABASE_URL)
  --db <name>             persistence database (default temporal)
  --visibility-db <name>  visibility database (default temporal_visibility)
  --namespace <name>      namespace to create (default TEMPORAL_NAMESPACE or "default")
  --retention <duration>  retention of closed runs (default 72h)
  --shards <n>            history shards; fixed when the database is created (default 4)
  --log-level <level>     server log level: debug, info, warn, error (default warn)
State (config, server.log, cluster.json) is kept in .consentflow/cluster/.`;

class UsageError extends Error {}

function integer(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 65535)
    throw new UsageError(`${flag} "${raw}" is not a whole number from ${min} to 65535.`);
  return n;
}

/** The server part of a postgres:// URL: Temporal gets its own databases on it, never consentflow's. */
function postgresTarget(raw: string): PostgresTarget {
  try {
    parseDatabaseUrl(raw);
  } catch (err) {
    throw new UsageError(`--postgres: ${(err as Error).message}`);
  }
  return postgresTargetOf(raw);
}

function describe(state: ClusterState): string {
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  return [
    `Temporal server ${state.version} on PostgreSQL (databases ${state.databases.temporal}, ${state.databases.visibility}), pid ${state.pid}`,
    `  TEMPORAL_ADDRESS=${state.address}`,
    `  TEMPORAL_NAMESPACE=${state.namespace}`,
    `  server metrics: ${state.metricsUrl}`,
    `  config: ${rel(state.configFile)}   log: ${rel(state.logFile)}`,
    `Run a worker against it: TEMPORAL_ADDRESS=${state.address} TEMPORAL_NAMESPACE=${state.namespace} npx consentflow worker`,
    state.webUi
      ? `  Web UI: ${state.webUi.url}   (log: ${rel(state.webUi.logFile)})`
      : `  no Web UI (started with --no-ui)`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      detach: { type: 'boolean' },
      'build-only': { type: 'boolean' },
      status: { type: 'boolean' },
      stop: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      port: { type: 'string' },
      'ui-port': { type: 'string' },
      'no-ui': { type: 'boolean' },
      ip: { type: 'string' },
      postgres: { type: 'string' },
      db: { type: 'string' },
      'visibility-db': { type: 'string' },
      namespace: { type: 'string' },
      retention: { type: 'string' },
      shards: { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values['build-only']) {
    const built = await ensureTemporalServer((line) => console.error(line));
    const ui = await ensureTemporalUi((line) => console.error(line));
    console.log(`${built.server}\n${built.sqlTool}\n${ui}`);
    return 0;
  }
  const settings = loadSettings();
  const stateDir = path.join(settings.stateDir, 'cluster');

  if (values.status || values.stop) {
    const running = runningCluster(stateDir);
    if (!running) {
      console.error(`No cluster is running from ${stateDir}. Start one with: npm run cluster`);
      return values.stop ? 0 : 1;
    }
    if (values.status) {
      console.log(describe(running));
      return 0;
    }
    await stopCluster(running);
    clearClusterState(stateDir);
    console.log(`Stopped the Temporal server (pid ${running.pid}) at ${running.address}.`);
    return 0;
  }

  const opts: ClusterOptions = {
    stateDir,
    ip: values.ip ?? '127.0.0.1',
    port: integer('--port', values.port ?? process.env.CONSENTFLOW_CLUSTER_PORT, 7233, 0),
    uiPort: values['no-ui']
      ? false
      : integer('--ui-port', values['ui-port'] ?? process.env.CONSENTFLOW_CLUSTER_UI_PORT, 8080, 0),
    postgres: postgresTarget(
      values.postgres ?? process.env.CONSENTFLOW_CLUSTER_POSTGRES ?? settings.databaseUrl,
    ),
    databases: {
      temporal: values.db ?? DEFAULT_DATABASES.temporal,
      visibility: values['visibility-db'] ?? DEFAULT_DATABASES.visibility,
    },
    namespace: values.namespace ?? settings.temporalNamespace,
    retention: values.retention ?? '72h',
    numHistoryShards: integer('--shards', values.shards, 4, 1),
    logLevel: values['log-level'] ?? 'warn',
    detach: values.detach ?? false,
    log: (line) => console.error(line),
  };
  if (opts.databases!.temporal === opts.databases!.visibility)
    throw new UsageError('--db and --visibility-db must name two different databases.');

  const cluster = await startCluster(opts);
  console.log(describe(cluster));
  if (values.detach) {
    console.log('Running in the background; stop it with: npm run cluster -- --stop');
    return 0;
  }
  console.log('Ctrl-C stops it.');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (): void => {
      if (stopping) return;
      stopping = true;
      console.error('stopping the Temporal server...');
      void cluster.stop().then(() => {
        clearClusterState(stateDir);
        resolve(0);
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    cluster.process.once('exit', (code) => {
      if (stopping) return;
      clearClusterState(stateDir);
      console.error(`The Temporal server exited on its own (code ${code}); see ${cluster.logFile}.`);
      resolve(1);
    });
  });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(usage ? `${(err as Error).message}\n\n${USAGE}` : (err as Error).message);
  process.exitCode = usage ? 2 : 1;
}
