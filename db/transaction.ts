// One transaction helper for every room: BEGIN, the work, COMMIT, or ROLLBACK and rethrow. A connection that
// broke mid-transaction is released as broken, so the pool does not hand it out again.
import type { Pool, PoolClient } from './pool';
import { isConnectionError } from './errors';

export async function inTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: { lockTimeoutMs?: number } = {},
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    if (options.lockTimeoutMs !== undefined) {
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}`);
    }
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = isConnectionError(err);
    if (!broken) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}
