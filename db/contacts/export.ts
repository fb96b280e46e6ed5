// Everything the store holds about one contact, as JSON (GDPR Art. 15 access, Art. 20 portability): the
// contact and its subscriptions and notes, the consent ledger with its proof, and what was decided and
// delivered to it (decision log, outbox, step outcomes and campaign suppressions), plus blacklist entries of
// its addresses.
import type { Pool } from '../pool';
import { showContact } from './profile';
import { resolveContactKey } from './tx';

export interface ContactExport {
  exportedAt: string;
  contact: Record<string, unknown>;
  subscriptions: Record<string, unknown>[];
  notes: Record<string, unknown>[];
  ledger: Record<string, unknown>[];
  decisions: Record<string, unknown>[];
  deliveries: Record<string, unknown>[];
  outcomes: Record<string, unknown>[];
  blacklist: Record<string, unknown>[];
}

// Table names are constants here, never input.
const rowsOf = async (pool: Pool, table: string, id: string, order: string) =>
  (
    await pool.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.contact_id = $1 ORDER BY ${order}`,
      [id],
    )
  ).rows.map((r) => r.row);

/** Null when no contact has this id, email or phone. */
export async function exportContact(pool: Pool, key: string): Promise<ContactExport | null> {
  const id = await resolveContactKey(pool, key);
  const details = id ? await showContact(pool, id) : null;
  if (!id || !details) return null;
  const addresses = [details.contact.email, details.contact.phone].filter((a) => typeof a === 'string');
  const blacklist = (
    await pool.query<{ row: Record<string, unknown> }>(
      `SELECT jsonb_build_object('channel', channel, 'address', address, 'reason', reason, 'origin', origin,
         'added_at', added_at) AS row FROM blacklist WHERE address = ANY($1::text[]) ORDER BY added_at`,
      [addresses],
    )
  ).rows.map((r) => r.row);
  return {
    exportedAt: new Date().toISOString(),
    contact: details.contact,
    subscriptions: details.subscriptions,
    notes: details.notes as unknown as Record<string, unknown>[],
    ledger: await rowsOf(pool, 'consent_ledger', id, 't.at, t.id'),
    decisions: await rowsOf(pool, 'decision_log', id, 't.id'),
    deliveries: await rowsOf(pool, 'outbox', id, 't.created_at'),
    outcomes: [
      ...(await rowsOf(pool, 'step_outcomes', id, 't.message_key')),
      ...(await suppressedBy(pool, id)),
    ],
    blacklist,
  };
}

/**
 * The campaigns' suppressions of the contact (one record per page, migration 0020), each shaped as its
 * step_outcomes row would be: the pages whose id range holds the contact, found through the range's index.
 */
const suppressedBy = async (pool: Pool, id: string) =>
  (
    await pool.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) - 'page_contacts' AS row FROM campaign_suppressed_outcomes t
        WHERE t.page_contacts @> $1::text AND t.contact_id = $1 ORDER BY t.message_key`,
      [id],
    )
  ).rows.map((r) => r.row);
