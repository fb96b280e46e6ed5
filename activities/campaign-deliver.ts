// deliverCampaignBatch: the delivery pool of one page range. Takes the range's pending rows that are due (no
// window to wait for) in contact order and delivers them group by group, each group's bookkeeping in bulk (a
// constant number of statements and commits per group, whatever its size): ask the rules again for the whole
// group in one transaction (campaign-recheck-batch.ts: an unsubscribe since the batch decision wins), then send
// what they still allow with deliver's exactly-once guarantees (campaign-deliver-batch.ts: attempts committed
// before the calls, rows locked through the calls, the key as the provider's idempotency token), at most
// `concurrency` calls in flight, each in a slot of the channel's and provider's rate (rate-limit.ts).
// Cancelled (campaign cancelled or paused): no new delivery starts, the ones in flight are heard to their end
// and recorded (a paused campaign's counts are what the provider has), and the rows not reached stay pending
// for the next pass.
import { CancelledFailure } from '@temporalio/common';
import type { MessageSpec } from '../rules/model';
import type { Pool } from '../db/pool';
import type { CampaignCounts, CampaignPace, PageRange } from '../contracts/campaign';
import { activityLogger, attemptNumber, cancellationSignal, heartbeat, type ActivityLogger } from './context';
import { recheckCampaignGroup, type GroupRecheck } from './campaign-recheck-batch';
import {
  openCampaignGroup,
  type OpenGroup,
  type SendGroupDependencies,
  type SendGroupResult,
} from './campaign-deliver-batch';
import { renderGroup } from './campaign-render';
import { applyPendingFeedback } from './deliver-feedback';
import { DELIVERED_COUNTS } from '../db/campaign-counts';

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
  /**
   * The whole range's delivery counts as its outbox rows say, which the workflow takes instead of its running
   * sum: sent after a retry (an attempt that died reported nothing of the groups it had closed) and after the
   * range's last batch, so a campaign's final counts are what the provider has whatever crashed on the way.
   */
  totals?: RangeTotals;
}

export type RangeTotals = Pick<CampaignCounts, 'sent' | 'dropped' | 'failed'>;

type Row = { key: string; contactId: string };
type Prepared = { group: Row[]; checked: GroupRecheck; open: OpenGroup };

export interface CampaignDeliverDependencies extends SendGroupDependencies {
  log?: ActivityLogger;
}

/**
 * Rows per group: about a quarter second of sending at the rate, at least one per pool slot, at most
 * MAX_GROUP. 50 rows already cost the bookkeeping a few round trips (bench/campaign.ts: 50 and 200 deliver at
 * the same rate within the noise, 25 about 10% slower). A crash no longer costs a group's worth of copies: each
 * acceptance is committed as it is heard (campaign-group-accepted.ts), so a worker killed mid-group leaves the
 * retry only the calls in flight to hand over again. Short groups keep decisions fresh and row locks brief.
 */
const MAX_GROUP = 50;

function groupSize(pace: CampaignPace): number {
  return Math.max(pace.concurrency, Math.min(MAX_GROUP, Math.ceil(pace.ratePerSecond / 4)));
}

