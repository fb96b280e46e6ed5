// A pooled connection whose server process goes away (failover, pg_terminate_backend, an idle timeout) must not
// take the process down: one line is logged and the next query opens a new connection.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, ensureDatabase, type Pool } from '../../db/pool';
import { TEST_SERVER_URL } from '../support/global-setup';

// An empty database of its own: termination is by database, so nothing else is touched.
const name = `cf_pool_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const db = { url: `${TEST_SERVER_URL}/${name}` };
beforeAll(() => ensureDatabase(db.url));
afterAll(async () => {
  const admin = new pg.Client({ connectionString: `${TEST_SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

async function terminateAll(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('createPool', () => {
  it('survives the termination of its idle and checked-out connections, logs once, and keeps serving', async () => {
    const lines: string[] = [];
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    const pool: Pool = createPool(db.url, 4, { log: (l) => lines.push(l) });
    try {
      const held = await pool.connect(); // like deliver, holding a row lock over a provider call
      const idle = await pool.connect();
      await idle.query('SELECT 1');
      idle.release();
      expect(await terminateAll(db.url)).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 500));
      expect(crashes).toEqual([]);
      // The held client is broken: its next query fails (an error the caller handles), release discards it.
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release(true);
      const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
      expect(rows).toEqual([{ ok: 1 }]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/PostgreSQL closed .*connection/);
      expect(lines[0]).not.toMatch(/\n\s+at /);
    } finally {
      process.off('uncaughtException', onCrash);
      await pool.end();
    }
  });
});
