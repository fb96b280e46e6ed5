// A campaign cancelled while a page is being decided and written: the page's rows must not outlive the cancel.
// The worker's page activity is slowed (it starts its work 3 s late), so the cancel lands while it runs.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, emailCampaign, receivedPer, seedAudience, until } from './support';

let h: Harness;
/** Pages the worker has started: the test cancels once the second one is under way. */
let pagesStarted = 0;
beforeAll(async () => {
  h = await startHarness({
    wrapActivities: (a) => ({
      ...a,
      enqueueCampaignPage: async (input) => {
        pagesStarted++;
        if (pagesStarted > 1) await new Promise((r) => setTimeout(r, 3_000));
        return a.enqueueCampaignPage(input);
      },
    }),
  });
});
afterAll(async () => {
  await h?.close();
});

test('a page still being written when the campaign is cancelled leaves no row pending', async () => {
  await seedAudience(h, 'slowpage', 12, { country: 'FI' });
  const campaigns = campaignsOf(h);
  await campaigns.start(emailCampaign(h, 'slowpage-fi', 'FI', { pageSize: 4, ranges: 1 }));
  // The first page is sent; the second is being decided (3 s late) when the cancel comes.
  await until(() => receivedPer(h, 'slowpage').size >= 4 && pagesStarted >= 2, 60_000);
  const status = await campaigns.cancel('slowpage-fi');
  expect(status.state).toBe('cancelled');
  // Long enough for the page activity to have written its rows, whether or not the range waited for it.
  await new Promise((r) => setTimeout(r, 5_000));
  const { rows } = await h.db.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE campaign_id = 'campaign-slowpage-fi'
      GROUP BY state ORDER BY state`,
  );
  // The second page's rows (written during the cancel) are withdrawn with the others never sent.
  expect(rows).toEqual([
    { state: 'sent', n: 4 },
    { state: 'withdrawn', n: 4 },
  ]);
  expect(receivedPer(h, 'slowpage').size).toBe(4);
}, 120_000);
