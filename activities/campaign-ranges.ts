// planCampaignRanges: splits the contact id space into page ranges of about equal size, one child workflow
// each, so several worker processes share a campaign (db/contacts/id-bounds.ts: quantiles of all stored ids).
import type { Pool } from '../db/pool';
import type { PageRange } from '../contracts/campaign';
import { contactIdRanges } from '../db/contacts/id-bounds';

export function createPlanCampaignRanges(deps: { pool: Pool }) {
  return async function planCampaignRanges(input: { ranges: number }): Promise<PageRange[]> {
    return contactIdRanges(deps.pool, input.ranges);
  };
}
