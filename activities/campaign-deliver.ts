// deliverCampaignBatch: the delivery pool of one page range. Takes the range's pending rows that are due (no
// window to wait for) in contact order, and works through them with at most `concurrency` in flight: for each,
// ask the rules again (campaign-recheck.ts: an unsubscribe since the batch decision wins), reserve a slot of
// the channel's and provider's rate (rate-limit.ts), and hand the row to the existing deliver, which sends it
// exactly once (row lock, attempt rows, the key as the provider's idempotency token; docs/delivery.md).
// Cancelled (campaign cancelled or paused): no new delivery starts, the ones in flight are aborted through
// the transport's signal, and the rows not reached stay pending for the next pass.
import { CancelledFailure } from '@temporalio/common';
import type { RuleSet } from '../rules';
import type { MessageSpec } from '../rules/model';
import type { Pool } from '../db/pool';
import type { CampaignCounts, CampaignPace, PageRange } from '../contracts/campaign';
import { activityLogger, attemptNumber, cancellationSignal, heartbeat, type ActivityLogger } from './context';
import type { DeliverInput, DeliveryResult } from './deliver';
import { recheckCampaignRow } from './campaign-recheck';
import { reserveSlot, waitFor } from './rate-limit';

export interface DeliverBatchInput {
  campaignId: string;
  range: PageRange;
  message: MessageSpec;
  pace: CampaignPace;
  /** Rows taken by this batch at most. */
  limit: number;
  /** The workflow's virtual clock offset (0 in production). */
  clockOffsetMs: number;
  maxDefers: number;
}

export interface DeliverBatchResult {
  counts: Partial<CampaignCounts>;
  /** Rows this batch took (delivered, dropped or deferred again). */
  handled: number;
  /** More due rows may wait in the range (this batch was full). */
  more: boolean;
  /** The earliest instant a deferred row of the range opens (virtual clock), when no row is due now. */
  nextDueAt?: string;
}

export interface CampaignDeliverDependencies {
  pool: Pool;
  rules: { current(): RuleSet };
  deliver: (input: DeliverInput) => Promise<DeliveryResult>;
  log?: ActivityLogger;
}

export function createDeliverCampaignBatch(deps: CampaignDeliverDependencies) {
  return async function deliverCampaignBatch(input: DeliverBatchInput): Promise<DeliverBatchResult> {
    const log = deps.log ?? activityLogger();
    const signal = cancellationSignal();
    const now = (): Date => new Date(Date.now() + input.clockOffsetMs);
    const rows = await dueRows(deps.pool, input, now());
    const bucket = `${input.message.channel}:${input.pace.provider ?? 'default'}`;
    const counts = { sent: 0, dropped: 0, failed: 0, deferred: 0 };
    let next = 0;
    let handled = 0;
    const worker = async (): Promise<void> => {
      while (next < rows.length && !signal?.aborted) {
        const key = rows[next++] as string;
        const checked = await recheckCampaignRow(
          deps,
          key,
          input.message,
          now(),
          input.maxDefers,
          attemptNumber() ?? 1,
          log,
        );
        handled++;
        heartbeat();
        if (checked.state === 'suppressed') counts.dropped++;
        if (checked.state === 'deferred') counts.deferred++;
        if (checked.state !== 'send') continue;
        await waitFor(await reserveSlot(deps.pool, bucket, input.pace.ratePerSecond), signal, heartbeat);
        const r = await deps.deliver({ messageKey: key, clockOffsetMs: input.clockOffsetMs });
        heartbeat();
        if (r.state === 'sent') counts.sent++;
        else if (r.state === 'failed') counts.failed++;
        else counts.dropped++; // withdrawn between the re-ask and the send: the rules said no at the last moment
      }
    };
    const pool = Array.from({ length: Math.min(input.pace.concurrency, rows.length) }, () => worker());
    const settled = await Promise.allSettled(pool);
    // What this batch did before the cancellation travels with it: the range's counts stay true.
    if (signal?.aborted) throw new CancelledFailure('campaign delivery cancelled', [{ counts, handled }]);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason; // an outage: retried; rows already sent are not pending any more
    const more = rows.length === input.limit;
    const nextDueAt = more ? undefined : await nextOpening(deps.pool, input, now());
    return { counts, handled, more, ...(nextDueAt ? { nextDueAt } : {}) };
  };
}

async function dueRows(pool: Pool, input: DeliverBatchInput, now: Date): Promise<string[]> {
  const { rows } = await pool.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM outbox
      WHERE campaign_id = $1 AND state = 'pending' AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)
        AND (not_before IS NULL OR not_before <= $4)
      ORDER BY contact_id LIMIT $5`,
    [input.campaignId, input.range.after, input.range.upTo ?? null, now, input.limit],
  );
  return rows.map((r) => r.idempotency_key);
}

async function nextOpening(pool: Pool, input: DeliverBatchInput, now: Date): Promise<string | undefined> {
  const { rows } = await pool.query<{ at: Date | null }>(
    `SELECT min(not_before) AS at FROM outbox
      WHERE campaign_id = $1 AND state = 'pending' AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)`,
    [input.campaignId, input.range.after, input.range.upTo ?? null],
  );
  const at = rows[0]?.at;
  if (!at) return undefined;
  return new Date(Math.max(at.getTime(), now.getTime())).toISOString();
}
