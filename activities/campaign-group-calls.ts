// The provider calls of one campaign delivery group, its rows locked and their attempts committed already
// (campaign-deliver-batch.ts): at most `concurrency` in flight, each no earlier than its reserved rate slot, each
// with the row's key as the provider's idempotency token (callTransport). Cancellation stops new calls at once;
// those in flight are heard to their end (deliver-transport.ts), so what the provider has is recorded sent. A
// transient failure stops its pool slot, as a failed single delivery would; a row whose decision ran out before
// its slot is not called (asked again by the next pass). Each acceptance is told `accepted` as soon as it is
// heard (campaign-group-accepted.ts writes it ahead of the group).
import { cancellationSignal, heartbeat } from './context';
import type { Rendered } from './campaign-render';
import { callTransport, classify, type Classified } from './deliver-transport';
import { waitFor } from './rate-limit';
import type { OutboxEntry } from './store';
import type { Transports } from './transports/types';

export type Call = { row: OutboxEntry; attemptId: string } & (
  | { providerId: string }
  | { failure: Classified }
  /** Never handed to the provider. */
  | { skipped: true }
);

export interface CallPlan {
  rows: readonly Rendered[];
  /** Attempt row ids by message key (committed before any call). */
  attemptIds: ReadonlyMap<string, string>;
  /** performance.now() of the reservation, and its answer (rate-limit.ts reserveSlots). */
  reservedAt: number;
  slots: { firstMs: number; gapMs: number };
}

/** Every row's call, in the plan's order; with `skip`, none is made (the batch stopped before this group). */
export async function callGroup(
  transports: Transports,
  plan: CallPlan,
  opts: {
    concurrency: number;
    now(): Date;
    skip?: boolean;
    accepted?(attemptId: string, providerId: string): void;
  },
): Promise<Call[]> {
  const { rows, attemptIds, reservedAt, slots } = plan;
  const signal = cancellationSignal();
  const calls = new Array<Call | undefined>(rows.length);
  const beat = throttled(heartbeat, 1_000);
  let next = opts.skip ? rows.length : 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length && !signal?.aborted) {
      const i = next++;
      const r = rows[i] as Rendered;
      const base = { row: r.row, attemptId: attemptIds.get(r.row.idempotencyKey) as string };
      try {
        await waitFor(reservedAt + slots.firstMs + i * slots.gapMs - performance.now(), signal, heartbeat);
      } catch {
        return; // cancelled while waiting for the slot
      }
      // The group's decision holds until valid_until (quiet hours may begin): not after.
      if (r.row.validUntil && opts.now().getTime() > r.row.validUntil.getTime()) continue;
      try {
        const receipt = await callTransport(transports, r.row, r.rendered);
        calls[i] = { ...base, providerId: receipt.providerId };
        opts.accepted?.(base.attemptId, receipt.providerId);
      } catch (err) {
        const failure = classify(err, r.row.address);
        calls[i] = { ...base, failure };
        if (failure.kind !== 'permanent') return;
      }
      beat();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, rows.length) }, () => worker()));
  return rows.map(
    (r, i) =>
      calls[i] ?? {
        row: r.row,
        attemptId: attemptIds.get(r.row.idempotencyKey) as string,
        skipped: true as const,
      },
  );
}

/** Temporal throttles heartbeats itself; this spares the calls' path a context lookup per message. */
function throttled(fn: () => void, everyMs: number): () => void {
  let last = 0;
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    fn();
  };
}
