// Versioned schema migrations (node-pg-migrate, plain SQL files in db/migrations, applied in name order).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { DatabaseUnreachableError } from './pool';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrateResult {
  applied: string[];
}

export async function migrate(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
): Promise<MigrateResult> {
  try {
    const ran = await runner({
      databaseUrl,
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
  }
}
