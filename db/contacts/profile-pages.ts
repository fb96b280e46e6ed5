// An audience read page by page, with each contact's profile: what campaign preview and campaign enqueueing
// decide on. A page is three queries whatever its size: the contacts (keyset on the id, the caller's filter,
// the profile's columns), how dense the page is, and the page's subscriptions (by id range or by id). Reading
// the ids first and then the profiles by id cost PostgreSQL about eight times as much per contact: a probe
// and an aggregate per contact instead of one ordered scan (bench/preview.ts measures the page read).
import type { Pool, PoolClient } from '../pool';
import type { ContactProfile, Subscription } from '../../rules/model';
import {
  PROFILE_COLUMNS,
  PROFILE_WITH,
  SUBSCRIPTION_ORDER,
  profileOfValues,
  subscriptionOf,
  type ProfileValues,
} from './profile';
import { textArrayLiteral } from '../array-literal';

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
 * Only the subscriptions that could carry this message (its channel, and its resource when it names one):
 * the only ones a decision about it reads (rules/facts.ts `candidates`), so a page decided for one message
 * need not read the others.
 */
export interface Carrying {
  channel: Subscription['channel'];
  resource?: string | undefined;
}

/**
 * Up to `limit` contacts after `after` (exclusive; '' for the first page) that `filter` selects, in id
 * order, with their profiles: the same profiles loadProfiles reads, or with `carrying`, the same with only
 * the subscriptions that could carry that message.
 */
export async function readProfilePage(
  db: Db,
  filter: PageFilter,
  after: string,
  limit: number,
  carrying?: Carrying,
): Promise<ProfilePage> {
  const page = await readPageContacts(db, filter, after, limit);
  await addSubscriptions(db, page, after, carrying);
  return page;
}

/** The page's contacts with their profiles' own columns; their subscriptions come with addSubscriptions. */
export async function readPageContacts(
  db: Db,
  filter: PageFilter,
  after: string,
  limit: number,
): Promise<ProfilePage> {
  const { rows } = await db.query<ProfileValues>({
    text: `${PROFILE_WITH}
     SELECT ${PROFILE_COLUMNS} FROM contacts c
      WHERE c.id > $1 AND (${filter.where}) ORDER BY c.id LIMIT $2`,
    values: [after, limit, ...filter.params],
    rowMode: 'array',
  });
  const page: ProfilePage = { ids: [], profiles: new Map() };
  for (const row of rows) {
    page.ids.push(row[0]);
    page.profiles.set(row[0], profileOfValues(row));
  }
  return page;
}

/**
 * The subscriptions of a page read after `after` into its profiles. `inRange`: how many contacts lie between
 * `after` and the page's last contact (at most), when the caller knows; else they are counted.
 */
export async function addSubscriptions(
  db: Db,
  page: ProfilePage,
  after: string,
  carrying?: Carrying,
  inRange?: number,
): Promise<void> {
  if (page.ids.length === 0) return;
  // Categories arrive as JSON text, NULL when there are none (most subscriptions: nothing to decode), and the
  // subscriptions that have some share a few texts, each parsed once per page (the rules only read them).
  const parsed = new Map<string, Subscription['categories']>();
  for (const [
    contactId,
    address,
    status,
    priority,
    categories,
    resource,
    channel,
  ] of await subscriptionsOfPage(db, after, page.ids, carrying, inRange)) {
    let named: Subscription['categories'] | undefined;
    if (categories !== null) {
      named = parsed.get(categories);
      if (named === undefined)
        parsed.set(categories, (named = JSON.parse(categories) as Subscription['categories']));
    }
    page.profiles
      .get(contactId)
      ?.subscriptions.push(
        subscriptionOf(
          resource ?? carrying!.resource!,
          channel ?? carrying!.channel,
          address,
          status,
          priority,
          named,
        ),
      );
  }
}

/** contact_id, address, status, priority, categories (none: NULL), and resource and channel unless `carrying` names them. */
type SubscriptionRow = [
  string,
  string,
  Subscription['status'],
  number,
  string | null,
  string | null,
  Subscription['channel'] | null,
];

/**
 * The id range holds fewer than this many contacts per page contact: read as a range (see below). Measured on
 * the 1M benchmark store, a page of 5,000 with one contact in 2.7 of the range selected: 13 ms as a filtered
 * range, 20 ms by id; the range costs about as much as the ids at one in 4.5.
 */
const DENSE = 4;

/**
 * A resource or channel the message names is the same on every row read for it: sent as NULL (no text for the
 * worker to decode) and filled in from `carrying`.
 */
const subscriptionsSql = (carrying: Carrying | undefined) =>
  `SELECT s.contact_id, s.address, s.status, s.priority, NULLIF(s.categories, '{}')::text,
          ${carrying?.resource != null ? 'NULL' : 's.resource'}, ${carrying ? 'NULL' : 's.channel'}
     FROM subscriptions s WHERE s.deleted_at IS NULL AND`;
const IN_ORDER = `ORDER BY s.contact_id, ${SUBSCRIPTION_ORDER}`;

/**
 * The live subscriptions of the page's contacts, in contact and profile order. A dense page (a segment that
 * selects most contacts) reads its id range: one ordered index scan, half the cost of looking up each id.
 * The range also holds the subscriptions of the contacts the filter left out, so a sparse page (a segment
 * that selects one contact in three, or one in a thousand) is read by id. Which one is decided by counting
 * the range's contacts (an index-only count that stops at the threshold), unless the caller knows how many it
 * holds at most (a campaign's id window, segments/audience-window.ts). A dense range that holds contacts
 * the filter left out is still filtered to the page's ids by PostgreSQL, so the worker never parses their rows
 * (with a third of the contacts selected, half of the read's time). The filter compares in "C": equality is
 * the same in any deterministic collation, and a collation the index was not built with keeps the planner
 * from turning the ids into one index probe each; it hashes them and filters the range scan instead.
 */
async function subscriptionsOfPage(
  db: Db,
  after: string,
  ids: string[],
  carrying: Carrying | undefined,
  known: number | undefined,
): Promise<SubscriptionRow[]> {
  const last = ids[ids.length - 1];
  const threshold = ids.length * DENSE;
  const inRange =
    known ??
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM (SELECT 1 FROM contacts c WHERE c.id > $1 AND c.id <= $2 LIMIT $3) r',
        [after, last, threshold],
      )
    ).rows[0]?.n ??
    threshold;
  const dense = inRange < threshold;
  // Every contact of the range is on the page (a segment of everyone): nothing to filter out.
  const whole = inRange <= ids.length;
  const values: unknown[] = !dense
    ? [textArrayLiteral(ids)]
    : whole
      ? [after, last]
      : [after, last, textArrayLiteral(ids)];
  const which = !dense
    ? 's.contact_id = ANY($1::text[])'
    : `s.contact_id > $1 AND s.contact_id <= $2${whole ? '' : ' AND s.contact_id COLLATE "C" = ANY($3::text[])'}`;
  let only = '';
  if (carrying) {
    values.push(carrying.channel, carrying.resource ?? null);
    only = ` AND s.channel = $${values.length - 1} AND ($${values.length}::text IS NULL OR s.resource = $${values.length})`;
  }
  const read = await db.query<SubscriptionRow>({
    text: `${subscriptionsSql(carrying)} ${which}${only} ${IN_ORDER}`,
    values,
    rowMode: 'array',
  });
  return read.rows;
}
