// The history frequency caps count: the messages of one contact the outbox holds as sent or still to be sent.
// decideStep reads it in the transaction that writes the new outbox row, after taking the contact's lock, so
// two sends to one contact can never both pass a cap on the same history.
import type { RuleSet } from '../rules';
import type { HistoryEntry, MessageSpec } from '../rules/model';
import type { CapModel } from '../rules/caps';
import type { Pool, PoolClient } from '../db/pool';

type Db = Pool | PoolClient;

/**
 * Serializes every decision about one contact until the transaction ends. Taken before the per-message lock,
 * always in that order, so the two locks never wait on each other in a cycle.
 */
export async function lockContact(client: PoolClient, contactId: string): Promise<void> {
  await lockContacts(client, [contactId]);
}

/**
 * lockContact for a group of contacts (a campaign's delivery group), in one statement. Taken in sorted id order
 * (the array's order is the scan's): two groups sharing contacts wait on each other, never in a cycle.
 */
export async function lockContacts(client: PoolClient, contactIds: readonly string[]): Promise<void> {
  await advisoryLocks(
    client,
    contactIds.map((id) => `contact:${id}`),
    1,
  );
}

/**
 * Serializes the attempts at one message (by its key) until the transaction ends: a stalled attempt and its
 * retry, a delivery's re-ask and a recorded outcome. Where both are taken, the contact's lock comes first.
 */
export async function lockMessages(client: PoolClient, keys: readonly string[]): Promise<void> {
  await advisoryLocks(client, keys, 0);
}

/**
 * Serializes the attempts at writing one campaign page (a zombie and its retry) until the transaction ends:
 * `page` names the campaign, the message and the page's cursor.
 */
export async function lockCampaignPage(client: PoolClient, page: string): Promise<void> {
  await advisoryLocks(client, [`campaign-page:${page}`], 0);
}

/** Transaction-scoped advisory locks on `names` in `space`, in one statement, in sorted order (no cycle). */
async function advisoryLocks(client: PoolClient, names: readonly string[], space: 0 | 1): Promise<void> {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return;
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended(n, $2)) FROM unnest($1::text[]) AS n', [
    sorted,
    space,
  ]);
}

/**
 * The contact's pending and sent messages within the longest cap window before `at` (and any later), except
 * the message `exceptKey` itself: a re-ask must not count its own row. No caps: no read. A message's instant
 * is that of the decision that allowed it (a delivery that asks again renews it), on the workflow's clock: a
 * send goes out within that decision's validity (a minute), and the provider's clock is not the workflow's.
 */
export async function readHistory(
  db: Db,
  ruleSet: RuleSet,
  contactId: string,
  exceptKey: string,
  at: Date,
): Promise<HistoryEntry[]> {
  const all = await readHistories(db, ruleSet, [contactId], at, () => exceptKey);
  return all.get(contactId) ?? [];
}

/**
 * The caps that may limit `message` in some region (rules/caps.ts capLimits, region aside): when none may, the
 * history cannot change the decision, and a batch of a million email decisions need not read the outbox for
 * an SMS cap.
 */
export function capsThatMayLimit(ruleSet: RuleSet, message: MessageSpec): readonly CapModel[] {
  const kind = ruleSet.model.transactional.has(message.type) ? 'transactional' : 'marketing';
  const category = message.category ?? null;
  return ruleSet.model.caps.filter(
    (cap) =>
      (cap.channel === null || cap.channel === message.channel) &&
      (cap.kinds ? cap.kinds.has(kind) : cap.types!.has(message.type)) &&
      (cap.category === null || cap.category === category) &&
      !(cap.sameCategory && category === null),
  );
}

/** The history caps count for a message: since when, by which caps, and which types are transactional. */
export interface CountedHistory {
  since: Date;
  caps: readonly CapModel[];
  transactional: ReadonlySet<string>;
}

