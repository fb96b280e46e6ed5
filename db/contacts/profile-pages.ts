// An audience read page by page, with each contact's profile: what campaign preview and campaign enqueueing
// decide on. A page is two queries whatever its size: the contacts (keyset on the id, the caller's filter,
// the profile's columns) and their subscriptions as one index range scan over the page's id range. Reading
// the ids first and then the profiles by id cost PostgreSQL about eight times as much per contact: a probe
// and an aggregate per contact instead of one ordered scan (bench/preview.ts measures the page read).
import type { Pool, PoolClient } from '../pool';
import type { ContactProfile, Subscription } from '../../rules/model';
import {
  PROFILE_COLUMNS,
  PROFILE_WITH,
  SUBSCRIPTION_ORDER,
  profileOf,
  subscriptionOf,
  type ProfileRow,
} from './profile';

type Db = Pool | PoolClient;

export interface ProfilePage {
  /** The page's contact ids, in id order (the keyset: the next page starts after the last). */
  ids: string[];
  profiles: Map<string, ContactProfile>;
}

/** SQL over `contacts c` selecting the audience; its parameters are numbered from $3 ($1, $2: keyset, limit). */
export interface PageFilter {
  where: string;
  params: readonly unknown[];
}

/**
 * Up to `limit` contacts after `after` (exclusive; '' for the first page) that `filter` selects, in id
 * order, with their profiles (the same profiles loadProfiles reads).
 */
export async function readProfilePage(
  db: Db,
  filter: PageFilter,
  after: string,
  limit: number,
): Promise<ProfilePage> {
  const { rows } = await db.query<ProfileRow>(
    `${PROFILE_WITH}
     SELECT ${PROFILE_COLUMNS} FROM contacts c
      WHERE c.id > $1 AND (${filter.where}) ORDER BY c.id LIMIT $2`,
    [after, limit, ...filter.params],
  );
  const ids = rows.map((r) => r.id);
  const profiles = new Map<string, ContactProfile>(rows.map((r) => [r.id, profileOf(r)]));
  if (ids.length > 0) {
    for (const [contactId, ...sub] of await subscriptionsOfPage(db, after, ids))
      profiles.get(contactId)?.subscriptions.push(subscriptionOf(...parsed(sub)));
  }
  return { ids, profiles };
}

type SubscriptionRow = [
  string,
  string,
  Subscription['channel'],
  string,
  Subscription['status'],
  number,
  string,
];

/** Rows per page contact above which the id range holds mostly other contacts: read by id instead. */
const RANGE_ROWS_PER_CONTACT = 8;

/**
 * The live subscriptions of the page's contacts, in contact and profile order. A dense page (a segment that
 * selects most contacts) reads its id range in one ordered index scan; the range also holds the
 * subscriptions of contacts the filter left out, skipped here. A sparse page (a small segment spread over a
 * large store) would read the whole store that way, so the range read stops after a bounded number of rows
 * and the page is read by id instead: never more than a few times the page's own rows.
 */
async function subscriptionsOfPage(db: Db, after: string, ids: string[]): Promise<SubscriptionRow[]> {
  const cap = ids.length * RANGE_ROWS_PER_CONTACT + 64;
  const range = await db.query<SubscriptionRow>({
    text: `SELECT s.contact_id, s.resource, s.channel, s.address, s.status, s.priority, s.categories::text
             FROM subscriptions s
            WHERE s.contact_id > $1 AND s.contact_id <= $2 AND s.deleted_at IS NULL
            ORDER BY s.contact_id, ${SUBSCRIPTION_ORDER} LIMIT $3`,
    values: [after, ids[ids.length - 1], cap],
    rowMode: 'array',
  });
  if (range.rows.length < cap) return range.rows;
  const byId = await db.query<SubscriptionRow>({
    text: `SELECT s.contact_id, s.resource, s.channel, s.address, s.status, s.priority, s.categories::text
             FROM subscriptions s
            WHERE s.contact_id = ANY($1::text[]) AND s.deleted_at IS NULL
            ORDER BY s.contact_id, ${SUBSCRIPTION_ORDER}`,
    values: [ids],
    rowMode: 'array',
  });
  return byId.rows;
}

/** A row's categories arrive as JSON text: most subscriptions have none, and '{}' needs no parsing. */
function parsed(
  sub: SubscriptionRow extends [string, ...infer Rest] ? Rest : never,
): Parameters<typeof subscriptionOf> {
  const [resource, channel, address, status, priority, categories] = sub;
  return [
    resource,
    channel,
    address,
    status,
    priority,
    categories === '{}' ? undefined : (JSON.parse(categories) as Subscription['categories']),
  ];
}
