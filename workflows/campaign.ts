// A campaign: one message to a segment's audience, each contact decided by the same rules as every send step.
// This parent splits the audience into page ranges (contact id quantiles) and runs each as a child workflow
// (campaign-range.ts), so the ranges spread over every worker process polling the queue. It answers the
// updates that steer the campaign (pause holds every range's delivery pool, resume releases it, cancel stops
// every range and returns once nothing is in flight) and the status query; the ranges report their counts.
// Exactly once per contact: the outbox key is campaign + contact + message (docs/campaigns.md).
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConsentflowActivities } from '../activities';
import {
  CAMPAIGN_INPUT_VERSION,
  ZERO_COUNTS,
  addCounts,
  type CampaignInput,
  type CampaignState,
  type CampaignStatus,
} from '../contracts/campaign';
import { AUTOMATION } from '../contracts/search-attributes';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Set by a Temporal Schedule on every workflow it starts: the instant the run was scheduled for. */
const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);
import {
  campaignStatusQuery,
  cancelCampaignUpdate,
  holdRangeSignal,
  pauseCampaignUpdate,
  rangeProgressSignal,
  rangeWorkflowId,
  resumeCampaignUpdate,
} from './campaign-api';
import { campaignDetails } from './campaign-details';
import { ENQUEUE_OPTIONS } from './campaign-options';
import { campaignRangeWorkflow } from './campaign-range';

const WITHDRAW_ON_CANCEL = 'campaign-withdraw-on-cancel';

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignStatus> {
  const version: number = (input as { v: number }).v;
  if (version !== CAMPAIGN_INPUT_VERSION)
    throw ApplicationFailure.nonRetryable(
      `campaign input version ${version} is not one this worker knows (${CAMPAIGN_INPUT_VERSION}); upgrade the worker`,
      'UnknownInputVersion',
    );
  const info = workflowInfo();
  const campaignId = input.campaignId ?? info.workflowId;
  const clockOffsetMs = input.clockStart ? Date.parse(input.clockStart) - Date.now() : 0;
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  const audienceAt = input.audienceAt ?? scheduledAt?.toISOString();
  let state = 'running' as CampaignState;
  const status = (): CampaignStatus => {
    const ranges = [...progress.values()].sort((a, b) => a.index - b.index);
    return {
      campaignId,
      state,
      ranges,
      counts: ranges.reduce((sum, r) => addCounts(sum, r.counts), ZERO_COUNTS),
    };
  };
  const progress = new Map<number, CampaignStatus['ranges'][number]>();
  const show = (): void => setCurrentDetails(campaignDetails(status()));
  const ranges: number[] = [];
  const hold = async (paused: boolean): Promise<void> => {
    for (const index of ranges) {
      const child = getExternalWorkflowHandle(rangeWorkflowId(info.workflowId, index));
      // A range that already ended has nothing to hold.
      await child.signal(holdRangeSignal, paused).catch(() => undefined);
    }
  };
  const children = new CancellationScope();
  let stopped = false;

  setHandler(campaignStatusQuery, status);
  setHandler(rangeProgressSignal, (p) => {
    progress.set(p.index, { index: p.index, done: p.done, counts: p.counts });
    show();
  });
  setHandler(pauseCampaignUpdate, async () => {
    if (state === 'running') {
      state = 'paused';
      show();
      await hold(true);
    }
    return status();
  });
  setHandler(resumeCampaignUpdate, async () => {
    if (state === 'paused') {
      state = 'running';
      show();
      await hold(false);
    }
    return status();
  });
  setHandler(cancelCampaignUpdate, async () => {
    if (state === 'running' || state === 'paused') {
      state = 'cancelled';
      show();
      children.cancel();
      await condition(() => stopped);
    }
    return status();
  });

  const { planCampaignRanges } = proxyActivities<ConsentflowActivities>({
    ...ENQUEUE_OPTIONS,
    summary: 'plan page ranges',
  });
  const { withdrawCancelledCampaign } = proxyActivities<ConsentflowActivities>({
    ...ENQUEUE_OPTIONS,
    summary: 'withdraw the rows the cancel left unsent',
  });
  const planned = await planCampaignRanges({ ranges: input.ranges });
  for (const r of planned) {
    ranges.push(r.index);
    progress.set(r.index, { index: r.index, done: false, counts: ZERO_COUNTS });
  }
  show();
  const runs = planned.map((range) =>
    children.run(() =>
      executeChild(campaignRangeWorkflow, {
        workflowId: rangeWorkflowId(info.workflowId, range.index),
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        staticSummary: `campaign ${campaignId} · range ${range.index} (contacts after "${range.after}"${range.upTo ? ` up to "${range.upTo}"` : ''})`,
        typedSearchAttributes: [{ key: AUTOMATION, value: 'campaign' }],
        args: [
          {
            campaignId,
            parentWorkflowId: info.workflowId,
            range,
            segment: input.segment,
            message: input.message,
            pace: input.pace,
            ...(input.localHour !== undefined ? { localHour: input.localHour } : {}),
            ...(audienceAt ? { audienceAt } : {}),
            pageSize: input.pageSize,
            iterationsPerRun: input.iterationsPerRun,
            clockOffsetMs,
            ...(input.enqueueOnly ? { enqueueOnly: true } : {}),
            ...(state === 'paused'
              ? { state: { cursor: range.after, enqueueDone: false, counts: ZERO_COUNTS, paused: true } }
              : {}),
          },
        ],
      }).then((counts) => {
        progress.set(range.index, { index: range.index, done: true, counts });
        show();
      }),
    ),
  );
  const results = await Promise.allSettled(runs);
  stopped = true;
  const failed = results.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && !isCancellation(r.reason),
  );
  if (failed && state !== 'cancelled') {
    log.error('a campaign range failed', { error: String(failed.reason) });
    throw failed.reason;
  }
  // A cancellation from outside (the Web UI's Cancel, `temporal workflow cancel`) ends the ranges the same way.
  if (results.some((r) => r.status === 'rejected' && isCancellation(r.reason))) state = 'cancelled';
  // What the cancel left unsent is withdrawn (caps would count a pending row), even when the cancellation came
  // from outside, which cancels this scope too. Patched: a run cancelled before this change replays without it.
  if (state === 'cancelled' && patched(WITHDRAW_ON_CANCEL))
    await CancellationScope.nonCancellable(() => withdrawCancelledCampaign({ campaignId }));
  if (state !== 'cancelled') state = 'completed';
  show();
  return status();
}
