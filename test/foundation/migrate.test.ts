// Several workers start together and each migrates at start: they must all come up, the schema applied once.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase } from '../../db/pool';
import { migrate } from '../../db/migrate';
import { TEST_SERVER_URL } from '../support/global-setup';

const name = `cf_migrate_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const url = `${TEST_SERVER_URL}/${name}`;

afterAll(async () => {
  const admin = new pg.Client({ connectionString: `${TEST_SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describe('migrate', () => {
  it('workers starting together on a missing database all come up; the schema is applied once', async () => {
    // What each worker does at start: create the database if missing, then migrate.
    const start = async () => {
      await ensureDatabase(url);
      return migrate(url);
    };
    const results = await Promise.all([start(), start(), start()]);
    const applied = results.map((r) => r.applied.length).sort((a, b) => b - a);
    expect(applied[0]).toBeGreaterThan(0);
    expect(applied.slice(1)).toEqual([0, 0]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      expect(Number(rows[0]?.n)).toBe(applied[0]);
    } finally {
      await client.end();
    }
    // And again, with everything applied: a no-op for each.
    const again = await Promise.all([migrate(url), migrate(url)]);
    expect(again.map((r) => r.applied)).toEqual([[], []]);
  });
});
