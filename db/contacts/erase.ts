// GDPR erase: removes the person from every table and keeps only non-identifying traces: the digest of each
// erased address (so a later import cannot silently resubscribe it), blacklist digests, and the consent
// ledger's rows with addresses and sources scrubbed (its append-only trigger lets exactly this through).
import type { Pool, PoolClient } from '../pool';
import { appendLedger } from './ledger';
import { toContext } from './store';
import { inTransaction, lockContact } from './tx';
import type { ConsentContext, Origin } from './types';

const OWN_TABLES = new Set([
  'contacts',
  'subscriptions',
  'contact_notes',
  'doi_tokens',
  'consent_ledger',
  'blacklist',
  'erased_addresses',
]);
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface EraseResult {
  contactId: string;
  /** Addresses forgotten (count only: the addresses themselves are gone). */
  addresses: number;
  /** Rows in other tables (outbox, decision log...) where the addresses were replaced by "[erased]". */
  scrubbedRows: number;
}

export async function eraseContact(
  pool: Pool,
  key: string,
  origin: Origin | ConsentContext = 'admin',
): Promise<EraseResult> {
  const ctx = toContext(origin);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    const { rows: addrs } = await client.query<{ channel: 'email' | 'sms'; address: string }>(
      `SELECT 'email' AS channel, email AS address FROM contacts WHERE id = $1 AND email IS NOT NULL
       UNION SELECT 'sms', phone FROM contacts WHERE id = $1 AND phone IS NOT NULL
       UNION SELECT channel, address FROM subscriptions WHERE contact_id = $1`,
      [c.id],
    );
    const addresses = addrs.map((a) => a.address);
    const channels = addrs.map((a) => a.channel);
    await client.query(
      `INSERT INTO erased_addresses (channel, address_hash)
       SELECT ch, cf_address_hash(a) FROM unnest($1::text[], $2::text[]) AS x(ch, a) ON CONFLICT DO NOTHING`,
      [channels, addresses],
    );
    await client.query(`UPDATE blacklist SET address = NULL WHERE address = ANY($1::text[])`, [addresses]);

    await client.query(`SELECT set_config('consentflow.erase', 'on', true)`);
    await client.query(
      `UPDATE consent_ledger SET address = NULL, source = jsonb_build_object('redacted', true)
       WHERE contact_id = $1 OR address = ANY($2::text[])`,
      [c.id, addresses],
    );
    const scrubbedRows = await scrubOtherTables(client, c.id, addrs);
    await client.query(`SELECT set_config('consentflow.erase', 'off', true)`);

    await client.query('DELETE FROM contacts WHERE id = $1', [c.id]);
    await appendLedger(client, { ...ctx, source: {} }, [
      { contactId: c.id, kind: 'erase', before: null, after: { erased: true, addresses: addresses.length } },
    ]);
    return { contactId: c.id, addresses: addresses.length, scrubbedRows };
  });
}

/**
 * Every other table's text and JSON columns, so tables added later by other modules (outbox, decision log)
 * are covered without this code knowing them. Rows are limited to the contact's when the table has a
 * contact_id column; tables without one are searched whole.
 */
async function scrubOtherTables(
  client: PoolClient,
  contactId: string,
  addrs: { channel: string; address: string }[],
): Promise<number> {
  if (addrs.length === 0) return 0;
  const variants = addrs.flatMap((a) =>
    a.channel === 'sms' ? [a.address, a.address.slice(1)] : [a.address],
  );
  const pattern = variants.map(escapeRegex).join('|');
  const { rows: cols } = await client.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    has_contact: boolean;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type,
       EXISTS (SELECT 1 FROM information_schema.columns k WHERE k.table_schema = c.table_schema
               AND k.table_name = c.table_name AND k.column_name = 'contact_id') AS has_contact
     FROM information_schema.columns c JOIN information_schema.tables t
       ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')
     ORDER BY 1, 2`,
  );
  let scrubbed = 0;
  for (const col of cols) {
    if (OWN_TABLES.has(col.table_name) || col.table_name === 'schema_migrations') continue;
    const t = `"${col.table_name.replace(/"/g, '""')}"`;
    const k = `"${col.column_name.replace(/"/g, '""')}"`;
    const asText = col.data_type.startsWith('json') ? `${k}::text` : k;
    const cast = col.data_type === 'jsonb' ? '::jsonb' : col.data_type === 'json' ? '::json' : '';
    const scope = col.has_contact ? `contact_id::text = $2 AND` : '';
    const { rowCount } = await client.query(
      `UPDATE ${t} SET ${k} = regexp_replace(${asText}, $1, '[erased]', 'gi')${cast} WHERE ${scope} ${asText} ~* $1`,
      col.has_contact ? [pattern, contactId] : [pattern],
    );
    scrubbed += rowCount ?? 0;
  }
  return scrubbed;
}
