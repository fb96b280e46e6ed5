// One send rate per channel and provider, shared by every worker process and campaign: each delivery reserves
// the next free slot of its bucket in PostgreSQL (one row, one UPDATE) and waits for it. The database's clock
// spaces the slots, so two workers on one machine or on two never exceed the rate together.
import type { Pool } from '../db/pool';

/**
 * Reserves one slot of `bucket` at `ratePerSecond` and returns how long to wait for it (ms, 0 when the bucket
 * is idle). A slot is never handed out twice: the row's update is serialized by PostgreSQL.
 */
export async function reserveSlot(pool: Pool, bucket: string, ratePerSecond: number): Promise<number> {
  const gapMs = 1_000 / ratePerSecond;
  const { rows } = await pool.query<{ wait_ms: number }>(
    `INSERT INTO delivery_rate AS r (bucket, next_at)
          VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
     ON CONFLICT (bucket) DO UPDATE
          SET next_at = GREATEST(r.next_at, clock_timestamp()) + $2 * interval '1 millisecond'
     RETURNING GREATEST(0, EXTRACT(EPOCH FROM (r.next_at - $2 * interval '1 millisecond' - clock_timestamp())) * 1000)::float8 AS wait_ms`,
    [bucket, gapMs],
  );
  return rows[0]?.wait_ms ?? 0;
}

/** Sleeps `ms`, ending early (rejecting) when `signal` aborts: a cancelled campaign does not wait for its slot. */
export function waitFor(ms: number, signal: AbortSignal | undefined, onTick?: () => void): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const tick = onTick ? setInterval(onTick, 1_000) : undefined;
    const done = (): void => {
      clearTimeout(timer);
      if (tick) clearInterval(tick);
      signal?.removeEventListener('abort', abort);
    };
    const abort = (): void => {
      done();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}
