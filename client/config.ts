// One place that turns the environment into settings, so the worker, the client and the CLI agree on where
// Temporal and PostgreSQL are: a user who outgrows the dev server changes variables, not code.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Settings {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  databaseUrl: string;
  rulesDir: string;
  /** Gitignored state of the embedded dev server (SQLite file, logs). */
  stateDir: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/consentflow';

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'consentflow',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    rulesDir: path.resolve(env.CONSENTFLOW_RULES ?? path.join(REPO_ROOT, 'rules')),
    stateDir: path.resolve(env.CONSENTFLOW_STATE_DIR ?? path.join(REPO_ROOT, '.consentflow')),
  };
}
