// What a campaign run is asked to do: the workflow input the client builds and the workflows read. Versioned
// (`v`), like Dittofeed's workflow inputs: a worker that meets an input of a newer version than it knows fails
// the run loudly instead of guessing. Ids, the segment (conditions, no personal data) and the message only.
import { Type, type Static } from '@sinclair/typebox';

export const CAMPAIGN_INPUT_VERSION = 1;

/** The message a campaign sends: the decision's message spec plus the template that renders it. */
export const CampaignMessage = Type.Object(
  {
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
    type: Type.String({ minLength: 1, description: 'a message type of rules/message-types.json' }),
    resource: Type.Optional(Type.String({ minLength: 1 })),
    category: Type.Optional(Type.String({ minLength: 1 })),
    template: Type.String({ minLength: 1, description: 'a template id of templates/' }),
    /** The outbox key's last part: one contact gets one message of this name per campaign. */
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  },
  { additionalProperties: false },
);
export type CampaignMessage = Static<typeof CampaignMessage>;

/** How fast and how wide a campaign delivers. */
export const CampaignPace = Type.Object(
  {
    /** Messages per second for this channel and provider, shared by every worker and campaign. */
    ratePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
    /** The rate's bucket: `<channel>:<provider>` (default `<channel>:default`). */
    provider: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
    /** Deliveries in flight at once per page range (the bounded pool). */
    concurrency: Type.Integer({ minimum: 1, maximum: 200 }),
  },
  { additionalProperties: false },
);
export type CampaignPace = Static<typeof CampaignPace>;

export interface CampaignInputV1 {
  v: 1;
  /** Part of every outbox key; the workflow id when absent (a scheduled run's id carries its instant). */
  campaignId?: string;
  /** A segment as `segments/segment.ts` defines it; compiled by the activities, never in the workflow. */
  segment: unknown;
  /** Where the segment came from (shown in the Web UI summary). */
  segmentName?: string;
  message: CampaignMessage;
  pace: CampaignPace;
  /** Only contacts whose local hour (their own time zone) is this one at the decision instant: birthday 9 am. */
  localHour?: number;
  /**
   * The instant the audience is selected for (segment dates, `localHour`); the scheduled instant for a scheduled
   * run (read from TemporalScheduledStartTime), so a run caught up late selects the contacts of its own hour.
   * Decisions are always made for the instant they are made.
   */
  audienceAt?: string;
  /** Contacts decided per page (one activity, one bulk insert). */
  pageSize: number;
  /** Page ranges, each its own child workflow, so several worker processes share one campaign. */
  ranges: number;
  /** A range continues as new after this many pages and delivery batches (keeps its history short). */
  iterationsPerRun: number;
  /** Virtual start instant for decisions (tests, demo); decisions are otherwise made for the workflow clock. */
  clockStart?: string;
  /** Enqueue only: decide and write the outbox rows, deliver nothing (the benchmark's "decided and enqueued"). */
  enqueueOnly?: boolean;
}

export type CampaignInput = CampaignInputV1;

/** The most contacts a page holds (a worker decides a page in memory) and the most ranges a campaign splits into. */
export const CAMPAIGN_LIMITS = { pageSize: 50_000, ranges: 64 } as const;

export const CAMPAIGN_DEFAULTS = {
  pageSize: 1_000,
  ranges: 4,
  iterationsPerRun: 200,
  pace: { ratePerSecond: 50, concurrency: 10 },
} as const;

/** One range of the audience in contact id order: ids after `after` (exclusive) up to `upTo` (inclusive). */
export interface PageRange {
  index: number;
  /** '' for the first range. */
  after: string;
  /** Absent for the last range. */
  upTo?: string;
}

export interface CampaignCounts {
  /** Contacts decided (every verdict). */
  decided: number;
  /** Outbox rows (send and defer), each page's counted once however often it was written. */
  enqueued: number;
  /** Deferred at the batch decision (quiet hours): written with their opening time. */
  deferred: number;
  /** Suppressed at the batch decision. */
  suppressed: number;
  /** Accepted by the provider. */
  sent: number;
  /** Suppressed, or failed, at delivery (consent withdrawn since the batch decision, caps, refused address). */
  dropped: number;
  failed: number;
}

export const ZERO_COUNTS: CampaignCounts = {
  decided: 0,
  enqueued: 0,
  deferred: 0,
  suppressed: 0,
  sent: 0,
  dropped: 0,
  failed: 0,
};

export function addCounts(a: CampaignCounts, b: Partial<CampaignCounts>): CampaignCounts {
  return {
    decided: a.decided + (b.decided ?? 0),
    enqueued: a.enqueued + (b.enqueued ?? 0),
    deferred: a.deferred + (b.deferred ?? 0),
    suppressed: a.suppressed + (b.suppressed ?? 0),
    sent: a.sent + (b.sent ?? 0),
    dropped: a.dropped + (b.dropped ?? 0),
    failed: a.failed + (b.failed ?? 0),
  };
}

/**
 * The last four are how a run can end without returning its status (an error, an operator's terminate, a run
 * timeout): the client reports them from Temporal's record of the run; the workflow never sets them.
 */
export type CampaignState =
  'running' | 'paused' | 'cancelled' | 'completed' | 'failed' | 'terminated' | 'timed out';

export interface CampaignStatus {
  campaignId: string;
  state: CampaignState;
  ranges: { index: number; done: boolean; counts: CampaignCounts }[];
  counts: CampaignCounts;
}

/**
 * The outbox key of one contact's campaign message: `<campaign>/<contact>/<message>`, the shape of every message
 * key (workflows/message-key.ts) with the contact as its scope. One row per campaign, contact and message.
 */
export function campaignMessageKey(campaignId: string, contactId: string, name: string): string {
  return `${campaignId}/${contactId}/${name}`;
}

export function messageName(m: Pick<CampaignMessage, 'name' | 'channel' | 'type'>): string {
  return m.name ?? `${m.type}-${m.channel}`;
}
