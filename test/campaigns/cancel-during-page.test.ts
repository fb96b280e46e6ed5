// A campaign cancelled while a page is being decided and written: the page's rows must not outlive the cancel.
// The worker's page activity is slowed (it starts its work 3 s late), so the cancel lands while it runs.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, emailCampaign, receivedPer, seedAudience, until } from './support';

let h: Harness;
/** Pages the worker has started, per campaign: the test cancels once the second one is under way. */
const pagesStarted = new Map<string, number>();
beforeAll(async () => {
  h = await startHarness({
    wrapActivities: (a) => ({
      ...a,
      enqueueCampaignPage: async (input) => {
        const started = (pagesStarted.get(input.campaignId) ?? 0) + 1;
        pagesStarted.set(input.campaignId, started);
        if (started === 1) return a.enqueueCampaignPage(input);
        await new Promise((r) => setTimeout(r, 3_000));
        const page = await a.enqueueCampaignPage(input);
        // Its rows are written; then the worker loses its connection before it can answer.
        if (input.campaignId.includes('failpage')) throw new Error('the connection to the database was lost');
        return page;
      },
    }),
  });
});
afterAll(async () => {
  await h?.close();
});

/** Until the first page's 4 emails reached the sink and the second page has started (3 s late). */
const firstPageSentSecondStarted = (prefix: string, campaignId: string) =>
  until(() => receivedPer(h, prefix).size >= 4 && (pagesStarted.get(campaignId) ?? 0) >= 2, 60_000);

/** The campaign's outbox rows, counted by state. */
async function outboxStates(campaignId: string): Promise<{ state: string; n: number }[]> {
  const { rows } = await h.db.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE campaign_id = $1 GROUP BY state ORDER BY state`,
    [campaignId],
  );
  return rows;
}

test('a page still being written when the campaign is cancelled leaves no row pending', async () => {
  await seedAudience(h, 'slowpage', 12, { country: 'FI' });
  const campaigns = campaignsOf(h);
  await campaigns.start(emailCampaign(h, 'slowpage-fi', 'FI', { pageSize: 4, ranges: 1 }));
  // The first page is sent; the second is being decided (3 s late) when the cancel comes.
  await firstPageSentSecondStarted('slowpage', 'campaign-slowpage-fi');
  const status = await campaigns.cancel('slowpage-fi');
  expect(status.state).toBe('cancelled');
  // Long enough for the page activity to have written its rows, whether or not the range waited for it.
  await new Promise((r) => setTimeout(r, 5_000));
  // The second page's rows (written during the cancel) are withdrawn with the others never sent.
  expect(await outboxStates('campaign-slowpage-fi')).toEqual([
    { state: 'sent', n: 4 },
    { state: 'withdrawn', n: 4 },
  ]);
  expect(receivedPer(h, 'slowpage').size).toBe(4);
}, 120_000);

test('a page that fails after the cancel (its rows written) still ends the campaign cancelled, its rows withdrawn', async () => {
  await seedAudience(h, 'failpage', 8, { country: 'EE' });
  const campaigns = campaignsOf(h);
  await campaigns.start(emailCampaign(h, 'failpage-ee', 'EE', { pageSize: 4, ranges: 1 }));
  await firstPageSentSecondStarted('failpage', 'campaign-failpage-ee');
  // The Web UI's Cancel: a cancellation request to the campaign's workflow, not the `cancel` update.
  const handle = h.client.workflow.getHandle('campaign-failpage-ee');
  await handle.cancel();
  // The campaign ends with its result, cancelled (not failed by the page's error).
  const result = (await handle.result()) as { state: string };
  expect(result.state).toBe('cancelled');
  expect(await outboxStates('campaign-failpage-ee')).toEqual([
    { state: 'sent', n: 4 },
    { state: 'withdrawn', n: 4 },
  ]);
}, 120_000);
