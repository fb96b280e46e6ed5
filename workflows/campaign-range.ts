// One page range of a campaign, a child workflow of its own so several worker processes share a campaign. It
// alternates one page (decide a page of the audience in bulk, write its outbox rows) with one delivery batch
// (the range's due rows through the bounded, rate-limited pool), so the first messages leave while the audience
// is still being paged. When every page is written and nothing is due, it sleeps until the earliest deferred row
// opens (quiet hours: the deferred are delivered together at their opening time), and ends when none is left.
// Continues as new every `iterationsPerRun` iterations. Deterministic: time from the workflow clock, ids only.
import {
  ActivityFailure,
  CancelledFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  setCurrentDetails,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ConsentflowActivities, DeliverBatchResult } from '../activities';
import type { EnqueuePageInput, EnqueuePageResult } from '../activities/campaign-enqueue';
import {
  ZERO_COUNTS,
  addCounts,
  type CampaignCounts,
  type CampaignMessage,
  type CampaignPace,
  type PageRange,
} from '../contracts/campaign';
import {
  CAMPAIGN_MAX_DEFERS,
  DELIVER_BATCH_OPTIONS,
  ENQUEUE_OPTIONS,
  PAGE_OPTIONS,
  deliveryBatchSize,
} from './campaign-options';
import { holdRangeSignal, rangeProgressSignal, rangeStatusQuery } from './campaign-api';
import { countsLine } from './campaign-details';

export interface CampaignRangeInput {
  campaignId: string;
  parentWorkflowId: string;
  range: PageRange;
  segment: unknown;
  message: CampaignMessage;
  pace: CampaignPace;
  localHour?: number;
  audienceAt?: string;
  pageSize: number;
  iterationsPerRun: number;
  /** Virtual minus workflow time, fixed for the whole campaign (0 in production). */
  clockOffsetMs: number;
  enqueueOnly?: boolean;
  /** Carried across continue-as-new. */
  state?: { cursor: string; enqueueDone: boolean; counts: CampaignCounts; paused: boolean };
}

const PROGRESS_EVERY = 10;
const REPORT_ON_CANCEL = 'campaign-range-report-on-cancel';
/**
 * A cancelled range waits for its page activity to stop (WAIT_CANCELLATION_COMPLETED) instead of leaving it
 * running (TRY_CANCEL): a page that commits after the range reported would add pending rows after the
 * campaign's withdrawal ran, never sent and never withdrawn. Patched: a range started before replays without.
 */
const PAGE_WAITS_ON_CANCEL = 'campaign-page-waits-on-cancel';

/** The counts a delivery batch cancelled by a pause reported with its cancellation. */
function cancelledBatch(err: unknown): Partial<CampaignCounts> | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof CancelledFailure)) return undefined;
  const details = cause.details[0] as { counts?: Partial<CampaignCounts> } | undefined;
  return details?.counts;
}

