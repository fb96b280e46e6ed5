// What a consent link does to the store. Every change goes through applyFeedback, the path `consentflow
// feedback` uses, so a click is decided like any other opt-out (time order, ledger row with its source).
import type { Pool } from '../db/pool';
import { applyFeedback } from '../db/contacts/feedback';
import type { LinkClaims } from '../contracts/consent-link';
import { countFeedback } from './metrics';

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
 * Unsubscribes the link's scope: its resource's subscriptions of the address, or, when the message named no
 * resource, the address and the global status (the CLI's `feedback unsubscribe` without --resource). A
 * mailbox provider's one-click POST passes `replayKey`: the same link posted again changes nothing, even
 * after the person resubscribed on the preference page.
 */
export async function unsubscribeByLink(
  pool: Pool,
  claims: LinkClaims,
  source: Record<string, unknown>,
  replayKey?: string,
): Promise<{ changes: number }> {
  const address = await linkAddress(pool, claims);
  if (!address) return { changes: 0 };
  const result = await applyFeedback(
    pool,
    {
      kind: 'unsubscribe',
      channel: claims.channel,
      address,
      ...(claims.resource ? { resource: claims.resource } : {}),
    },
    {
      source: {
        ...source,
        ...(claims.messageId ? { messageId: claims.messageId } : {}),
        ...(claims.category ? { category: claims.category } : {}),
      },
      ...(replayKey ? { eventKey: { provider: 'one-click', id: replayKey } } : {}),
    },
  );
  countFeedback('unsubscribe', 'link', result);
  return { changes: result.changes };
}
