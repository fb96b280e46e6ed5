import type { Command } from 'commander';
import { loadSettings } from '../config';
import type * as PoolModule from '../../db/pool';
import type * as MigrateModule from '../../db/migrate';

// The PostgreSQL driver and migrator load when a `db` command runs, not at every CLI start.
let describeUrl: typeof PoolModule.describeUrl;
let ensureDatabase: typeof PoolModule.ensureDatabase;
let migrate: typeof MigrateModule.migrate;

async function loadDb(): Promise<void> {
  ({ describeUrl, ensureDatabase } = await import('../../db/pool'));
  ({ migrate } = await import('../../db/migrate'));
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('PostgreSQL schema migrations').hook('preAction', loadDb);
  db.command('migrate')
    .description('create the database if missing and apply pending migrations')
    .action(async () => {
      const { databaseUrl } = loadSettings();
      await ensureDatabase(databaseUrl);
      const { applied } = await migrate(databaseUrl, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(
        applied.length
          ? `${applied.length} migration(s) applied to ${describeUrl(databaseUrl)}\n`
          : `${describeUrl(databaseUrl)} is up to date\n`,
      );
    });
}
