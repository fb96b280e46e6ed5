// Temporal's two PostgreSQL databases (persistence and visibility), created and brought to the schema of the
// server release with temporal-sql-tool. Every step is safe to repeat: a present database is not created again,
// setup-schema leaves a versioned database alone, update-schema applies only the versions above the current one.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { DatabaseUnreachableError } from '../../db/pool';
import type { SchemaDirs } from '../temporal-server';
import type { PostgresTarget } from './config';

export class ClusterSchemaError extends Error {
  override name = 'ClusterSchemaError';
}

export interface SchemaSetup {
  sqlTool: string;
  postgres: PostgresTarget;
  databases: { temporal: string; visibility: string };
  /** From the module cache; without it the tool uses the schema it embeds (same release). */
  schemaDirs?: SchemaDirs;
  log: (line: string) => void;
}

function adminUrl(p: PostgresTarget): string {
  const url = new URL('postgres://placeholder/postgres');
  url.hostname = p.host;
  url.port = String(p.port);
  url.username = p.user;
  if (p.password) url.password = p.password;
  return url.toString();
}

async function existingDatabases(p: PostgresTarget, names: string[]): Promise<Set<string>> {
  const url = adminUrl(p);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachableError(url, err);
  }
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = ANY($1)',
      [names],
    );
    return new Set(rows.map((r) => r.datname));
  } finally {
    await client.end();
  }
}

/** Runs temporal-sql-tool against one database; its output is kept for the error, not shown on success. */
function runTool(setup: SchemaSetup, database: string, args: string[]): Promise<void> {
  const { postgres } = setup;
  const all = [
    '--plugin',
    'postgres12',
    '--endpoint',
    postgres.host,
    '--port',
    String(postgres.port),
    '--user',
    postgres.user,
    '--database',
    database,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    // The password goes through the environment (SQL_PASSWORD), not the process list.
    const child = spawn(setup.sqlTool, all, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(postgres.password ? { SQL_PASSWORD: postgres.password } : {}) },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.on('error', (err) =>
      reject(new ClusterSchemaError(`Could not run ${setup.sqlTool}: ${err.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new ClusterSchemaError(
            `temporal-sql-tool ${args[0]} on database "${database}" failed (exit ${code}):\n${lastLines(output)}`,
          ),
        );
    });
  });
}

/** The tool logs JSON lines; the last few say what went wrong. */
function lastLines(output: string): string {
  return output.trim().split('\n').slice(-6).join('\n');
}

/** Creates both databases if missing and updates each to the newest schema version of the release. */
export async function ensureClusterSchema(setup: SchemaSetup): Promise<void> {
  const { temporal, visibility } = setup.databases;
  const present = await existingDatabases(setup.postgres, [temporal, visibility]);
  const plan: { database: string; dir?: string; embedded: string }[] = [
    { database: temporal, dir: setup.schemaDirs?.temporal, embedded: 'postgresql/v12/temporal' },
    { database: visibility, dir: setup.schemaDirs?.visibility, embedded: 'postgresql/v12/visibility' },
  ];
  for (const step of plan) {
    if (!present.has(step.database)) {
      setup.log(`creating database ${step.database}`);
      await runTool(setup, step.database, ['create-database']);
    }
    await runTool(setup, step.database, ['setup-schema', '--version', '0.0']);
    const source = step.dir ? ['--schema-dir', step.dir] : ['--schema-name', step.embedded];
    await runTool(setup, step.database, ['update-schema', ...source]);
    setup.log(`schema of ${step.database} is current (${step.dir ?? `embedded ${step.embedded}`})`);
  }
}
