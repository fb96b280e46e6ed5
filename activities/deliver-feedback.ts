// What a permanent refusal tells the contact store (a hard bounce, an unsubscribe the provider heard), applied
// after the refusal is recorded on the outbox row: deliver and the campaigns' delivery groups both finish with it.
import type { Pool } from '../db/pool';
import { applyFeedback } from '../db/contacts/feedback';
import type { ActivityLogger } from './context';
import { maskAddress } from './mask';
import { markFeedbackApplied, readOutbox } from './store';

/**
 * Tells the contact store what the provider said about the address. If the store is unreachable the error
 * propagates (retryable); the retry finds the row failed with its feedback not yet applied.
 */
export async function applyPendingFeedback(pool: Pool, key: string, log: ActivityLogger): Promise<void> {
  const entry = await readOutbox(pool, key);
  if (!entry?.feedback || entry.feedbackAppliedAt) return;
  const result = await applyFeedback(pool, {
    kind: entry.feedback,
    channel: entry.channel,
    address: entry.address,
    at: new Date(),
    // The ledger is in PostgreSQL: the provider's full answer belongs there.
    source: { via: 'deliver', idempotencyKey: entry.idempotencyKey, providerAnswer: entry.error },
  });
  await markFeedbackApplied(pool, entry.idempotencyKey);
  log.info('delivery feedback applied', {
    messageKey: entry.idempotencyKey,
    kind: entry.feedback,
    address: maskAddress(entry.address),
    contacts: result.contactIds.length,
    changes: result.changes,
  });
}
