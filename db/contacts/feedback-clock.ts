// The clocks that let feedback be decided by event time (migration 0013): per subscription and per contact's
// global status, the newest feedback event that decided it, and when its current status was last changed by
// anyone (the ledger's last status-changing row). Callers hold the contact's row lock.
import type { PoolClient } from '../pool';
import type { Channel, SubscriptionStatus } from '../../rules/model';

export interface ClockedSubscription {
  id: string;
  resource: string;
  status: SubscriptionStatus;
  priority: number;
  /** Time of the newest feedback event that decided this subscription. */
  clock: Date | null;
  /** Time (as recorded) of the change that set the current status, whoever made it. */
  changedAt: Date | null;
}

export interface GlobalClock {
  clock: Date | null;
  changedAt: Date | null;
}

export async function clockedSubscriptions(
  client: PoolClient,
  contactId: string,
  channel: Channel,
  address: string,
  resource: string | null,
): Promise<ClockedSubscription[]> {
  const { rows } = await client.query<ClockedSubscription & { changed_at: Date | null }>(
    `SELECT s.id::text, s.resource, s.status, s.priority, fc.at AS clock,
       (SELECT l.at FROM consent_ledger l
        WHERE l.contact_id = s.contact_id AND l.kind = 'subscription' AND l.channel = s.channel
          AND l.resource = s.resource AND l.address = s.address
          AND (l.before ->> 'status') IS DISTINCT FROM (l.after ->> 'status')
        ORDER BY l.id DESC LIMIT 1) AS changed_at
     FROM subscriptions s
     LEFT JOIN feedback_clock fc ON fc.contact_id = s.contact_id AND fc.subscription_id = s.id
     WHERE s.contact_id = $1 AND s.channel = $2 AND s.address = $3 AND s.deleted_at IS NULL
       AND ($4::text IS NULL OR s.resource = $4)
     ORDER BY s.id`,
    [contactId, channel, address, resource],
  );
  return rows.map(({ changed_at, ...s }) => ({ ...s, changedAt: changed_at }));
}

export async function globalClock(client: PoolClient, contactId: string): Promise<GlobalClock> {
  const { rows } = await client.query<{ clock: Date | null; changed_at: Date | null }>(
    `SELECT (SELECT at FROM feedback_clock WHERE contact_id = $1 AND subscription_id IS NULL) AS clock,
            (SELECT at FROM consent_ledger WHERE contact_id = $1 AND kind = 'status'
             ORDER BY id DESC LIMIT 1) AS changed_at`,
    [contactId],
  );
  return { clock: rows[0]?.clock ?? null, changedAt: rows[0]?.changed_at ?? null };
}

/** Moves the clocks of these subscriptions (null: the global status) forward to `at`, never back. */
export async function advanceClocks(
  client: PoolClient,
  contactId: string,
  subscriptionIds: Array<string | null>,
  at: Date,
  event: string,
): Promise<void> {
  if (subscriptionIds.length === 0) return;
  await client.query(
    `INSERT INTO feedback_clock (contact_id, subscription_id, at, event)
     SELECT $1, s, $3, $4 FROM unnest($2::bigint[]) AS s
     ON CONFLICT (contact_id, (coalesce(subscription_id, 0))) DO UPDATE
       SET event = CASE WHEN excluded.at >= feedback_clock.at THEN excluded.event ELSE feedback_clock.event END,
           at = greatest(feedback_clock.at, excluded.at)`,
    [contactId, subscriptionIds, at, event],
  );
}
