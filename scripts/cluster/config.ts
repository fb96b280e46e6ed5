// The single-node server's configuration: every service (frontend, history, matching, worker) in one process,
// persistence and visibility on PostgreSQL through the `postgres12` plugin. Written as YAML for the server's
// config loader (`--config <dir> --env <name>` reads <dir>/<name>.yaml).

export interface ClusterPorts {
  /** The frontend's gRPC port: the address workers and clients use. */
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** The server's own Prometheus metrics. */
  metrics: number;
}

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
}

export interface ClusterConfigInput {
  ip: string;
  ports: ClusterPorts;
  postgres: PostgresTarget;
  databases: { temporal: string; visibility: string };
  /** Fixed for the life of the database: the server refuses to start if it changes (see docs/deployment.md). */
  numHistoryShards: number;
  /**
   * Connections per service and store: every service in the process (frontend, history, matching, worker) opens
   * its own pool, so PostgreSQL sees up to 4 x (persistence + visibility) from one node.
   */
  maxConns: { persistence: number; visibility: number };
  dynamicConfigFile: string;
  logLevel: string;
}

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/** A small YAML writer for plain data: strings double-quoted (JSON escapes are valid YAML), nothing clever. */
export function toYaml(value: Yaml, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((v) => `${indent}- ${typeof v === 'object' ? `\n${toYaml(v, `${indent}  `)}` : scalar(v)}`)
      .join('\n');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) =>
        typeof v === 'object' ? `${indent}${k}:\n${toYaml(v, `${indent}  `)}` : `${indent}${k}: ${scalar(v)}`,
      )
      .join('\n');
  }
  return `${indent}${scalar(value)}`;
}

function scalar(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function datastore(input: ClusterConfigInput, database: string, maxConns: number): Yaml {
  const { postgres } = input;
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

function service(
  input: ClusterConfigInput,
  grpcPort: number,
  membershipPort: number,
  httpPort?: number,
): Yaml {
  return {
    rpc: {
      grpcPort,
      membershipPort,
      bindOnIP: input.ip,
      ...(httpPort ? { httpPort } : {}),
    },
  };
}

export function renderClusterConfig(input: ClusterConfigInput): string {
  const { ports, ip } = input;
  const config: Yaml = {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      datastores: {
        'postgres-default': datastore(input, input.databases.temporal, input.maxConns.persistence),
        'postgres-visibility': datastore(input, input.databases.visibility, input.maxConns.visibility),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: ip },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `${ip}:${ports.metrics}`,
        },
      },
    },
    services: {
      frontend: service(input, ports.frontend, ports.frontendMembership, ports.frontendHttp),
      history: service(input, ports.history, ports.historyMembership),
      matching: service(input, ports.matching, ports.matchingMembership),
      worker: service(input, ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${ip}:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  return `# Written by \`npm run cluster\` (scripts/cluster/config.ts) at every start; edit that, not this.\n${toYaml(config)}\n`;
}

/**
 * Dynamic configuration, re-read every 10 s while the server runs. Empty of overrides on purpose: the benchmark
 * measures the server as it ships. Operators add keys here (e.g. `frontend.namespaceRPS`, `history.persistenceMaxQPS`).
 */
export function renderDynamicConfig(): string {
  return '# Temporal dynamic config for the consentflow cluster; keys: go.temporal.io/server/common/dynamicconfig\n{}\n';
}
