// What the contact store holds of one campaign: its outbox rows by state and the contacts its pages
// suppressed. A campaign that completed reports its own counts; one that failed, was terminated or timed out
// has no result, and this is what it did (`consentflow campaigns status`).
import type { Pool, PoolClient } from './pool';

export interface CampaignRowsInStore {
  /** Outbox rows: every contact a page decided to send to or defer. */
  enqueued: number;
  sent: number;
  /** Withdrawn (suppressed when asked again at delivery) or expired. */
  dropped: number;
  failed: number;
  /** Neither sent nor dropped nor failed: never delivered. */
  pending: number;
  /** Contacts the pages suppressed (campaign_suppressions). */
  suppressed: number;
}

/**
 * A campaign's outbox rows by what delivery made of them, as count columns `sent`, `dropped` (withdrawn when
 * asked again, or expired) and `failed`: a range's totals (activities/campaign-deliver.ts) and a whole
 * campaign's (below) count them alike.
 */
export const DELIVERED_COUNTS = `count(*) FILTER (WHERE state = 'sent')::int AS sent,
            count(*) FILTER (WHERE state IN ('withdrawn', 'expired'))::int AS dropped,
            count(*) FILTER (WHERE state = 'failed')::int AS failed`;

export async function campaignRowsInStore(
  db: Pool | PoolClient,
  campaignId: string,
): Promise<CampaignRowsInStore> {
  const { rows } = await db.query<CampaignRowsInStore>(
    `SELECT count(*)::int AS enqueued, ${DELIVERED_COUNTS},
            count(*) FILTER (WHERE state = 'pending')::int AS pending,
            (SELECT COALESCE(sum(cardinality(p.contact_ids)), 0)::int FROM campaign_suppressions p
              WHERE p.campaign_id = $1) AS suppressed
       FROM outbox WHERE campaign_id = $1`,
    [campaignId],
  );
  return rows[0]!;
}
