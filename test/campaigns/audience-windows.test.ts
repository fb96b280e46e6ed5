// A campaign range reads its audience page by page, each page within a window of the next contacts in id order,
// the window's size learned from the pages before it. Whatever the windows, the pages must hold exactly the
// segment's contacts, each once, never more than a page of them: across windows with none of the segment's
// contacts (a sparse start), windows that grew over them and then met a dense stretch, a range's end, and every
// kind of condition on another table (subscriptions, categories, the ledger, under `not` and `any`).
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEnqueueCampaignPage } from '../../activities/campaign-enqueue';
import { checkCampaign } from '../../client/campaigns';
import { createScheduleClient } from '../../client/schedules';
import type { Client } from '@temporalio/client';
import { REPO_ROOT } from '../../client/config';
import { loadRuleSet } from '../../rules';
import { sampleAudience } from '../../segments/audience';
import { AudienceWindows } from '../../segments/audience-window';
import { parseSegment } from '../../segments/segment';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { SUBSCRIBED_30_DAYS_AGO } from '../segments/support';

let db: TestDatabase;
const N = 1_200;
const PAGE = 25;
const AT = new Date('2026-06-02T10:00:00Z');
const id = (i: number): string => `aw-${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  // France: two contacts early on, then everyone from 1,000 on (a sparse start, then a dense stretch).
  await db.pool.query(
    `INSERT INTO contacts (id, email, status, country, timezone)
     SELECT 'aw-' || lpad(g::text, 4, '0'), 'aw' || g || '@example.test', 'subscribed',
            CASE WHEN g IN (17, 500) OR g >= 1000 THEN 'FR' ELSE 'DE' END, 'Europe/Berlin'
       FROM generate_series(1, $1::int) g`,
    [N],
  );
  await db.pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status, categories)
     SELECT id, 'shop', 'email', email,
            CASE WHEN substr(id, 4)::int % 3 = 0 THEN 'unsubscribed' ELSE 'subscribed' END,
            CASE WHEN substr(id, 4)::int % 4 = 0 THEN '{"promo": "unsubscribed"}'::jsonb ELSE '{}'::jsonb END
       FROM contacts`,
  );
  await db.pool.query(
    `INSERT INTO consent_ledger (contact_id, kind, resource, channel, after, at, origin)
     SELECT id, 'subscription', 'shop', 'email', '{"status": "subscribed"}', $1::timestamptz - interval '40 days',
            'import'
       FROM contacts WHERE substr(id, 4)::int % 5 = 0`,
    [AT],
  );
  await db.pool.query('ANALYZE contacts; ANALYZE subscriptions; ANALYZE consent_ledger');
});
afterAll(async () => {
  await db.drop();
});

const subscribed = { subscription: { resource: 'shop', channel: 'email', status: 'subscribed' } };
const promoOff = {
  category: { resource: 'shop', channel: 'email', category: 'promo', state: 'unsubscribed' },
};
const ledger = SUBSCRIBED_30_DAYS_AGO;
const SEGMENTS: [string, unknown][] = [
  ['a subscription state', subscribed],
  ['a category state', promoOff],
  ['a ledger event', ledger],
  ['not a subscription state', { not: subscribed }],
  ['a ledger event or a category state', { any: [ledger, promoOff] }],
  ['a sparse start, then a dense stretch', { country: 'FR' }],
  ['France and subscribed', { all: [{ country: 'FR' }, subscribed] }],
];