/**
 * What the caps that may limit `message` (all caps, without one) count of a contact's messages at `at`: from
 * the longest window's start; undefined when no cap may limit it (no history can change the decision).
 */
export function countedHistory(
  ruleSet: RuleSet,
  at: Date,
  message?: MessageSpec,
): CountedHistory | undefined {
  const caps = message ? capsThatMayLimit(ruleSet, message) : ruleSet.model.caps;
  if (caps.length === 0) return undefined;
  const since = new Date(at.getTime() - Math.max(...caps.map((c) => c.windowMs)));
  return { since, caps, transactional: ruleSet.model.transactional };
}

/**
 * The outbox rows caps count, decided after the instant `since` (SQL naming a timestamptz) is: FROM and WHERE
 * of a query over `o` (outbox) and `d` (its decision), for the caller to narrow by `o.contact_id`.
 */
export const countedMessagesSql = (since: string): string =>
  `outbox o LEFT JOIN decision_log d ON d.id = o.decision_id
      WHERE o.state IN ('pending', 'sent') AND COALESCE(d.at, o.created_at) > ${since}`;

/**
 * SQL over `o` (outbox) that holds for every row one of `caps` could count: its channel, and its kinds or
 * types (the category aside, so it may hold for a few more; rules/caps.ts `counts`). Its values are appended
 * to `params`. A contact with no such row has no history these caps read.
 */
export function countableByCapsSql(
  caps: readonly CapModel[],
  transactional: ReadonlySet<string>,
  params: unknown[],
): string {
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const each = caps.map((cap) => {
    const channel = cap.channel === null ? 'true' : `o.channel = ${bind(cap.channel)}`;
    const kinds = cap.kinds;
    let type: string;
    if (!kinds) type = `o.message_type = ANY(${bind([...(cap.types ?? [])])}::text[])`;
    else if (kinds.has('marketing') && kinds.has('transactional')) type = 'true';
    else if (kinds.has('marketing')) type = `NOT o.message_type = ANY(${bind([...transactional])}::text[])`;
    else if (kinds.has('transactional')) type = `o.message_type = ANY(${bind([...transactional])}::text[])`;
    else type = 'false';
    return `(${channel} AND ${type})`;
  });
  return each.length > 0 ? `(${each.join(' OR ')})` : 'false';
}

/**
 * readHistory for many contacts in one query (a campaign's batch): every contact of `contactIds` is in the
 * map, with [] when it has no history; `exceptKey` names each contact's own message, if it has one already.
 * With `message`, nothing is read when no cap may limit it (the decision is the same without): the map is
 * empty then, and a contact missing from it has no history.
 */
export async function readHistories(
  db: Db,
  ruleSet: RuleSet,
  contactIds: readonly string[],
  at: Date,
  exceptKey?: (contactId: string) => string | undefined,
  message?: MessageSpec,
): Promise<Map<string, HistoryEntry[]>> {
  const since = countedHistory(ruleSet, at, message)?.since;
  // No cap may count: nothing to read, and no map of empty histories to build for a million contacts.
  if (since === undefined || contactIds.length === 0) return new Map();
  const out = new Map<string, HistoryEntry[]>(contactIds.map((id) => [id, []]));
  const ids = [...out.keys()];
  const { rows } = await db.query<{
    contact_id: string;
    key: string;
    channel: 'email' | 'sms';
    type: string;
    at: Date;
    category: string | null;
  }>(
    `SELECT o.contact_id, o.idempotency_key AS key, o.channel, o.message_type AS type, d.category,
            COALESCE(d.at, o.created_at) AS at
       FROM ${countedMessagesSql('$2')} AND o.contact_id = ANY($1::text[])`,
    [ids, since],
  );
  for (const r of rows) {
    if (exceptKey && r.key === exceptKey(r.contact_id)) continue;
    out.get(r.contact_id)?.push({
      channel: r.channel,
      type: r.type,
      at: r.at.toISOString(),
      ...(r.category ? { category: r.category } : {}),
    });
  }
  return out;
}
