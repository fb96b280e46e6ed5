// Subscription limits (Altcraft): at most 20 subscriptions per resource per channel and 200 per profile.
// When a write goes over, the excess is evicted in the documented order and each eviction is recorded.
import type { PoolClient } from '../pool';
import { contextAt } from './ledger';
import type { ConsentContext } from './types';

export const LIMIT_PER_RESOURCE_CHANNEL = 20;
export const LIMIT_PER_PROFILE = 200;

/**
 * Eviction order: deleted first; then invalid, hard_bounced, complainer, suspended, unconfirmed (in that
 * order); then the lowest priority (highest number); then the oldest. Subscriptions the current write just
 * added or touched go last, so a new subscription replaces an old one rather than bouncing off the limit.
 */
const EVICTION_ORDER = `
  (s.id = ANY($2::bigint[])) ASC,
  (s.deleted_at IS NULL) ASC,
  CASE s.status WHEN 'invalid' THEN 1 WHEN 'hard_bounced' THEN 2 WHEN 'complainer' THEN 3
    WHEN 'suspended' THEN 4 WHEN 'unconfirmed' THEN 5 ELSE 6 END ASC,
  s.priority DESC, s.created_at ASC, s.id ASC`;

/** Returns how many subscriptions were evicted. Callers hold the contacts' row locks. */
export async function enforceLimits(
  client: PoolClient,
  contactIds: string[],
  protectedIds: string[],
  ctx: ConsentContext,
): Promise<number> {
  // Cheap pre-check: most writes are far below the limits.
  const { rows: over } = await client.query<{ contact_id: string }>(
    `SELECT DISTINCT contact_id FROM (
       SELECT contact_id, count(*) OVER (PARTITION BY contact_id) AS total,
              count(*) OVER (PARTITION BY contact_id, resource, channel) AS per
       FROM subscriptions WHERE contact_id = ANY($1::text[])) x
     WHERE total > $2 OR per > $3`,
    [contactIds, LIMIT_PER_PROFILE, LIMIT_PER_RESOURCE_CHANNEL],
  );
  if (over.length === 0) return 0;
  const ids = over.map((o) => o.contact_id);
  let evicted = 0;
  for (const [partition, limit, label] of [
    ['s.contact_id, s.resource, s.channel', LIMIT_PER_RESOURCE_CHANNEL, 'per_resource_channel'],
    ['s.contact_id', LIMIT_PER_PROFILE, 'per_profile'],
  ] as const) {
    const { rowCount } = await client.query(
      `WITH ranked AS (
         SELECT s.id, row_number() OVER (PARTITION BY ${partition} ORDER BY ${EVICTION_ORDER}) AS rn,
                count(*) OVER (PARTITION BY ${partition}) AS cnt
         FROM subscriptions s WHERE s.contact_id = ANY($1::text[])),
       gone AS (
         DELETE FROM subscriptions s USING ranked r
         WHERE r.id = s.id AND r.rn <= r.cnt - $3
         RETURNING s.*)
       INSERT INTO consent_ledger (at, contact_id, kind, channel, resource, address, before, after, origin, source)
       SELECT $4, contact_id, 'eviction', channel, resource, address,
         jsonb_build_object('status', status, 'priority', priority, 'created_at', created_at,
                            'deleted', deleted_at IS NOT NULL),
         NULL, $5, $6::jsonb || jsonb_build_object('limit', $7::text, 'max', $3::int)
       FROM gone`,
      [ids, protectedIds, limit, contextAt(ctx), ctx.origin, JSON.stringify(ctx.source ?? {}), label],
    );
    evicted += rowCount ?? 0;
  }
  return evicted;
}