// With no time to fill a page, every window is a page of its own: short, often empty, and still exact.
test.each(
  SEGMENTS.flatMap(([name, where]) => [
    [name, where, 'pages filled', undefined] as const,
    [name, where, 'a page per window', 0] as const,
  ]),
)('%s: the windowed pages hold the segment exactly (%s)', async (_name, where, _how, fillBudgetMs) => {
  const segment = parseSegment(JSON.stringify({ id: 'windows', where }));
  const expected = (await sampleAudience(db.pool, segment, AT, N)).map((r) => r.id);
  expect(expected.length).toBeGreaterThan(0);
  const windows = new AudienceWindows(fillBudgetMs === undefined ? {} : { fillBudgetMs });
  const seen: string[] = [];
  // Two ranges, as a campaign splits them: the first ends at a contact, the second runs to the store's end.
  for (const range of [
    { after: '', upTo: id(600) },
    { after: id(600), upTo: undefined },
  ]) {
    let after: string | undefined = range.after;
    for (let pages = 0; after !== undefined; pages++) {
      expect(pages).toBeLessThan(N);
      const { page, next } = await windows.nextPage(db.pool, range.after, {
        segment,
        at: AT,
        scope: range.upTo ? { upTo: range.upTo } : {},
        after,
        pageSize: PAGE,
      });
      expect(page.ids.length).toBeLessThanOrEqual(PAGE);
      expect([...page.profiles.keys()]).toEqual(page.ids);
      seen.push(...page.ids);
      if (next !== undefined) expect(next > after).toBe(true);
      after = next;
    }
  }
  expect(seen).toEqual(expected);
});

test('a campaign page is the next page of the segment however few of it the windows hold', async () => {
  const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
  const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
  const campaignId = 'campaign-windows';
  let after: string | undefined = '';
  const pages: number[] = [];
  while (after !== undefined) {
    const result = await enqueue({
      campaignId,
      segment: { id: 'france', where: { country: 'FR' } },
      message: { channel: 'email', type: 'campaign', template: 'campaign-email' },
      range: { index: 0, after: '' },
      after,
      pageSize: 10,
      at: AT.toISOString(),
    });
    pages.push(result.counts.decided ?? 0);
    after = result.cursor;
  }
  const { rows } = await db.pool.query<{ contact_id: string }>(
    `SELECT contact_id FROM outbox WHERE campaign_id = $1
     UNION ALL SELECT contact_id FROM campaign_suppressed_outcomes WHERE workflow_id = $1 ORDER BY 1`,
    [campaignId],
  );
  const france = [17, 500, ...Array.from({ length: N - 999 }, (_, k) => 1000 + k)].map(id);
  // Full pages of 10 (the windows before contact 1,000 hold two of France), the rest on the last one.
  expect(pages).toEqual([...Array<number>(Math.floor(france.length / 10)).fill(10), france.length % 10]);
  expect(rows.map((r) => r.contact_id)).toEqual(france);
});

test('a page size no page can have is refused before the start (or schedule) and by the worker, never retried', async () => {
  const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
  const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
  const segment = { id: 'france', where: { country: 'FR' } };
  const message = { channel: 'email', type: 'campaign', template: 'campaign-email' } as const;
  for (const pageSize of [0, -5, 2.5]) {
    expect(() => checkCampaign({ name: 'spring-sale', segment, message, pageSize })).toThrow(
      /the campaign's pageSize must be a whole number from 1 to 50000 .*e\.g\. 1000/,
    );
    const page = enqueue({
      campaignId: 'campaign-page-size',
      segment,
      message,
      range: { index: 0, after: '' },
      after: '',
      pageSize,
      at: AT.toISOString(),
    });
    await expect(page).rejects.toMatchObject({ type: 'InvalidActivityInput', nonRetryable: true });
  }
  expect(() => checkCampaign({ name: 'spring-sale', segment, message, ranges: 65 })).toThrow(
    /the campaign's ranges must be a whole number from 1 to 64 \(got 65\)/,
  );
  // A schedule is refused the same way before it reaches Temporal (the client is never used).
  const schedules = createScheduleClient({ client: {} as Client, taskQueue: 'unused' });
  await expect(
    schedules.create({ name: 'daily-sale', segment, message, pageSize: 0, every: '1 day' }),
  ).rejects.toThrow(/the campaign's pageSize must be a whole number from 1 to 50000/);
  // Its name is the schedule's, and the refusal says so.
  await expect(schedules.create({ name: 'daily sale!', segment, message, every: '1 day' })).rejects.toThrow(
    /^schedule name "daily sale!" may use letters, digits .* e\.g\. daily-birthday$/,
  );
});
