// The messages a campaign run answers, in one module the client and both campaign workflows import: updates
// that steer the whole campaign (pause, resume, cancel), the signals the parent sends its page ranges, and the
// queries `campaigns status` reads. Ids and counts only.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignCounts, CampaignStatus } from '../contracts/campaign';

/**
 * Holds every range's delivery pool (no new call starts; calls in flight are heard out and counted); returns
 * the status after.
 */
export const pauseCampaignUpdate = defineUpdate<CampaignStatus>('pauseCampaign');
export const resumeCampaignUpdate = defineUpdate<CampaignStatus>('resumeCampaign');
/** Stops every range: no delivery starts after it; returns once every range has stopped. */
export const cancelCampaignUpdate = defineUpdate<CampaignStatus>('cancelCampaign');
export const campaignStatusQuery = defineQuery<CampaignStatus>('campaignStatus');

/** Parent → range: hold (true) or release (false) the delivery pool. */
export const holdRangeSignal = defineSignal<[boolean]>('holdRange');
/** Range → parent: its counts so far (sent every few iterations and when it ends). */
export const rangeProgressSignal =
  defineSignal<[{ index: number; counts: CampaignCounts; done: boolean }]>('rangeProgress');

export interface RangeStatus {
  index: number;
  paused: boolean;
  /** A delivery batch is running (false once a pause has taken effect). */
  delivering: boolean;
  enqueueDone: boolean;
  counts: CampaignCounts;
}
export const rangeStatusQuery = defineQuery<RangeStatus>('rangeStatus');

/** The id of one range's child workflow. */
export function rangeWorkflowId(campaignWorkflowId: string, index: number): string {
  return `${campaignWorkflowId}-range-${index}`;
}
