// A campaign delivery group's acceptances, committed as the provider answers instead of when the group ends: a
// worker killed mid-group (SIGKILL, OOM, a lost host) would otherwise take with it the record of every message
// the provider already accepted, and the retry would hand them over again (a provider without idempotency,
// plain SMTP, delivers them twice). What is written is the attempt row's answer ('accepted', the provider's
// id), on the pool, outside the group's transaction: that transaction holds the group's outbox rows FOR UPDATE
// until it records them all (campaign-deliver-batch.ts), so an outbox write from here would wait for it, and a
// write inside it commits only with it. The attempt rows it never locks (they were committed on the pool
// before the calls). A later pass reads an accepted attempt on a pending row as that row's acceptance and
// records it instead of sending again (deliver-accepted.ts recordUnrecordedAcceptances).
// Coalesced: one write at a time, carrying every acceptance heard while the one before ran, so a fast provider
// costs a statement per database round trip, not one per message.
import type { Pool } from '../db/pool';
import type { ActivityLogger } from './context';
import { finishAttempts } from './outcomes-batch';

export interface AcceptanceLog {
  /** The provider accepted this attempt's message: written with the others heard meanwhile. */
  accepted(attemptId: string, providerId: string): void;
  /** Resolves once every acceptance heard so far has been written (or its write has failed). */
  settled(): Promise<void>;
}

export function acceptanceLog(pool: Pool, log: ActivityLogger): AcceptanceLog {
  let queued: { id: string; providerId: string }[] = [];
  let writing: Promise<void> | undefined;
  const write = async (): Promise<void> => {
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        await finishAttempts(
          pool,
          batch.map((a) => ({ id: a.id, result: 'accepted' as const, providerId: a.providerId })),
        );
      } catch (err) {
        // Not the group's failure: its close records these acceptances with the rest, as before; only a
        // crash before that close would now send them again.
        log.warn('acceptances not written ahead of the group: recorded when the group closes', {
          attempts: batch.length,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    writing = undefined;
  };
  return {
    accepted(id, providerId) {
      queued.push({ id, providerId });
      writing ??= write();
    },
    settled: async () => {
      await writing;
    },
  };
}
