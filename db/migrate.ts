// Versioned schema migrations (node-pg-migrate, plain SQL files in db/migrations, applied in name order).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { DatabaseUnreachableError } from './pool';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrateResult {
  applied: string[];
}

export async function migrate(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
): Promise<MigrateResult> {
  // Our own client, so its 'error' event has a listener: a connection terminated while a worker waits on the
  // migration lock (failover, pg_terminate_backend) fails this migrate call instead of killing the process.
  const dbClient = new pg.Client({ connectionString: databaseUrl });
  dbClient.on('error', (err) => log(`PostgreSQL closed the migration connection (${err.message}).`));
  try {
    await dbClient.connect();
    const ran = await runner({
      dbClient,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'schema_migrations',
      checkOrder: true,
      singleTransaction: true,
      // Every worker migrates at start. Workers starting together queue on the advisory lock instead of
      // failing with "Another migration is already running"; the later ones then find nothing to apply.
      advisoryLockMode: 'wait',
      log: () => undefined,
      logger: { debug: () => undefined, info: () => undefined, warn: log, error: log },
    });
    for (const m of ran) log(`applied ${m.name}`);
    return { applied: ran.map((m) => m.name) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000') {
      throw new DatabaseUnreachableError(databaseUrl, err);
    }
    throw err;
  } finally {
    await dbClient.end().catch(() => undefined);
  }
}