export function createDeliverCampaignBatch(deps: CampaignDeliverDependencies) {
  return async function deliverCampaignBatch(input: DeliverBatchInput): Promise<DeliverBatchResult> {
    const log = deps.log ?? activityLogger();
    const signal = cancellationSignal();
    const now = (): Date => new Date(Date.now() + input.clockOffsetMs);
    // A retry finishes what a failed attempt owed: the feedback of a refusal committed just before it failed.
    if ((attemptNumber() ?? 1) > 1)
      for (const key of await feedbackOwed(deps.pool, input)) await applyPendingFeedback(deps.pool, key, log);
    const rows = await dueRows(deps.pool, input, now());
    const ctx = {
      message: input.message,
      bucket: `${input.message.channel}:${input.pace.provider ?? 'default'}`,
      ratePerSecond: input.pace.ratePerSecond,
      concurrency: input.pace.concurrency,
      now,
      log,
    };
    const counts = { sent: 0, dropped: 0, failed: 0, deferred: 0 };
    let handled = 0;
    let failure: SendGroupResult['failure'];
    const size = groupSize(input.pace);
    const prepare = async (group: Row[]): Promise<Prepared> => {
      const checked = await recheckCampaignGroup(
        deps,
        group,
        input.message,
        now(),
        input.maxDefers,
        attemptNumber() ?? 1,
        log,
      );
      const rendered = await renderGroup(deps, checked.send, input.message);
      return { group, checked, open: await openCampaignGroup(deps, checked.send, rendered, ctx) };
    };
    const take = (p: Prepared): Prepared => {
      handled += p.group.length;
      counts.sent += p.checked.sent;
      counts.dropped += p.checked.suppressed;
      counts.deferred += p.checked.deferred;
      heartbeat();
      return p;
    };
    const account = (done: SendGroupResult): void => {
      counts.sent += done.sent;
      counts.failed += done.failed;
      counts.dropped += done.dropped;
      failure ??= done.failure;
      heartbeat();
    };
    // Three groups at a time, on other rows and contacts (no lock shared): while one group's calls run, the
    // group before it records its outcomes and the one after it is asked again, rendered and opened, so the
    // provider calls, not the bookkeeping, set the pace. One group's calls at a time: `concurrency` holds.
    // When a group's slots span more than a second the rate sets the pace anyway: the next group is asked
    // after this one's calls, so no answer waits longer than its own group's slots for its call.
    const overlap = size / input.pace.ratePerSecond <= 1;
    let next: Promise<Prepared> | undefined = rows.length ? prepare(rows.slice(0, size)) : undefined;
    let closing: Promise<void> | undefined;
    let stop = false;
    try {
      for (let at = 0; next; at += size) {
        const current = take(await next);
        const following = rows.slice(at + size, at + 2 * size);
        const ahead = (): Promise<Prepared> | undefined =>
          following.length && !stop && !signal?.aborted ? prepare(following) : undefined;
        next = overlap ? ahead() : undefined;
        const calls = await current.open.call(stop || signal?.aborted);
        // A transient failure (an outage, a bad credential) stops the batch after this group, as it is retried.
        stop ||= calls.some((c) => 'failure' in c && c.failure.kind !== 'permanent');
        await closing;
        closing = current.open.close(calls).then(account);
        if (!overlap) next = ahead();
        if (stop || signal?.aborted) break;
      }
      await closing;
      closing = undefined;
      // Opened while the batch stopped: closed unsent (its rows stay pending), what its re-ask did counted.
      const opened = next && take(await next);
      next = undefined;
      if (opened) account(await opened.open.close(await opened.open.call(true)));
    } catch (err) {
      // Settle what is still running before the activity fails: nothing left holding rows or connections.
      await closing?.catch(() => undefined);
      const opened = await next?.catch(() => undefined);
      await opened?.open
        .call(true)
        .then((calls) => opened.open.close(calls))
        .catch(() => undefined);
      throw err;
    }
    // What this batch did before the cancellation travels with it: the range's counts stay true.
    if (signal?.aborted) throw new CancelledFailure('campaign delivery cancelled', [{ counts, handled }]);
    if (failure) {
      // An outage or a bad credential: retried (loudly); rows already sent are not pending any more.
      const meta = { messageKey: failure.key, attempt: attemptNumber(), error: failure.classified.detail };
      if (failure.classified.kind === 'configuration')
        log.warn('delivery blocked by a configuration error, will retry', meta);
      else log.warn('delivery failed, will retry', meta);
      throw failure.classified.toThrow(failure.key);
    }
    const more = rows.length === input.limit;
    const nextDueAt = more ? undefined : await nextOpening(deps.pool, input, now());
    const last = !more && !nextDueAt;
    const totals = last || (attemptNumber() ?? 1) > 1 ? await rangeTotals(deps.pool, input) : undefined;
    return { counts, handled, more, ...(nextDueAt ? { nextDueAt } : {}), ...(totals ? { totals } : {}) };
  };
}

async function dueRows(pool: Pool, input: DeliverBatchInput, now: Date): Promise<Row[]> {
  const { rows } = await pool.query<{ key: string; contact_id: string }>(
    `SELECT idempotency_key AS key, contact_id FROM outbox
      WHERE campaign_id = $1 AND state = 'pending' AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)
        AND (not_before IS NULL OR not_before <= $4)
      ORDER BY contact_id LIMIT $5`,
    [input.campaignId, input.range.after, input.range.upTo ?? null, now, input.limit],
  );
  return rows.map((r) => ({ key: r.key, contactId: r.contact_id }));
}

/** The range's rows by delivery state: sent, dropped (withdrawn or expired since the batch decision), failed. */
async function rangeTotals(pool: Pool, input: DeliverBatchInput): Promise<RangeTotals> {
  const { rows } = await pool.query<RangeTotals>(
    `SELECT ${DELIVERED_COUNTS}
       FROM outbox
      WHERE campaign_id = $1 AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)`,
    [input.campaignId, input.range.after, input.range.upTo ?? null],
  );
  return rows[0] ?? { sent: 0, dropped: 0, failed: 0 };
}

/** The range's refused rows whose feedback never reached the contact store (dueRows takes pending rows only). */
async function feedbackOwed(pool: Pool, input: DeliverBatchInput): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT idempotency_key AS key FROM outbox
      WHERE campaign_id = $1 AND state = 'failed' AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)
        AND feedback IS NOT NULL AND feedback_applied_at IS NULL`,
    [input.campaignId, input.range.after, input.range.upTo ?? null],
  );
  return rows.map((r) => r.key);
}

/**
 * When the range's next pending row opens: its earliest `not_before`, or now when a row is due already (one
 * this batch left pending: its decision ran out before its slot, or its contact was erased since the re-ask),
 * so the range runs another batch instead of ending with it.
 */
async function nextOpening(pool: Pool, input: DeliverBatchInput, now: Date): Promise<string | undefined> {
  const { rows } = await pool.query<{ at: Date | null; due: boolean | null }>(
    `SELECT min(not_before) AS at, bool_or(not_before IS NULL OR not_before <= $4) AS due FROM outbox
      WHERE campaign_id = $1 AND state = 'pending' AND contact_id > $2 AND ($3::text IS NULL OR contact_id <= $3)`,
    [input.campaignId, input.range.after, input.range.upTo ?? null, now],
  );
  if (rows[0]?.due) return now.toISOString();
  const at = rows[0]?.at;
  if (!at) return undefined;
  return new Date(Math.max(at.getTime(), now.getTime())).toISOString();
}
