// The typed API to start and steer campaigns (the CLI, tests and apps use it). A campaign is the workflow
// `campaign-<name>`: one name sends once (a second start is refused, with the first run's id), and its ranges
// are `campaign-<name>-range-<n>`. Pause returns once no range has a delivery in flight; cancel once every
// range has stopped.
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import {
  CAMPAIGN_DEFAULTS,
  CAMPAIGN_LIMITS,
  CAMPAIGN_INPUT_VERSION,
  ZERO_COUNTS,
  addCounts,
  type CampaignInput,
  CampaignMessage,
  type CampaignPace,
  type CampaignState,
  type CampaignStatus,
} from '../contracts/campaign';
import { AUTOMATION } from '../contracts/search-attributes';
import { campaignWorkflow } from '../workflows/campaign';
import {
  campaignStatusQuery,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  rangeStatusQuery,
  rangeWorkflowId,
  resumeCampaignUpdate,
  type RangeStatus,
} from '../workflows/campaign-api';
import { campaignSummary } from './campaign-summary';
import { CampaignEndedError, answered, reach, withinAnswerDeadline } from './campaign-reach';
import { parseSegment } from '../segments/segment';
import { Value } from '@sinclair/typebox/value';

export interface StartCampaignOptions {
  /** The campaign's name: `[A-Za-z0-9_.:-]{1,64}`, part of its workflow id and every outbox key. */
  name: string;
  segment: unknown;
  segmentName?: string;
  message: CampaignMessage;
  pace?: Partial<CampaignPace>;
  pageSize?: number;
  ranges?: number;
  iterationsPerRun?: number;
  localHour?: number;
  clockStart?: string;
  enqueueOnly?: boolean;
}

export const CAMPAIGN_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export function campaignWorkflowId(name: string): string {
  return `campaign-${name}`;
}

/** The workflow input a start sends (also the action of a schedule, client/schedules.ts). */
export function campaignInput(
  o: Omit<StartCampaignOptions, 'name'> & { campaignId?: string },
): CampaignInput {
  return {
    v: CAMPAIGN_INPUT_VERSION,
    ...(o.campaignId ? { campaignId: o.campaignId } : {}),
    segment: o.segment,
    ...(o.segmentName ? { segmentName: o.segmentName } : {}),
    message: o.message,
    pace: { ...CAMPAIGN_DEFAULTS.pace, ...o.pace },
    pageSize: o.pageSize ?? CAMPAIGN_DEFAULTS.pageSize,
    ranges: o.ranges ?? CAMPAIGN_DEFAULTS.ranges,
    iterationsPerRun: o.iterationsPerRun ?? CAMPAIGN_DEFAULTS.iterationsPerRun,
    ...(o.localHour !== undefined ? { localHour: o.localHour } : {}),
    ...(o.clockStart ? { clockStart: o.clockStart } : {}),
    ...(o.enqueueOnly ? { enqueueOnly: true } : {}),
  };
}

/** A campaign that cannot run: refused before it starts, with what, where and how to fix. */
export class CampaignInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CampaignInputError';
  }
}

/**
 * The checks a worker would fail the run on, made before the start (a bad segment fails no workflow). `named`:
 * what the name names (a schedule's name is its own, the rest is the campaign each run starts).
 */
export function checkCampaign(
  o: Pick<StartCampaignOptions, 'name' | 'segment' | 'message' | 'pageSize' | 'ranges'>,
  named: 'campaign' | 'schedule' = 'campaign',
): void {
  if (!CAMPAIGN_NAME.test(o.name))
    throw new CampaignInputError(
      `${named} name "${o.name}" may use letters, digits and _ . : - (1 to 64 characters); ` +
        `e.g. ${named === 'schedule' ? 'daily-birthday' : 'spring-sale'}`,
    );
  for (const [what, value, max, example] of [
    ['pageSize', o.pageSize, CAMPAIGN_LIMITS.pageSize, CAMPAIGN_DEFAULTS.pageSize],
    ['ranges', o.ranges, CAMPAIGN_LIMITS.ranges, CAMPAIGN_DEFAULTS.ranges],
  ] as const)
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max))
      throw new CampaignInputError(
        `the campaign's ${what} must be a whole number from 1 to ${max} (got ${JSON.stringify(value)}); e.g. ${example}`,
      );
  try {
    parseSegment(JSON.stringify(o.segment));
  } catch (err) {
    throw new CampaignInputError(`the campaign's segment: ${(err as Error).message}`);
  }
  const problem = Value.Errors(CampaignMessage, o.message).First();
  if (problem) throw new CampaignInputError(`the campaign's message${problem.path}: ${problem.message}`);
}

export class CampaignExistsError extends Error {
  constructor(readonly workflowId: string) {
    super(
      `campaign ${workflowId} was already started (a campaign name sends once); ` +
        `see it with \`consentflow campaigns status ${workflowId.replace(/^campaign-/, '')}\`, or pick another name.`,
    );
    this.name = 'CampaignExistsError';
  }
}

