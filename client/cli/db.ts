import type { Command } from 'commander';
import { loadSettings } from '../config';
import { describeUrl, ensureDatabase } from '../../db/pool';
import { migrate } from '../../db/migrate';

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('PostgreSQL schema migrations');
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
