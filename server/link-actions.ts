// What a consent link does to the store. Every change goes through applyFeedback, the path `consentflow
// feedback` uses, so a click is decided like any other opt-out (time order, ledger row with its source).
import type { Pool } from '../db/pool';
import { applyFeedback } from '../db/contacts/feedback';
import { unsubscribeLocked } from '../db/contacts/store';
import { inTransaction, lockContact } from '../db/contacts/tx';
import type { LinkClaims } from '../contracts/consent-link';
import { countFeedback } from './metrics';

/** What an unsubscribe link's POST asks for: the message's category only, or the whole subscription. */
export type LinkScope = 'category' | 'all';

/**
 * The address the message went to (its outbox row), or the contact's own address of that channel. Null when
 * the contact is gone (erased): there is nothing left to unsubscribe.
 */
export async function linkAddress(pool: Pool, claims: LinkClaims): Promise<string | null> {
  if (claims.messageId) {
    const { rows } = await pool.query<{ address: string }>(
      'SELECT address FROM outbox WHERE idempotency_key = $1 AND contact_id = $2',
      [claims.messageId, claims.contactId],
    );
    if (rows[0]) return rows[0].address;
  }
  const { rows } = await pool.query<{ email: string | null; phone: string | null }>(
    'SELECT email, phone FROM contacts WHERE id = $1',
    [claims.contactId],
  );
  const c = rows[0];
  return (claims.channel === 'email' ? c?.email : c?.phone) ?? null;
}

/**
 * Unsubscribes the link's scope. `category` (the default when the link has a category): that category on
 * the subscriptions of the address the message went to (its resource's, or every resource's when the message
 * named none); the subscriptions and the global status stay. `all`, or a link without a category: the
 * resource's subscriptions of the address, or, when the message named no resource, every subscription of the
 * address on the link's channel (the global status only when it has none there). A mailbox provider's one-click POST passes
 * `replayKey`: the same link posted again changes nothing, even after the person resubscribed.
 */
export async function unsubscribeByLink(
  pool: Pool,
  claims: LinkClaims,
  source: Record<string, unknown>,
  replayKey?: string,
  scope: LinkScope = 'category',
): Promise<{ changes: number }> {
  const address = await linkAddress(pool, claims);
  if (!address) return { changes: 0 };
  const proof = {
    ...source,
    ...(claims.messageId ? { messageId: claims.messageId } : {}),
    ...(claims.category ? { category: claims.category } : {}),
  };
  if (claims.category && scope === 'category')
    return unsubscribeCategory(pool, claims, claims.category, address, proof, replayKey);
  // No resource: the address's subscriptions on the link's channel; the global status only when the address
  // has none there (then it is the one switch that stops these emails).
  const keepGlobalStatus = !claims.resource && (await hasSubscriptions(pool, claims, address));
  const result = await applyFeedback(
    pool,
    {
      kind: 'unsubscribe',
      channel: claims.channel,
      address,
      ...(claims.resource ? { resource: claims.resource } : {}),
    },
    {
      source: proof,
      keepGlobalStatus,
      ...(replayKey ? { eventKey: { provider: 'one-click', id: replayKey } } : {}),
    },
  );
  countFeedback('unsubscribe', 'link', result);
  return { changes: result.changes };
}

async function hasSubscriptions(pool: Pool, claims: LinkClaims, address: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM subscriptions WHERE contact_id = $1 AND channel = $2 AND address = $3 AND deleted_at IS NULL LIMIT 1`,
    [claims.contactId, claims.channel, address],
  );
  return Boolean(rowCount);
}

/** The category on the link's contact's subscriptions of that address, with the replay key in the same transaction. */
async function unsubscribeCategory(
  pool: Pool,
  claims: LinkClaims,
  category: string,
  address: string,
  source: Record<string, unknown>,
  replayKey?: string,
): Promise<{ changes: number }> {
  return inTransaction(pool, async (client) => {
    if (replayKey) {
      const seen = await client.query(
        `INSERT INTO feedback_events (provider, event_id) VALUES ('one-click', $1) ON CONFLICT DO NOTHING RETURNING 1`,
        [replayKey],
      );
      if (seen.rowCount === 0) return { changes: 0 };
    }
    const found = await client.query('SELECT 1 FROM contacts WHERE id = $1', [claims.contactId]);
    if (!found.rowCount) return { changes: 0 };
    const c = await lockContact(client, claims.contactId);
    const changes = await unsubscribeLocked(
      client,
      c.id,
      c.status,
      {
        ...(claims.resource ? { resource: claims.resource } : {}),
        channel: claims.channel,
        category,
        address,
      },
      { origin: 'feedback', source: { ...source, event: 'unsubscribe' } },
    );
    return { changes };
  });
}