/** The parent's status with each range's own live counts (fresher than its last progress report). */
export type LiveStatus = CampaignStatus & { rangeDetails: RangeStatus[] };

function live(status: CampaignStatus, rangeDetails: RangeStatus[]): LiveStatus {
  const counts = rangeDetails.reduce((sum, r) => addCounts(sum, r.counts), ZERO_COUNTS);
  return { ...status, counts, rangeDetails };
}

/** An ended campaign: its result when it completed; otherwise (failed, terminated) its state, no counts. */
function endedStatus(workflowId: string, how: CampaignState, final: CampaignStatus | undefined): LiveStatus {
  const status = final ?? { campaignId: workflowId, state: how, ranges: [], counts: ZERO_COUNTS };
  const rangeDetails = status.ranges.map((r) => ({
    index: r.index,
    paused: false,
    delivering: false,
    enqueueDone: r.done,
    counts: r.counts,
  }));
  return { ...status, rangeDetails };
}

export function createCampaignClient(opts: { client: Client; taskQueue: string }) {
  const { client, taskQueue } = opts;
  const handle = (name: string) => client.workflow.getHandle(campaignWorkflowId(name));

  async function rangeStatuses(name: string, status: CampaignStatus): Promise<RangeStatus[]> {
    const out: RangeStatus[] = [];
    for (const r of status.ranges) {
      const child = client.workflow.getHandle(rangeWorkflowId(campaignWorkflowId(name), r.index));
      try {
        if (r.done) throw new Error('ended'); // its counts are final in the parent's status
        out.push(await withinAnswerDeadline(client, () => child.query(rangeStatusQuery)));
      } catch {
        // Not started yet, or gone: the parent's last word about it stands.
        out.push({ index: r.index, paused: false, delivering: false, enqueueDone: r.done, counts: r.counts });
      }
    }
    return out;
  }

  /**
   * Pause, resume or cancel: CampaignEndedError for a campaign that ended; sent only once a worker has answered
   * a status query (NoWorkerError otherwise), so an update never waits unseen for a worker that may come back
   * hours later and apply it then.
   */
  async function steer(name: string, update: typeof pauseCampaignUpdate): Promise<CampaignStatus> {
    const h = handle(name);
    const r = await reach(h);
    if (!r.running) throw new CampaignEndedError(h.workflowId, r.how);
    await answered(client, h, r.taskQueue, () => h.query(campaignStatusQuery));
    return h.executeUpdate(update);
  }

  return {
    async start(o: StartCampaignOptions): Promise<string> {
      checkCampaign(o);
      const workflowId = campaignWorkflowId(o.name);
      const input = campaignInput(o);
      try {
        await client.workflow.start(campaignWorkflow, {
          taskQueue,
          workflowId,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          typedSearchAttributes: [{ key: AUTOMATION, value: 'campaign' }],
          memo: { automation: 'campaign', message: o.message, segment: o.segmentName ?? 'inline' },
          ...campaignSummary(o.name, input),
          args: [input],
        });
      } catch (err) {
        if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError')
          throw new CampaignExistsError(workflowId);
        throw err;
      }
      return workflowId;
    },

    /**
     * The parent's status with each live range's own counts (fresher than the last progress report); for a
     * campaign that ended, its final status, with no worker needed. NoWorkerError when a running campaign has
     * nobody to answer for it.
     */
    async status(name: string): Promise<LiveStatus> {
      const h = handle(name);
      const r = await reach(h);
      if (!r.running) return endedStatus(h.workflowId, r.how, r.final);
      const status = await answered(client, h, r.taskQueue, () => h.query(campaignStatusQuery));
      return live(status, await rangeStatuses(name, status));
    },

    /** Returns once every range holds its pool (no delivery in flight), or after `timeoutMs`. */
    async pause(name: string, timeoutMs = 30_000): Promise<LiveStatus> {
      const status = await steer(name, pauseCampaignUpdate);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ranges = await rangeStatuses(name, status);
        if (ranges.every((r) => !r.delivering) || Date.now() > deadline) return live(status, ranges);
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    async resume(name: string): Promise<LiveStatus> {
      const status = await steer(name, resumeCampaignUpdate);
      return live(status, await rangeStatuses(name, status));
    },

    async cancel(name: string): Promise<LiveStatus> {
      const status = await steer(name, cancelCampaignUpdate);
      return live(status, await rangeStatuses(name, status));
    },

    /** Waits for the campaign to end and returns its final status. */
    result(name: string): Promise<CampaignStatus> {
      return handle(name).result() as Promise<CampaignStatus>;
    },
  };
}

export type CampaignClient = ReturnType<typeof createCampaignClient>;
