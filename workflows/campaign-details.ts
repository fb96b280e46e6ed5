// The words the Web UI shows for a campaign run: its current details (state and counts), as every automation's
// run shows what it waits for. Counts and ids only.
import type { CampaignCounts, CampaignStatus } from '../contracts/campaign';

export function countsLine(c: CampaignCounts): string {
  return (
    `decided ${c.decided} · enqueued ${c.enqueued} · deferred ${c.deferred} · suppressed ${c.suppressed} · ` +
    `sent ${c.sent} · dropped at delivery ${c.dropped} · failed ${c.failed}`
  );
}

export function campaignDetails(s: CampaignStatus): string {
  const done = s.ranges.filter((r) => r.done).length;
  return [
    `**campaign ${s.campaignId}** · ${s.state} · ranges done ${done}/${s.ranges.length}`,
    '',
    countsLine(s.counts),
  ].join('\n');
}
