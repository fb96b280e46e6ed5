// Transactions and the per-contact row lock every change takes first, so two concurrent updates to one
// contact run one after the other instead of overwriting each other.
import type { Pool, PoolClient } from '../pool';
import { ContactNotFoundError } from './errors';

export type Queryable = Pool | PoolClient;

export { inTransaction } from '../transaction';

/** Contact id for an id, an email address or a phone number (as typed by a person: normalized here). */
export async function resolveContactKey(db: Queryable, key: string): Promise<string | null> {
  const k = key.trim();
  let sql = 'SELECT id FROM contacts WHERE id = $1';
  let value = k;
  if (k.includes('@')) {
    sql = 'SELECT id FROM contacts WHERE email = $1';
    value = k.toLowerCase();
  } else if (/^(\+|00)[0-9\s().-]+$/.test(k)) {
    sql = 'SELECT id FROM contacts WHERE phone = $1';
    value = `+${k.replace(/^(\+|00)/, '').replace(/[\s().-]/g, '')}`;
  }
  const { rows } = await db.query<{ id: string }>(sql, [value]);
  return rows[0]?.id ?? null;
}

export interface LockedContact {
  id: string;
  email: string | null;
  phone: string | null;
  status: string;
  active: boolean;
}

/** Resolves the key and takes the contact's row lock for the rest of the transaction. */
export async function lockContact(client: PoolClient, key: string): Promise<LockedContact> {
  const id = await resolveContactKey(client, key);
  const { rows } = id
    ? await client.query<LockedContact>(
        'SELECT id, email, phone, status, active FROM contacts WHERE id = $1 FOR UPDATE',
        [id],
      )
    : { rows: [] };
  const contact = rows[0];
  if (!contact) throw new ContactNotFoundError(key);
  return contact;
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}
