// What providers and people tell us about an address after a send: hard bounces, spam complaints,
// unsubscribe and resubscribe clicks, inbound SMS keywords. Each event is decided by the time it happened,
// not by when it arrived: an event older than the newest one that already decided a subscription changes
// nothing there (docs/consent-model.md, "Feedback"). Each change lands in the ledger with origin "feedback".
import type { Pool, PoolClient } from '../pool';
import type { GlobalStatus, SubscriptionStatus } from '../../rules/model';
import { loadSmsKeywords, matchSmsKeyword, type SmsKeywords } from '../../rules/feedback/sms-keywords';
import { appendLedger, type LedgerEntry } from './ledger';
import { advanceClocks, clockedSubscriptions, globalClock } from './feedback-clock';
import { parseFeedbackEvent, type FeedbackEvent, type ValidFeedbackEvent } from './feedback-event';
import { inTransaction } from './tx';

export {
  FEEDBACK_KINDS,
  CLOCK_SKEW_MS,
  parseFeedbackEvent,
  type FeedbackEvent,
  type FeedbackKind,
  type ValidFeedbackEvent,
} from './feedback-event';

export interface FeedbackResult {
  contactIds: string[];
  /** Ledger rows written: subscriptions and global statuses changed. */
  changes: number;
  /** Text to send back for an inbound SMS keyword (opt-out, opt-in, help). */
  reply?: string;
  /** The SMS keyword the text was read as. */
  keyword?: string;
  /** Subscriptions (and global statuses) left alone because a newer event had already decided them. */
  superseded?: number;
  /** The event (by its provider id, options.eventKey) was applied before: nothing was written. */
  duplicate?: true;
}

export interface FeedbackOptions {
  /** SMS keywords (loadSmsKeywords(rulesDir)); default the shipped rules/feedback/sms-keywords.json. */
  keywords?: SmsKeywords;
  /** This server's clock, for refusing events from the future. */
  now?: Date;
  /** Recorded in the ledger under the event's own source (e.g. {via: "cli", line: 3}). */
  source?: Record<string, unknown>;
  /**
   * The provider's id of this event (webhook event id, message sid, link token): an event whose key was
   * applied before changes nothing and comes back `duplicate` (providers deliver webhooks more than once).
   */
  eventKey?: { provider: string; id: string };
  /**
   * An unsubscribe without a resource that belongs to one channel (a carrier-level SMS opt-out, a one-click
   * from an email that named no list): every subscription of the address on that channel, never the global
   * status, which would stop the other channel too.
   */
  keepGlobalStatus?: boolean;
}

/**
 * "set": an opt-out, bounce or complaint; applies unless a newer feedback event decided the subscription.
 * "restore": an opt-in; only from unsubscribed, and only when newer than both the newest feedback event and
 * the change that unsubscribed it, whoever made that change.
 */
type Effect =
  | { type: 'set'; status: SubscriptionStatus; global: boolean }
  | { type: 'restore'; global: boolean }
  | { type: 'none' };

// An opt-out does not hide why an address may not be contacted: a bounce or complaint stays what it is.
const KEPT_BY_OPT_OUT = ['complainer', 'hard_bounced'];

function plan(
  e: ValidFeedbackEvent,
  keywords: SmsKeywords,
): { effect: Effect; reply?: string; keyword?: string } {
  switch (e.kind) {
    case 'hard_bounce':
      return { effect: { type: 'set', status: 'hard_bounced', global: false } };
    case 'complaint':
      return { effect: { type: 'set', status: 'complainer', global: false } };
    case 'unsubscribe':
      return { effect: { type: 'set', status: 'unsubscribed', global: !e.resource } };
    case 'resubscribe':
      return { effect: { type: 'restore', global: !e.resource } };
    case 'inbound_sms': {
      const match = matchSmsKeyword(keywords, e.text ?? '');
      if (!match) return { effect: { type: 'none' } };
      const { intent, keyword } = match;
      if (intent === 'opt_out')
        return {
          effect: { type: 'set', status: 'unsubscribed', global: false },
          reply: keywords.replies.optOut,
          keyword,
        };
      if (intent === 'opt_in')
        return { effect: { type: 'restore', global: false }, reply: keywords.replies.optIn, keyword };
      return { effect: { type: 'none' }, reply: keywords.replies.help, keyword };
    }
  }
}

interface Decided {
  entries: LedgerEntry[];
  clocks: Array<string | null>;
  superseded: number;
}

/**
 * Whether `at` comes before `than`. On equal times an opt-in with a time of its own loses (`orEqual`): two
 * provider timestamps to the second say nothing about order, and keeping the opt-out is the safe side. An
 * event without a time is taken as happening now, after everything already recorded.
 */
const older = (at: Date, than: Date | null, orEqual: boolean) =>
  than !== null && (orEqual ? at.getTime() <= than.getTime() : at.getTime() < than.getTime());

