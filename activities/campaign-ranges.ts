// planCampaignRanges: splits the contact id space into page ranges of about equal size, one child workflow
// each, so several worker processes share a campaign. Boundaries are quantiles of the stored ids (one sorted
// read of the primary key); a contact added later still falls into exactly one range (the last is open-ended).
import type { Pool } from '../db/pool';
import type { PageRange } from '../contracts/campaign';

export function createPlanCampaignRanges(deps: { pool: Pool }) {
  return async function planCampaignRanges(input: { ranges: number }): Promise<PageRange[]> {
    const n = Math.max(1, Math.min(64, Math.floor(input.ranges)));
    const cuts = Array.from({ length: n - 1 }, (_, i) => (i + 1) / n);
    let bounds: string[] = [];
    if (cuts.length > 0) {
      const { rows } = await deps.pool.query<{ bounds: string[] | null }>(
        'SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY id) AS bounds FROM contacts',
        [cuts],
      );
      // Few contacts give repeated quantiles: a range after the same id as the previous one would be empty.
      bounds = [...new Set(rows[0]?.bounds ?? [])];
    }
    const ranges: PageRange[] = [];
    let after = '';
    bounds.forEach((upTo, index) => {
      ranges.push({ index, after, upTo });
      after = upTo;
    });
    ranges.push({ index: ranges.length, after });
    return ranges;
  };
}
