// Read side: the ContactProfile the decision engine reads (batched for large audiences), the fields message
// templates may use, and the full contact a person looks at.
import type { Pool, PoolClient } from '../pool';
import type { ContactProfile, ImpliedConsentBasis, Subscription } from '../../rules/model';
import { resolveContactKey } from './tx';

/** The contact's own columns of a profile, as `PROFILE_COLUMNS` names them. */
export interface ProfileRow {
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

/** [resource, channel, address, status, priority, categories] per live subscription, in profile order. */
type SubscriptionTuple = [
  string,
  Subscription['channel'],
  string,
  Subscription['status'],
  number,
  Subscription['categories'],
];

/**
 * Blacklist flags: true when any of the contact's addresses on that channel (primary or subscription) is
 * listed. Only looked up when the blacklist has any entry at all (`any_bl`, evaluated once per query; CASE
 * does not run the lookup otherwise): most stores list nobody, and a campaign page should not pay for it.
 */
const BLACKLIST_FLAG = (channel: 'email' | 'sms', primary: 'email' | 'phone') => `
  CASE WHEN (SELECT b FROM any_bl) THEN EXISTS (SELECT 1 FROM blacklist b WHERE b.channel = '${channel}' AND b.address_hash IN (
    SELECT cf_address_hash(c.${primary}) UNION ALL
    SELECT cf_address_hash(s.address) FROM subscriptions s WHERE s.contact_id = c.id AND s.channel = '${channel}'))
  ELSE false END`;

/**
 * The profile's contact columns of `contacts c` (a ProfileRow); the query must start with `PROFILE_WITH`.
 * Shared by the one-contact read below and the audience pages (db/contacts/profile-pages.ts).
 */
export const PROFILE_WITH = 'WITH any_bl AS (SELECT EXISTS (SELECT 1 FROM blacklist) AS b)';
export const PROFILE_COLUMNS = `c.id, c.status, c.active, c.country, c.subdivision, c.timezone,
       c.implied_consent_basis AS implied_basis, to_char(c.implied_consent_at, 'YYYY-MM-DD') AS implied_at,
       ${BLACKLIST_FLAG('email', 'email')} AS bl_email,
       ${BLACKLIST_FLAG('sms', 'phone')} AS bl_phone`;

/** The order of a contact's subscriptions in its profile (the rules pick the first of equal priority). */
export const SUBSCRIPTION_ORDER = 's.resource, s.channel, s.priority, s.created_at, s.id';

/**
 * One query for a few contacts (a send step asks for one): each contact's subscriptions are aggregated next
 * to its row by the (contact_id, ...) index, one index probe per contact. The id bounds (computed by
 * PostgreSQL, in its collation) turn the contacts lookup into one index range scan instead of a probe per
 * id. Unnamed on purpose: a prepared statement's generic plan would not see the ids' bounds. A whole page of
 * an audience is read by db/contacts/profile-pages.ts instead, which costs PostgreSQL a fraction of this.
 */
const PROFILES = {
  text: `${PROFILE_WITH}, bounds AS (SELECT min(x) AS lo, max(x) AS hi FROM unnest($1::text[]) x)
    SELECT ${PROFILE_COLUMNS},
       (SELECT json_agg(json_build_array(s.resource, s.channel, s.address, s.status, s.priority, s.categories)
                        ORDER BY ${SUBSCRIPTION_ORDER})
          FROM subscriptions s WHERE s.contact_id = c.id AND s.deleted_at IS NULL) AS subs
     FROM contacts c
    WHERE c.id >= (SELECT lo FROM bounds) AND c.id <= (SELECT hi FROM bounds) AND c.id = ANY($1::text[])`,
};

/** Profiles of many contacts in one query; ids that do not exist are absent from the map. */
export async function loadProfiles(
  pool: Pool | PoolClient,
  ids: string[],
): Promise<Map<string, ContactProfile>> {
  const out = new Map<string, ContactProfile>();
  if (ids.length === 0) return out;
  const unique = ids.length === 1 ? ids : [...new Set(ids)];
  const { rows } = await pool.query<ProfileRow & { subs: SubscriptionTuple[] | null }>({
    ...PROFILES,
    values: [unique],
  });
  for (const r of rows) {
    const profile = profileOf(r);
    for (const [resource, channel, address, status, priority, categories] of r.subs ?? [])
      profile.subscriptions.push(subscriptionOf(resource, channel, address, status, priority, categories));
    out.set(r.id, profile);
  }
  return out;
}

/** A profile from its contact row, with no subscriptions yet (the caller appends them in profile order). */
export function profileOf(r: ProfileRow): ContactProfile {
  return profileOfValues([
    r.id,
    r.status,
    r.active,
    r.country,
    r.subdivision,
    r.timezone,
    r.implied_basis,
    r.implied_at,
    r.bl_email,
    r.bl_phone,
  ]);
}

/** A ProfileRow's values in PROFILE_COLUMNS' order: what a page of a million contacts reads (no row objects). */
export type ProfileValues = [
  id: string,
  status: ContactProfile['status'],
  active: boolean,
  country: string | null,
  subdivision: string | null,
  timezone: string | null,
  impliedBasis: ImpliedConsentBasis | null,
  impliedAt: string | null,
  blEmail: boolean,
  blPhone: boolean,
];

/** profileOf for a row read as values (`rowMode: 'array'`). */
export function profileOfValues(v: ProfileValues): ContactProfile {
  const [id, status, active, country, subdivision, timezone, impliedBasis, impliedAt, blEmail, blPhone] = v;
  // Built property by property, not with spreads: an audience page builds thousands, each spread an object.
  const profile: ContactProfile = {
    id,
    status,
    active,
    country,
    timezone,
    blacklist: BLACKLIST_FLAGS[blEmail ? 1 : 0][blPhone ? 1 : 0],
    subscriptions: [],
  };
  if (subdivision) profile.subdivision = subdivision;
  if (impliedBasis && impliedAt) profile.impliedConsent = { basis: impliedBasis, at: impliedAt };
  return profile;
}

/** The four blacklist flag pairs, shared by every profile (nothing writes to a profile's flags). */
const BLACKLIST_FLAGS = [
  [Object.freeze({ email: false, phone: false }), Object.freeze({ email: false, phone: true })],
  [Object.freeze({ email: true, phone: false }), Object.freeze({ email: true, phone: true })],
] as const;

/** A subscription as the rules see it: `categories` only when it names any. */
export function subscriptionOf(
  resource: string,
  channel: Subscription['channel'],
  address: string,
  status: Subscription['status'],
  priority: number,
  categories: Subscription['categories'] | undefined,
): Subscription {
  const sub: Subscription = { resource, channel, address, status, priority };
  if (categories && Object.keys(categories).length) sub.categories = categories;
  return sub;
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