async function decideSubscriptions(
  client: PoolClient,
  contactId: string,
  e: ValidFeedbackEvent,
  effect: Exclude<Effect, { type: 'none' }>,
  out: Decided,
): Promise<void> {
  const subs = await clockedSubscriptions(client, contactId, e.channel, e.address, e.resource ?? null);
  for (const s of subs) {
    let next: SubscriptionStatus | null = null;
    if (effect.type === 'set') {
      // Equal times: the opt-out wins (safer), so "older" here is strictly older.
      if (older(e.at, s.clock, false)) {
        out.superseded++;
        continue;
      }
      const kept = effect.status === 'unsubscribed' && KEPT_BY_OPT_OUT.includes(s.status);
      if (s.status !== effect.status && !kept) next = effect.status;
    } else {
      if (s.status !== 'unsubscribed' && s.status !== 'subscribed') continue;
      if (
        older(e.at, s.clock, e.timed) ||
        (s.status === 'unsubscribed' && older(e.at, s.changedAt, e.timed))
      ) {
        out.superseded++;
        continue;
      }
      if (s.status === 'unsubscribed') next = 'subscribed';
    }
    out.clocks.push(s.id);
    if (!next) continue;
    await client.query('UPDATE subscriptions SET status = $2, updated_at = now() WHERE id = $1', [
      s.id,
      next,
    ]);
    out.entries.push({
      contactId,
      kind: 'subscription',
      channel: e.channel,
      resource: s.resource,
      address: e.address,
      before: { status: s.status, priority: s.priority },
      after: { status: next, priority: s.priority },
    });
  }
}

async function decideGlobal(
  client: PoolClient,
  contactId: string,
  status: string,
  e: ValidFeedbackEvent,
  effect: Exclude<Effect, { type: 'none' }>,
  out: Decided,
): Promise<void> {
  const g = await globalClock(client, contactId);
  let next: GlobalStatus | null = null;
  if (effect.type === 'set') {
    if (older(e.at, g.clock, false)) {
      out.superseded++;
      return;
    }
    if (!['unsubscribed', ...KEPT_BY_OPT_OUT].includes(status)) next = 'unsubscribed';
  } else {
    if (status !== 'unsubscribed' && status !== 'subscribed') return;
    if (older(e.at, g.clock, e.timed) || (status === 'unsubscribed' && older(e.at, g.changedAt, e.timed))) {
      out.superseded++;
      return;
    }
    if (status === 'unsubscribed') next = 'subscribed';
  }
  out.clocks.push(null);
  if (!next) return;
  await client.query('UPDATE contacts SET status = $2, updated_at = now() WHERE id = $1', [contactId, next]);
  out.entries.push({ contactId, kind: 'status', before: { status }, after: { status: next } });
}

let shippedKeywords: SmsKeywords | undefined;

/**
 * Applies one event to every contact that has the address. Bad input throws ContactFieldError naming the
 * field (nothing is written); an event older than what already decided a subscription leaves it alone and
 * is counted in `superseded`.
 */
export async function applyFeedback(
  pool: Pool,
  event: FeedbackEvent,
  options: FeedbackOptions = {},
): Promise<FeedbackResult> {
  const e = parseFeedbackEvent(event, options.now ?? new Date());
  const keywords = options.keywords ?? (shippedKeywords ??= loadSmsKeywords());
  const { effect, reply, keyword } = plan(e, keywords);
  const ctx = {
    origin: 'feedback' as const,
    at: e.at,
    source: { ...options.source, ...e.source, event: e.kind, ...(keyword ? { keyword } : {}) },
  };
  const result = await inTransaction(pool, async (client) => {
    if (options.eventKey) {
      // In the same transaction as the change: a crash before commit leaves the event to be applied again.
      const seen = await client.query(
        `INSERT INTO feedback_events (provider, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        [options.eventKey.provider, options.eventKey.id],
      );
      if (seen.rowCount === 0) return null;
    }
    // Every contact with the address, locked in id order: concurrent feedback for one contact runs one
    // event after the other, and each sees the clocks the previous one left.
    const { rows } = await client.query<{ id: string; status: string }>(
      `SELECT id, status FROM contacts WHERE id IN (
         SELECT id FROM contacts WHERE (CASE $1 WHEN 'email' THEN email ELSE phone END) = $2
         UNION SELECT contact_id FROM subscriptions WHERE channel = $1 AND address = $2)
       ORDER BY id FOR UPDATE`,
      [e.channel, e.address],
    );
    let changes = 0;
    let superseded = 0;
    let decided = 0;
    if (effect.type !== 'none') {
      for (const c of rows) {
        const out: Decided = { entries: [], clocks: [], superseded: 0 };
        if (effect.global && !options.keepGlobalStatus)
          await decideGlobal(client, c.id, c.status, e, effect, out);
        await decideSubscriptions(client, c.id, e, effect, out);
        await advanceClocks(client, c.id, out.clocks, e.at, keyword ?? e.kind);
        await appendLedger(client, ctx, out.entries);
        changes += out.entries.length;
        superseded += out.superseded;
        decided += out.clocks.length;
      }
    }
    return { contactIds: rows.map((r) => r.id), changes, superseded, decided };
  });
  if (!result) return { contactIds: [], changes: 0, duplicate: true };
  // The reply must not say what did not happen: no "resubscribed" unless something is subscribed by this
  // event, no "unsubscribed" when a newer opt-in outranked every subscription it named.
  const truthful =
    effect.type === 'restore'
      ? result.decided > 0
      : effect.type === 'set'
        ? result.decided > 0 || result.superseded === 0
        : true;
  return {
    contactIds: result.contactIds,
    changes: result.changes,
    ...(reply && truthful ? { reply } : {}),
    ...(keyword ? { keyword } : {}),
    ...(result.superseded ? { superseded: result.superseded } : {}),
  };
}
