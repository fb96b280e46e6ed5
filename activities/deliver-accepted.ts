// What a provider's acceptance writes: the call's result, the outbox row `sent` and the step's outcome. Normally
// inside the delivery's own transaction, under its row lock. When that transaction's connection broke after the
// provider accepted (a failover, a terminated backend, an idle timeout), the same writes go through a fresh
// connection instead of being lost: a lost answer would make the retry send the message a second time. And an
// acceptance a campaign group wrote ahead on its attempt row (campaign-group-accepted.ts) whose row is still
// pending is found by the next pass (unrecordedAcceptances) and recorded, never sent again.
import type { Channel } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { isConnectionError } from '../db/errors';
import type { ActivityLogger } from './context';
import type { DeliveryResult } from './deliver';
import { finishAttempt, stepRefOf, writeOutcome, type StepRef } from './outcomes';
import { markSent, readOutbox, type OutboxEntry } from './store';
import { finishAttempts, writeOutcomes } from './outcomes-batch';
import { markSentRows, readOutboxRows } from './store-batch';

export interface Acceptance {
  ref: StepRef;
  message: { channel: Channel; type: string };
  attemptId: string;
  providerId: string;
  decisionId: string | null | undefined;
}

/** `row`'s acceptance by the provider, in its attempt `attemptId`. */
export function acceptanceOf(row: OutboxEntry, attemptId: string, providerId: string): Acceptance {
  return {
    ref: stepRefOf(row),
    message: { channel: row.channel, type: row.messageType },
    attemptId,
    providerId,
    decisionId: row.decisionId,
  };
}

/**
 * The acceptances among pending `rows` an earlier attempt wrote on its attempt row but whose worker died before
 * recording them: the provider has these messages. Read under the rows' locks, before they are asked or sent.
 */
async function unrecordedAcceptances(
  db: Pool | PoolClient,
  rows: readonly OutboxEntry[],
): Promise<Acceptance[]> {
  const pending = new Map(rows.filter((r) => r.state === 'pending').map((r) => [r.idempotencyKey, r]));
  if (pending.size === 0) return [];
  const { rows: found } = await db.query<{ key: string; id: string; provider_id: string }>(
    `SELECT DISTINCT ON (message_key) message_key AS key, id, provider_id FROM delivery_attempts
      WHERE message_key = ANY($1::text[]) AND result = 'accepted' ORDER BY message_key, id DESC`,
    [[...pending.keys()]],
  );
  return found.map((a) => acceptanceOf(pending.get(a.key) as OutboxEntry, a.id, a.provider_id));
}

/**
 * unrecordedAcceptances among `rows`, recorded (the outbox row `sent`, the step's outcome): the message keys
 * recorded, which are no longer to be asked or sent. The campaign's re-ask and its last check under the row
 * locks both settle rows this way.
 */
export async function recordUnrecordedAcceptances(
  client: PoolClient,
  rows: readonly OutboxEntry[],
): Promise<Set<string>> {
  const accepted = await unrecordedAcceptances(client, rows);
  await recordAcceptances(client, accepted);
  return new Set(accepted.map((a) => a.ref.messageKey));
}

export async function recordAccepted(client: PoolClient, a: Acceptance): Promise<DeliveryResult> {
  await finishAttempt(client, a.attemptId, 'accepted', { providerId: a.providerId });
  // Unconditional: whatever a decision did to the row meanwhile, the provider has the message.
  await markSent(client, a.ref.messageKey, a.providerId);
  await writeOutcome(client, a.ref, a.message, acceptedOutcome(a));
  return { state: 'sent', channel: a.message.channel, providerId: a.providerId };
}

function acceptedOutcome(a: Acceptance): Parameters<typeof writeOutcome>[3] {
  return {
    outcome: 'sent',
    verdict: 'send',
    reasons: [
      {
        rule: 'deliver:accepted',
        message: `Accepted by the ${a.message.channel} provider (${a.providerId}).`,
      },
    ],
    decisionId: a.decisionId ?? null,
  };
}

/** How often the fresh connection is tried, and the pause before each retry (a failover takes a moment). */
const FRESH_TRIES = [0, 250, 1_000];

/**
 * The delivery's transaction failed after the provider accepted: when the failure is the connection, record the
 * acceptance on a fresh one (locking the row again: a zombie attempt must see `sent`). Anything else rethrows.
 */
export async function recordAcceptedAfresh(
  pool: Pool,
  a: Acceptance,
  lost: unknown,
  log: ActivityLogger,
): Promise<DeliveryResult> {
  return afresh(pool, lost, log, [a], async (client) => {
    await readOutbox(client, a.ref.messageKey, true);
    return recordAccepted(client, a);
  });
}

/** The same for a campaign group's acceptances: their rows locked again in key order, recorded in bulk. */
export async function recordAcceptancesAfresh(
  pool: Pool,
  all: readonly Acceptance[],
  lost: unknown,
  log: ActivityLogger,
): Promise<void> {
  await afresh(pool, lost, log, all, async (client) => {
    await readOutboxRows(
      client,
      all.map((a) => a.ref.messageKey),
      true,
    );
    await recordAcceptances(client, all);
  });
}

/** recordAccepted for many acceptances at once (a campaign's delivery group), one statement per table. */
export async function recordAcceptances(client: PoolClient, all: readonly Acceptance[]): Promise<void> {
  await finishAttempts(
    client,
    all.map((a) => ({ id: a.attemptId, result: 'accepted' as const, providerId: a.providerId })),
  );
  await markSentRows(
    client,
    all.map((a) => ({ key: a.ref.messageKey, providerId: a.providerId })),
  );
  await writeOutcomes(
    client,
    all.map((a) => ({ ref: a.ref, message: a.message, o: acceptedOutcome(a) })),
  );
}

async function afresh<T>(
  pool: Pool,
  lost: unknown,
  log: ActivityLogger,
  all: readonly Acceptance[],
  record: (client: PoolClient) => Promise<T>,
): Promise<T> {
  if (!isConnectionError(lost)) throw lost;
  let last: unknown = lost;
  for (const pause of FRESH_TRIES) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    try {
      const result = await inTransaction(pool, record);
      for (const a of all)
        log.warn('delivery recorded on a fresh connection: the first one broke after the provider accepted', {
          messageKey: a.ref.messageKey,
          providerId: a.providerId,
        });
      return result;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      last = err;
    }
  }
  // Still unreachable: the attempts keep no result, and the retry (same keys) says what happened.
  throw last;
}
