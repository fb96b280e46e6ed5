// Read side: the ContactProfile the decision engine reads (batched for large audiences), the fields message
// templates may use, and the full contact a person looks at.
import type { Pool, PoolClient } from '../pool';
import type { ContactProfile, ImpliedConsentBasis, Subscription } from '../../rules/model';
import { resolveContactKey } from './tx';

interface ProfileRow {
  id: string;
  status: ContactProfile['status'];
  active: boolean;
  country: string | null;
  subdivision: string | null;
  timezone: string | null;
  implied_basis: ImpliedConsentBasis | null;
  implied_at: string | null;
  bl_email: boolean;
  bl_phone: boolean;
}

interface SubRow extends Subscription {
  contact_id: string;
}

/** Blacklist flags: true when any of the contact's addresses on that channel (primary or subscription) is listed. */
const BLACKLIST_FLAG = (channel: 'email' | 'sms', primary: 'email' | 'phone') => `
  EXISTS (SELECT 1 FROM blacklist b WHERE b.channel = '${channel}' AND b.address_hash IN (
    SELECT cf_address_hash(c.${primary}) UNION ALL
    SELECT cf_address_hash(s.address) FROM subscriptions s WHERE s.contact_id = c.id AND s.channel = '${channel}'))`;

/** Profiles of many contacts in two queries; ids that do not exist are absent from the map. */
export async function loadProfiles(
  pool: Pool | PoolClient,
  ids: string[],
): Promise<Map<string, ContactProfile>> {
  const out = new Map<string, ContactProfile>();
  if (ids.length === 0) return out;
  const unique = [...new Set(ids)];
  const anyBlacklisted = (await pool.query('SELECT 1 FROM blacklist LIMIT 1')).rowCount;
  const { rows } = await pool.query<ProfileRow>(
    `SELECT c.id, c.status, c.active, c.country, c.subdivision, c.timezone,
       c.implied_consent_basis AS implied_basis, to_char(c.implied_consent_at, 'YYYY-MM-DD') AS implied_at,
       ${anyBlacklisted ? BLACKLIST_FLAG('email', 'email') : 'false'} AS bl_email,
       ${anyBlacklisted ? BLACKLIST_FLAG('sms', 'phone') : 'false'} AS bl_phone
     FROM contacts c WHERE c.id = ANY($1::text[])`,
    [unique],
  );
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      status: r.status,
      active: r.active,
      country: r.country,
      ...(r.subdivision ? { subdivision: r.subdivision } : {}),
      timezone: r.timezone,
      ...(r.implied_basis && r.implied_at
        ? { impliedConsent: { basis: r.implied_basis, at: r.implied_at } }
        : {}),
      blacklist: { email: r.bl_email, phone: r.bl_phone },
      subscriptions: [],
    });
  }
  const { rows: subs } = await pool.query<SubRow>(
    `SELECT contact_id, resource, channel, address, status, priority, categories
     FROM subscriptions WHERE contact_id = ANY($1::text[]) AND deleted_at IS NULL
     ORDER BY contact_id, resource, channel, priority, created_at, id`,
    [unique],
  );
  for (const s of subs) {
    const { contact_id, categories, ...rest } = s;
    const sub: Subscription = categories && Object.keys(categories).length ? { ...rest, categories } : rest;
    out.get(contact_id)?.subscriptions.push(sub);
  }
  return out;
}

/** Fields a message template may use; custom fields by name (never shadowing a standard field). */
export async function loadTemplateFields(pool: Pool, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await pool.query<Record<string, unknown> & { custom: Record<string, unknown> }>(
    `SELECT id, first_name, last_name, email, phone, language, country, timezone,
       to_char(birthday, 'YYYY-MM-DD') AS birthday, gender, custom
     FROM contacts WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  const { custom, ...fields } = row;
  return { ...custom, ...fields };
}

export interface ContactDetails {
  contact: Record<string, unknown>;
  profile: ContactProfile;
  subscriptions: Record<string, unknown>[];
  notes: { id: string; body: string; author: string; created_at: Date }[];
}

/** Everything about one contact, for people (`contacts show` without --json). */
export async function showContact(pool: Pool, key: string): Promise<ContactDetails | null> {
  const id = await resolveContactKey(pool, key);
  if (!id) return null;
  const profile = (await loadProfiles(pool, [id])).get(id);
  if (!profile) return null;
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT id, email, phone, first_name, last_name, gender, language, country, subdivision, timezone,
       to_char(birthday, 'YYYY-MM-DD') AS birthday, source, implied_consent_basis,
       to_char(implied_consent_at, 'YYYY-MM-DD') AS implied_consent_at, status, active, custom, created_at,
       updated_at
     FROM contacts WHERE id = $1`,
    [id],
  );
  const { rows: subscriptions } = await pool.query<Record<string, unknown>>(
    `SELECT resource, channel, address, status, priority, categories, custom, created_at, deleted_at
     FROM subscriptions WHERE contact_id = $1 ORDER BY resource, channel, priority, created_at`,
    [id],
  );
  const { rows: notes } = await pool.query<ContactDetails['notes'][number]>(
    'SELECT id::text, body, author, created_at FROM contact_notes WHERE contact_id = $1 ORDER BY created_at, id',
    [id],
  );
  return { contact: rows[0]!, profile, subscriptions, notes };
}
