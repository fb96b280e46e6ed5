// Segment automations on a Temporal Schedule: birthday, replenishment, reactivation, any segment on a cron or
// an interval. Each action starts a campaign workflow whose id carries the scheduled instant, so every run is a
// campaign of its own (its outbox keys say which run: a contact gets one message per run, exactly once).
//
// Birthday is one hourly schedule with `localHour`: each run selects the contacts whose local time (their own
// time zone) is that hour at the scheduled instant, and the segment selects whose birthday it is there today.
// One schedule covers every time zone, including half-hour ones at their nearest hour, with no per-zone
// bookkeeping; a schedule per zone would need one per zone in the data and a change whenever a zone appears.
//
// Policies (docs/campaigns.md): overlap BUFFER_ONE by default, so a slow run delays the next hour's instead of
// dropping it (SKIP would silently skip a time zone's birthdays); catch-up window 6 h by default, so a Temporal
// outage of a few hours still sends that day's messages (each run selects by its scheduled instant, not the
// instant it runs), while a longer one does not send yesterday's birthdays today.
import { ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { AUTOMATION } from '../contracts/search-attributes';
import { campaignWorkflow } from '../workflows/campaign';
import { campaignInput, checkCampaign, type StartCampaignOptions } from './campaigns';
import { campaignSummary } from './campaign-summary';

export const OVERLAP_POLICIES = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
} as const;
export type OverlapName = keyof typeof OVERLAP_POLICIES;

export const SCHEDULE_DEFAULTS = { overlap: 'buffer-one' as OverlapName, catchupWindow: '6 hours' };

export interface CreateScheduleOptions extends Omit<StartCampaignOptions, 'clockStart' | 'enqueueOnly'> {
  /** `every` ('1 hour', '1 day') or `cron` ('0 9 * * *', UTC unless `timezone`). */
  every?: string;
  cron?: string;
  /** The time zone cron expressions are read in (default UTC). */
  timezone?: string;
  overlap?: OverlapName;
  catchupWindow?: string;
  note?: string;
}

/** The schedule id of a segment automation; its runs are `scheduled-<name>-<instant>`. */
export function scheduleId(name: string): string {
  return `segment-${name}`;
}

export function createScheduleClient(opts: { client: Client; taskQueue: string }) {
  const { client, taskQueue } = opts;
  return {
    async create(o: CreateScheduleOptions): Promise<string> {
      // What campaigns.start refuses, refused here too: else every scheduled run would fail on it.
      checkCampaign(o, 'schedule');
      const spec: ScheduleSpec = {
        ...(o.every ? { intervals: [{ every: o.every as '1 hour' }] } : {}),
        ...(o.cron ? { cronExpressions: [o.cron] } : {}),
        ...(o.timezone ? { timezone: o.timezone } : {}),
      };
      const input = campaignInput(o);
      const id = scheduleId(o.name);
      await client.schedule.create({
        scheduleId: id,
        spec,
        action: {
          type: 'startWorkflow',
          workflowType: campaignWorkflow,
          workflowId: `scheduled-${o.name}`,
          taskQueue,
          args: [input],
          typedSearchAttributes: [{ key: AUTOMATION, value: 'campaign' }],
          memo: { automation: 'campaign', schedule: id },
          ...campaignSummary(`${o.name} (scheduled)`, input),
        },
        policies: {
          overlap: OVERLAP_POLICIES[o.overlap ?? SCHEDULE_DEFAULTS.overlap],
          catchupWindow: (o.catchupWindow ?? SCHEDULE_DEFAULTS.catchupWindow) as '1 hour',
          pauseOnFailure: false,
        },
        memo: { automation: 'campaign' },
        state: { note: o.note ?? `segment automation ${o.name}` },
      });
      return id;
    },

    /** Every segment automation schedule: id, what it sends, when it runs next. */
    async list(): Promise<{ id: string; paused: boolean; next?: string; note?: string }[]> {
      const out: { id: string; paused: boolean; next?: string; note?: string }[] = [];
      for await (const s of client.schedule.list()) {
        if (s.memo?.automation !== 'campaign') continue;
        const next = s.info.nextActionTimes[0];
        out.push({
          id: s.scheduleId,
          paused: s.state.paused,
          ...(next ? { next: next.toISOString() } : {}),
          ...(s.state.note ? { note: s.state.note } : {}),
        });
      }
      return out.sort((a, b) => a.id.localeCompare(b.id));
    },

    async delete(name: string): Promise<void> {
      await client.schedule.getHandle(scheduleId(name)).delete();
    },
  };
}

export type ScheduleClient = ReturnType<typeof createScheduleClient>;
