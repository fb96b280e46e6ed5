// The history frequency caps count: the messages of one contact the outbox holds as sent or still to be sent.
// decideStep reads it in the transaction that writes the new outbox row, after taking the contact's lock, so
// two sends to one contact can never both pass a cap on the same history.
import type { RuleSet } from '../rules';
import type { HistoryEntry } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';

type Db = Pool | PoolClient;

/**
 * Serializes every decision about one contact until the transaction ends. Taken before the per-message lock,
 * always in that order, so the two locks never wait on each other in a cycle.
 */
export async function lockContact(client: PoolClient, contactId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [`contact:${contactId}`]);
}

/**
 * The contact's pending and sent messages within the longest cap window before `at` (and any later), except
 * the message `exceptKey` itself: a re-ask must not count its own row. No caps: no read. A message's instant
 * is that of the decision that allowed it (a delivery that asks again renews it), on the workflow's clock: a
 * send goes out within that decision's validity (a minute), and the provider's clock is not the workflow's.
 */
export async function readHistory(
  db: Db,
  ruleSet: RuleSet,
  contactId: string,
  exceptKey: string,
  at: Date,
): Promise<HistoryEntry[]> {
  const caps = ruleSet.model.caps;
  if (caps.length === 0) return [];
  const longest = Math.max(...caps.map((c) => c.windowMs));
  const { rows } = await db.query<{
    channel: 'email' | 'sms';
    type: string;
    at: Date;
    category: string | null;
  }>(
    `SELECT o.channel, o.message_type AS type, d.category,
            COALESCE(d.at, o.created_at) AS at
       FROM outbox o LEFT JOIN decision_log d ON d.id = o.decision_id
      WHERE o.contact_id = $1 AND o.idempotency_key <> $2 AND o.state IN ('pending', 'sent')
        AND COALESCE(d.at, o.created_at) > $3`,
    [contactId, exceptKey, new Date(at.getTime() - longest)],
  );
  return rows.map((r) => ({
    channel: r.channel,
    type: r.type,
    at: r.at.toISOString(),
    ...(r.category ? { category: r.category } : {}),
  }));
}
