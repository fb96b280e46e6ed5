// One place that turns the environment into settings, so the worker, the client and the CLI agree on where
// Temporal and PostgreSQL are: a user who outgrows the dev server changes variables, not code.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadTemporalConfig, type TemporalConnectionConfig, type TemporalTransport } from './temporal-config';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Settings {
  temporalAddress: string;
  temporalNamespace: string;
  /**
   * TLS, mTLS, API key and gRPC metadata from a Temporal config profile or TEMPORAL_* variables
   * (client/temporal-config.ts); absent for a plain connection such as the dev server's.
   */
  temporalTransport?: TemporalTransport | undefined;
  taskQueue: string;
  databaseUrl: string;
  rulesDir: string;
  /** Gitignored state of the embedded dev server (SQLite file, logs). */
  stateDir: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/consentflow';

/**
 * The settings of this process. The Temporal part (address, namespace, transport) is read when first used, so
 * a command that never talks to Temporal (`decide`, `rules validate`) neither loads the config file parser nor
 * fails on a broken Temporal profile; a spread (`{ ...settings }`) reads it.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  let temporal: TemporalConnectionConfig | undefined;
  const resolved = () => (temporal ??= loadTemporalConfig(env));
  return {
    get temporalAddress() {
      return resolved().address;
    },
    get temporalNamespace() {
      return resolved().namespace;
    },
    get temporalTransport() {
      return resolved().transport;
    },
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'consentflow',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    rulesDir: path.resolve(env.CONSENTFLOW_RULES ?? path.join(REPO_ROOT, 'rules')),
    stateDir: path.resolve(env.CONSENTFLOW_STATE_DIR ?? path.join(REPO_ROOT, '.consentflow')),
  };
}
