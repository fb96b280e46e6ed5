// What providers and people tell us about an address after a send: hard bounces, spam complaints,
// unsubscribe clicks and inbound SMS keywords. Each change lands in the ledger with origin "feedback".
import type { Pool } from '../pool';
import type { Channel, SubscriptionStatus } from '../../rules/model';
import { ContactFieldError } from './errors';
import { appendLedger } from './ledger';
import { unsubscribeLocked } from './store';
import { inTransaction } from './tx';
import type { ConsentContext } from './types';
import { normalizeAddress, parseChannel } from './validate';

export interface FeedbackEvent {
  kind: 'hard_bounce' | 'complaint' | 'unsubscribe' | 'inbound_sms';
  channel: Channel;
  address: string;
  /** The message text of an inbound SMS. */
  text?: string;
  /** Unsubscribe from this resource only; without it the global status changes. */
  resource?: string;
  /** When it happened (ISO string or Date); default now. */
  at?: string | Date;
  /** Provider, message id, webhook... A string is recorded as {detail: string}. */
  source?: Record<string, unknown> | string;
}

export interface FeedbackResult {
  contactIds: string[];
  changes: number;
  /** Text to send back for an inbound SMS keyword (HELP, STOP, START). */
  reply?: string;
}

export const FEEDBACK_KINDS = ['hard_bounce', 'complaint', 'unsubscribe', 'inbound_sms'] as const;
/** CTIA / carrier standard opt-out and opt-in keywords, matched alone in the message, any case. */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'];
export const START_KEYWORDS = ['START', 'UNSTOP'];
export const HELP_KEYWORDS = ['HELP'];

export const REPLIES = {
  stop: 'You are unsubscribed and will receive no more messages from us. Reply START to resubscribe.',
  start: 'You are resubscribed. Reply STOP to unsubscribe, HELP for help.',
  help: 'Reply STOP to unsubscribe, START to resubscribe. Message and data rates may apply.',
};

type Action =
  | { type: 'status'; status: SubscriptionStatus; from?: SubscriptionStatus[] }
  | { type: 'unsubscribe' }
  | { type: 'none' };

function plan(event: FeedbackEvent): { action: Action; reply?: string } {
  switch (event.kind) {
    case 'hard_bounce':
      return { action: { type: 'status', status: 'hard_bounced' } };
    case 'complaint':
      return { action: { type: 'status', status: 'complainer' } };
    case 'unsubscribe':
      return { action: { type: 'unsubscribe' } };
    case 'inbound_sms': {
      if (event.channel !== 'sms')
        throw new ContactFieldError('channel', 'inbound_sms feedback is for the sms channel');
      const word = (event.text ?? '').trim().toUpperCase();
      if (STOP_KEYWORDS.includes(word))
        return { action: { type: 'status', status: 'unsubscribed' }, reply: REPLIES.stop };
      // START only restores what STOP took: never a bounce, a complaint or a pending confirmation.
      if (START_KEYWORDS.includes(word))
        return {
          action: { type: 'status', status: 'subscribed', from: ['unsubscribed'] },
          reply: REPLIES.start,
        };
      if (HELP_KEYWORDS.includes(word)) return { action: { type: 'none' }, reply: REPLIES.help };
      return { action: { type: 'none' } };
    }
    default:
      throw new ContactFieldError(
        'kind',
        `"${String((event as { kind: unknown }).kind)}" is not a feedback kind (one of ${FEEDBACK_KINDS.join(', ')})`,
      );
  }
}

export async function applyFeedback(pool: Pool, event: FeedbackEvent): Promise<FeedbackResult> {
  const channel = parseChannel(event.channel);
  const address = normalizeAddress(channel, event.address, 'address');
  const { action, reply } = plan(event);
  const source = typeof event.source === 'string' ? { detail: event.source } : (event.source ?? {});
  const ctx: ConsentContext = { origin: 'feedback', at: event.at, source: { ...source, event: event.kind } };
  const result = await inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string; status: string }>(
      `SELECT id, status FROM contacts WHERE id IN (
         SELECT id FROM contacts WHERE (CASE $1 WHEN 'email' THEN email ELSE phone END) = $2
         UNION SELECT contact_id FROM subscriptions WHERE channel = $1 AND address = $2)
       ORDER BY id FOR UPDATE`,
      [channel, address],
    );
    let changes = 0;
    for (const c of rows) {
      if (action.type === 'unsubscribe') {
        changes += await unsubscribeLocked(
          client,
          c.id,
          c.status,
          { channel, address, resource: event.resource },
          ctx,
        );
      } else if (action.type === 'status') {
        const { rows: subs } = await client.query<{ resource: string; status: string; priority: number }>(
          `UPDATE subscriptions s SET status = $4, updated_at = now() FROM subscriptions old
           WHERE old.id = s.id AND s.contact_id = $1 AND s.channel = $2 AND s.address = $3 AND s.deleted_at IS NULL
             AND s.status <> $4 AND ($5::text[] IS NULL OR s.status = ANY($5::text[]))
             AND ($6::text IS NULL OR s.resource = $6)
           RETURNING s.resource, old.status, s.priority`,
          [c.id, channel, address, action.status, action.from ?? null, event.resource ?? null],
        );
        await appendLedger(
          client,
          ctx,
          subs.map((s) => ({
            contactId: c.id,
            kind: 'subscription' as const,
            channel,
            resource: s.resource,
            address,
            before: { status: s.status, priority: s.priority },
            after: { status: action.status, priority: s.priority },
          })),
        );
        changes += subs.length;
      }
    }
    return { contactIds: rows.map((r) => r.id), changes };
  });
  return reply ? { ...result, reply } : result;
}
