// The contact store opened for one CLI command: a pool on DATABASE_URL, checked reachable before the command
// runs and ended after it. The PostgreSQL driver loads on the first call, not at every CLI start.
import { loadSettings } from '../config';
import type { Pool } from '../../db/pool';
import { CliError } from './errors';

/** Runs `fn` with a pool on DATABASE_URL and ends the pool after. */
export type WithPool = <T>(fn: (pool: Pool) => Promise<T>) => Promise<T>;

/**
 * A WithPool of `connections` connections; a failure is thrown as `explain` says (a CliError with the words
 * and exit code the command promises, or the error itself). A store that was never migrated is said the same
 * way by every command (exit 1), without the driver's words.
 */
export function poolRunner(connections: number, explain: (err: unknown) => unknown): WithPool {
  return async (fn) => {
    const { assertReachable, createPool } = await import('../../db/pool');
    const { databaseUrl } = loadSettings();
    const pool = createPool(databaseUrl, connections);
    try {
      await assertReachable(pool, databaseUrl);
      return await fn(pool);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01')
        throw new CliError('the contact tables are missing; run: consentflow db migrate', 1);
      throw explain(err);
    } finally {
      await pool.end();
    }
  };
}