export async function campaignRangeWorkflow(input: CampaignRangeInput): Promise<CampaignCounts> {
  const pageActivity = (options: ActivityOptions) =>
    proxyActivities<ConsentflowActivities>({ ...options, summary: `page of range ${input.range.index}` })
      .enqueueCampaignPage;
  const enqueueTryCancel = pageActivity(ENQUEUE_OPTIONS);
  const enqueueWaitCancel = pageActivity(PAGE_OPTIONS);
  const { deliverCampaignBatch } = proxyActivities<ConsentflowActivities>({
    ...DELIVER_BATCH_OPTIONS,
    summary: `delivery batch of range ${input.range.index}`,
  });
  let cursor = input.state?.cursor ?? input.range.after;
  let enqueueDone = input.state?.enqueueDone ?? false;
  let counts = input.state?.counts ?? ZERO_COUNTS;
  let paused = input.state?.paused ?? false;
  let delivering: CancellationScope | undefined;
  const now = (): Date => new Date(Date.now() + input.clockOffsetMs);

  setHandler(holdRangeSignal, (hold) => {
    paused = hold;
    if (hold) delivering?.cancel(); // rows not reached stay pending; the activity acknowledges before we go on
  });
  setHandler(rangeStatusQuery, () => ({
    index: input.range.index,
    paused,
    delivering: delivering !== undefined,
    enqueueDone,
    counts,
  }));
  const show = (what: string): void =>
    setCurrentDetails(`**range ${input.range.index}** · ${what}\n\n${countsLine(counts)}`);
  const report = async (done: boolean): Promise<void> => {
    try {
      await getExternalWorkflowHandle(input.parentWorkflowId).signal(rangeProgressSignal, {
        index: input.range.index,
        counts,
        done,
      });
    } catch (err) {
      log.warn('campaign progress not reported to the parent', { error: String(err) });
    }
  };

  const message = {
    channel: input.message.channel,
    type: input.message.type,
    ...(input.message.resource ? { resource: input.message.resource } : {}),
    ...(input.message.category ? { category: input.message.category } : {}),
  };
  const limit = deliveryBatchSize(input.pace.ratePerSecond, input.pace.concurrency);
  // Re-deferrals at delivery are not new contacts: `deferred` counts the batch decision's only.
  const addDelivered = ({ sent, dropped, failed }: Partial<CampaignCounts>): void => {
    counts = addCounts(counts, { sent: sent ?? 0, dropped: dropped ?? 0, failed: failed ?? 0 });
  };
  try {
    await pagesAndBatches();
  } catch (err) {
    // Cancelled: the parent hears this range's counts before it ends, or a cancelled campaign's result would
    // count nothing of what its ranges sent. Patched: a range cancelled before this change replays without it.
    if (isCancellation(err) && patched(REPORT_ON_CANCEL))
      await CancellationScope.nonCancellable(() => report(true));
    throw err;
  }
  show('done');
  await report(true);
  return counts;

  /**
   * One page. Once the range is cancelled, the server retries no activity: the attempt it waits for may end
   * failed (a lost connection, a dead worker's heartbeat timeout). The range is cancelled all the same, so it
   * reports its counts and the campaign withdraws its unsent rows, instead of failing the campaign.
   */
  async function enqueuePage(page: EnqueuePageInput): Promise<EnqueuePageResult> {
    const waits = patched(PAGE_WAITS_ON_CANCEL);
    try {
      return await (waits ? enqueueWaitCancel : enqueueTryCancel)(page);
    } catch (err) {
      if (waits && !isCancellation(err) && CancellationScope.current().consideredCancelled)
        throw new CancelledFailure('the range was cancelled while a page was written', [], err as Error);
      throw err;
    }
  }

  async function pagesAndBatches(): Promise<void> {
    for (let iteration = 1; ; iteration++) {
      if (paused) {
        show('paused: the delivery pool is held');
        await condition(() => !paused);
      }
      if (!enqueueDone) {
        show('deciding and enqueueing a page');
        const page = await enqueuePage({
          campaignId: input.campaignId,
          segment: input.segment,
          message: input.message,
          ...(input.localHour !== undefined ? { localHour: input.localHour } : {}),
          range: input.range,
          after: cursor,
          pageSize: input.pageSize,
          at: now().toISOString(),
          ...(input.audienceAt ? { audienceAt: input.audienceAt } : {}),
        });
        counts = addCounts(counts, page.counts);
        if (page.cursor) cursor = page.cursor;
        else enqueueDone = true;
      }
      let batch: DeliverBatchResult | undefined;
      if (!input.enqueueOnly && !paused) {
        show('delivering');
        const scope = new CancellationScope();
        delivering = scope;
        try {
          batch = await scope.run(() =>
            deliverCampaignBatch({
              campaignId: input.campaignId,
              range: input.range,
              message,
              pace: input.pace,
              limit,
              clockOffsetMs: input.clockOffsetMs,
              maxDefers: CAMPAIGN_MAX_DEFERS,
            }),
          );
          addDelivered(batch.counts);
          // The outbox's word, after a retry or the range's last batch: what a dead attempt did is counted too.
          if (batch.totals) counts = { ...counts, ...batch.totals };
        } catch (err) {
          // What a cancelled batch did travels with its cancellation: counted whether a pause or a cancel of the
          // campaign (which goes on up) stopped it.
          const done = cancelledBatch(err);
          if (done) addDelivered(done);
          if (!(isCancellation(err) && paused)) throw err;
        } finally {
          delivering = undefined;
        }
      }
      if (enqueueDone && (input.enqueueOnly || (batch && !batch.more && !batch.nextDueAt))) break;
      if (enqueueDone && batch && !batch.more && batch.nextDueAt) {
        const waitMs = Math.max(0, Date.parse(batch.nextDueAt) - now().getTime());
        show(`waiting until ${batch.nextDueAt} for deferred rows to open`);
        await condition(() => paused, waitMs);
      }
      if (iteration % PROGRESS_EVERY === 0) await report(false);
      if (iteration >= input.iterationsPerRun || workflowInfo().continueAsNewSuggested) {
        await report(false);
        await continueAsNew<typeof campaignRangeWorkflow>({
          ...input,
          state: { cursor, enqueueDone, counts, paused },
        });
      }
    }
  }
}
