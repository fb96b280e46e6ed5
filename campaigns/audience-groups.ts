// A segment's audience as groups of contacts with the same decision facts, counted by PostgreSQL: what a
// preview decides once per group instead of once per contact. Reading a million profiles into this process
// and finding the equal ones here (campaigns/decide-batch.ts shareDecisions) cost this process as much CPU as
// PostgreSQL spent reading them; grouped, a range of the store comes back as a few hundred rows.
//
// The group key is every column a profile is built from (db/contacts/profile.ts PROFILE_COLUMNS, the id aside)
// and, per subscription that could carry the message, in profile order, what a decision reads of it
// (rules/decision-facts.ts): resource, status, priority, categories, and of the address only that it is there
// and what may give an area code (rules/subdivision.ts areaCodeOf: a "+1" number's first five characters; any
// other SMS number is '+', any email address '@'; an odd "+1" address whole). A key finer than the decision
// facts is still right, only shared less.
// A contact with messages a cap may count stands alone, decided with its own history.
import type { Pool } from '../db/pool';
import {
  PROFILE_COLUMNS,
  PROFILE_WITH,
  SUBSCRIPTION_ORDER,
  profileOfValues,
  subscriptionOf,
  type ProfileValues,
} from '../db/contacts/profile';
import { countableByCapsSql, countedMessagesSql, type CountedHistory } from '../activities/history';
import { inTransaction } from '../db/transaction';
import type { PageRange } from '../contracts/campaign';
import type { ContactProfile, MessageSpec, Subscription } from '../rules/model';
import { compileSegment } from '../segments/compile';
import type { Segment } from '../segments/segment';

export interface FactsGroup {
  /** The group's first contact: the one decided for all of them. */
  id: string;
  /** The profile every contact of the group has, as far as a decision reads it (the first contact's id). */
  profile: ContactProfile;
  /** How many contacts the group holds. */
  count: number;
  /** Its first contact ids, in id order (at most the samples asked for, at least one). */
  first: string[];
  /** A contact with messages a cap may count: a group of one, to be decided with its history. */
  own: boolean;
}

/** [resource, status, priority, address key, categories or null] of each subscription, in profile order. */
type SubscriptionKey = [string, Subscription['status'], number, string, Subscription['categories'] | null];

/** How many of a profile's values a group row starts with: all but the id. */
const FACTS = 9;

/** A profile's values but its id, then the subscription key, the contact standing alone, count, first ids. */
type GroupRow = [
  ...(ProfileValues extends [string, ...infer Facts] ? Facts : never),
  subs: string | null,
  alone: string | null,
  count: number,
  first: string[],
];

/** The part of an address a decision on `channel` may read, as SQL over `s` (rules/subdivision.ts areaCodeOf). */
const addressKeySql = (channel: MessageSpec['channel']): string =>
  channel === 'sms'
    ? `CASE WHEN s.address = '' THEN '' WHEN s.address !~ '^\\+1' THEN '+' WHEN s.address ~ '^\\+1[0-9]{3}' THEN left(s.address, 5) ELSE s.address END`
    : `CASE WHEN s.address = '' THEN '' ELSE '@' END`;

/**
 * The groups of `segment`'s audience at `at` in `range`, for decisions on `message`. `counted`: the history
 * the caps that may limit the message count, if any may: a contact with a message they could count stands alone.
 */
export async function audienceGroups(
  pool: Pool,
  segment: Segment,
  at: Date,
  message: MessageSpec,
  range: Pick<PageRange, 'after' | 'upTo'>,
  opts: { samples: number; counted?: CountedHistory | undefined },
): Promise<FactsGroup[]> {
  // $1, $2: the range; $3: samples; $4, $5: channel and resource; $6: since.
  const compiled = compileSegment(segment, {
    at,
    paramOffset: 6,
    paged: { after: '$1::text', through: '$2::text' },
  });
  const values: unknown[] = [
    range.after,
    range.upTo ?? null,
    Math.max(1, Math.floor(opts.samples)),
    message.channel,
    message.resource ?? null,
    opts.counted?.since ?? null,
    ...compiled.params,
  ];
  const counted = opts.counted;
  const alone = !counted
    ? 'CASE WHEN $6::timestamptz IS NOT NULL THEN c.id END' // $6 is NULL: never
    : `CASE WHEN EXISTS (SELECT 1 FROM ${countedMessagesSql('$6::timestamptz')} AND o.contact_id = c.id
                           AND ${countableByCapsSql(counted.caps, counted.transactional, values)}) THEN c.id END`;
  // One range is one core's work (the caller reads ranges side by side): parallel workers would each
  // aggregate the range's subscriptions again. Memory for the sorts and the grouping instead of disk.
  const rows = await inTransaction(pool, async (client) => {
    await client.query("SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB'");
    const read = await client.query<GroupRow>({
      text: `${PROFILE_WITH}
      SELECT p.status, p.active, p.country, p.subdivision, p.timezone, p.implied_basis, p.implied_at,
             p.bl_email, p.bl_phone, p.subs, p.alone, count(*)::int, (array_agg(p.id ORDER BY p.id))[1:$3]
        FROM (SELECT ${PROFILE_COLUMNS}, subs.key AS subs, ${alone} AS alone
                FROM contacts c LEFT JOIN (
                  SELECT s.contact_id,
                         json_agg(json_build_array(s.resource, s.status, s.priority, ${addressKeySql(message.channel)},
                                                   NULLIF(s.categories, '{}')) ORDER BY ${SUBSCRIPTION_ORDER})::text AS key
                    FROM subscriptions s
                   WHERE s.deleted_at IS NULL AND s.channel = $4 AND ($5::text IS NULL OR s.resource = $5)
                     AND s.contact_id > $1 AND ($2::text IS NULL OR s.contact_id <= $2)
                   GROUP BY s.contact_id) subs ON subs.contact_id = c.id
               WHERE c.id > $1 AND ($2::text IS NULL OR c.id <= $2) AND (${compiled.where})) p
       GROUP BY p.status, p.active, p.country, p.subdivision, p.timezone, p.implied_basis, p.implied_at,
                p.bl_email, p.bl_phone, p.subs, p.alone`,
      values,
      rowMode: 'array',
    });
    return read.rows;
  });
  // Subscription keys repeat across groups (they differ by the contact's own facts): each parsed once.
  const parsed = new Map<string, SubscriptionKey[]>();
  return rows.map((row) => {
    const [subs, alone, count, first] = row.slice(FACTS) as [string | null, string | null, number, string[]];
    const profile = profileOfValues([first[0]!, ...row.slice(0, FACTS)] as ProfileValues);
    if (subs !== null) {
      let keys = parsed.get(subs);
      if (keys === undefined) parsed.set(subs, (keys = JSON.parse(subs) as SubscriptionKey[]));
      for (const [resource, subStatus, priority, address, categories] of keys)
        profile.subscriptions.push(
          subscriptionOf(resource, message.channel, address, subStatus, priority, categories ?? undefined),
        );
    }
    return { id: first[0]!, profile, count, first, own: alone !== null };
  });
}
