// One send rate per channel and provider, shared by every worker process and campaign: each delivery group
// reserves the next free slots of its bucket in PostgreSQL (one row, one UPDATE) and waits for each. The database's clock
// spaces the slots, so two workers on one machine or on two never exceed the rate together.
import type { Pool } from '../db/pool';

/**
 * Reserves `count` consecutive slots of `bucket` at `ratePerSecond` in one UPDATE: a delivery group asks once for
 * all its sends. Returns how long to wait for the first slot (ms, 0 when the bucket is idle) and the gap between
 * slots; slot i starts `firstMs + i * gapMs` after this answer. Slots are never handed out twice: the row's
 * update is serialized by PostgreSQL, and each reservation moves `next_at` past all of its slots.
 */
export async function reserveSlots(
  pool: Pool,
  bucket: string,
  ratePerSecond: number,
  count: number,
): Promise<{ firstMs: number; gapMs: number }> {
  const gapMs = 1_000 / ratePerSecond;
  if (count <= 0) return { firstMs: 0, gapMs };
  const { rows } = await pool.query<{ wait_ms: number }>(
    `INSERT INTO delivery_rate AS r (bucket, next_at)
          VALUES ($1, clock_timestamp() + $2::float8 * $3::int * interval '1 millisecond')
     ON CONFLICT (bucket) DO UPDATE
          SET next_at = GREATEST(r.next_at, clock_timestamp()) + $2::float8 * $3::int * interval '1 millisecond'
     RETURNING GREATEST(0, EXTRACT(EPOCH FROM (r.next_at - $2::float8 * $3::int * interval '1 millisecond' - clock_timestamp())) * 1000)::float8 AS wait_ms`,
    [bucket, gapMs, count],
  );
  return { firstMs: rows[0]?.wait_ms ?? 0, gapMs };
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
