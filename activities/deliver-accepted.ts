// What a provider's acceptance writes: the call's result, the outbox row `sent` and the step's outcome. Normally
// inside the delivery's own transaction, under its row lock. When that transaction's connection broke after the
// provider accepted (a failover, a terminated backend, an idle timeout), the same writes go through a fresh
// connection instead of being lost: a lost answer would make the retry send the message a second time.
import type { Channel } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { isConnectionError } from '../db/errors';
import type { ActivityLogger } from './context';
import type { DeliveryResult } from './deliver';
import { finishAttempt, writeOutcome, type StepRef } from './outcomes';
import { markSent, readOutbox } from './store';

export interface Acceptance {
  ref: StepRef;
  message: { channel: Channel; type: string };
  attemptId: string;
  providerId: string;
  decisionId: string | null | undefined;
}

export async function recordAccepted(client: PoolClient, a: Acceptance): Promise<DeliveryResult> {
  await finishAttempt(client, a.attemptId, 'accepted', { providerId: a.providerId });
  // Unconditional: whatever a decision did to the row meanwhile, the provider has the message.
  await markSent(client, a.ref.messageKey, a.providerId);
  await writeOutcome(client, a.ref, a.message, {
    outcome: 'sent',
    verdict: 'send',
    reasons: [
      {
        rule: 'deliver:accepted',
        message: `Accepted by the ${a.message.channel} provider (${a.providerId}).`,
      },
    ],
    decisionId: a.decisionId ?? null,
  });
  return { state: 'sent', channel: a.message.channel, providerId: a.providerId };
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
  if (!isConnectionError(lost)) throw lost;
  let last: unknown = lost;
  for (const pause of FRESH_TRIES) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    try {
      const result = await inTransaction(pool, async (client) => {
        await readOutbox(client, a.ref.messageKey, true);
        return recordAccepted(client, a);
      });
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
  // Still unreachable: the attempt keeps no result, and the retry (same key) says what happened.
  throw last;
}
