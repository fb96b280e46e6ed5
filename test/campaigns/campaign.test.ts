// A campaign end to end on the real stack: every subscribed contact of the segment gets the message exactly
// once, the unsubscribed get nothing, a contact who unsubscribes mid-campaign gets nothing after, the rate is
// kept at the sink, pause holds the pool, cancel stops within seconds.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { unsubscribe } from '../../db/contacts/store';
import { rangeWorkflowId } from '../../workflows/campaign-api';
import { AUTOMATION } from '../../contracts/search-attributes';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, emailCampaign, receivedPer, seedAudience, until } from './support';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

test('every subscribed contact gets one email; the unsubscribed none; outbox and status agree', async () => {
  await seedAudience(h, 'all', 20, { country: 'GB' });
  await seedAudience(h, 'unsub', 3, { country: 'GB', emailStatus: 'unsubscribed' });
  const campaigns = campaignsOf(h);
  // A page per run: every range continues as new after each page and delivery batch.
  await campaigns.start(emailCampaign(h, 'all-gb', 'GB', { pageSize: 5, iterationsPerRun: 1 }));
  const result = await campaigns.result('all-gb');

  const per = receivedPer(h, 'all');
  expect(per.size).toBe(20);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  expect(receivedPer(h, 'unsub').size).toBe(0);
  expect(result.state).toBe('completed');
  expect(result.counts).toMatchObject({ decided: 23, enqueued: 20, suppressed: 3, sent: 20 });
  const { rows } = await h.db.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE campaign_id = 'campaign-all-gb' GROUP BY state`,
  );
  expect(rows).toEqual([{ state: 'sent', n: 20 }]);
  const outcomes = await h.db.pool.query<{ outcome: string; n: number }>(
    `SELECT outcome, count(*)::int AS n FROM (
       SELECT outcome FROM step_outcomes WHERE workflow_id = 'campaign-all-gb'
       UNION ALL SELECT outcome FROM campaign_suppressed_outcomes WHERE workflow_id = 'campaign-all-gb'
     ) o GROUP BY outcome ORDER BY outcome`,
  );
  expect(outcomes.rows).toEqual([
    { outcome: 'sent', n: 20 },
    { outcome: 'suppressed', n: 3 },
  ]);
  const runs: string[] = [];
  for await (const w of h.client.workflow.list({
    query: `WorkflowId = '${rangeWorkflowId('campaign-all-gb', 0)}'`,
  }))
    runs.push(w.runId);
  expect(runs.length).toBeGreaterThanOrEqual(2);
  // The Web UI: findable by Automation = "campaign", a static summary, the counts as current details.
  const parent = h.client.workflow.getHandle('campaign-all-gb');
  const d = await parent.describe();
  expect(d.typedSearchAttributes.get(AUTOMATION)).toBe('campaign');
  expect(await d.staticSummary()).toBe('campaign all-gb · campaign by email · segment country-GB');
  expect(await d.staticDetails()).toMatch(/200 messages\/s on `email:default`/);
  const meta = await parent.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(meta.currentDetails).toMatch(/completed · ranges done 2\/2[\s\S]*sent 20/);
  const range = await h.client.workflow.getHandle(rangeWorkflowId('campaign-all-gb', 0)).describe();
  expect(range.typedSearchAttributes.get(AUTOMATION)).toBe('campaign');
  // Started again under the same name: refused, nothing sent twice.
  await expect(campaigns.start(emailCampaign(h, 'all-gb', 'GB'))).rejects.toThrow(/already started/);
}, 120_000);

test('the rate is kept at the sink: 4 messages/s, 8 messages spread over their 1.75 s of slots, never 6 in a second', async () => {
  await seedAudience(h, 'rate', 8, { country: 'IE' });
  const campaigns = campaignsOf(h);
  await campaigns.start(
    emailCampaign(h, 'rate-ie', 'IE', { pace: { ratePerSecond: 4, concurrency: 4, provider: 'rate-test' } }),
  );
  await campaigns.result('rate-ie');
  const times = h.smtp
    .messages()
    .filter((m) => m.to.some((t) => t.startsWith('rate')))
    .map((m) => m.receivedAt.getTime())
    .sort((a, b) => a - b);
  expect(times).toHaveLength(8);
  const span = (times[7] as number) - (times[0] as number);
  // Slot 0 to slot 7 is 1.75 s; the first SMTP exchange (connection set-up) may land up to 0.4 s late.
  expect(span).toBeGreaterThanOrEqual(7 * 250 - 400);
  // Slots start 250 ms apart; an SMTP exchange takes a varying time, so arrivals jitter around them: never
  // more than the rate (plus one at a window's edge) in any second.
  for (const t of times) expect(times.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(5);
}, 120_000);

test('a contact who unsubscribes mid-campaign gets nothing after', async () => {
  const ids = await seedAudience(h, 'mid', 8, { country: 'FR' });
  const campaigns = campaignsOf(h);
  await campaigns.start(
    // One page: every contact is decided `send` (and enqueued) before the first delivery.
    emailCampaign(h, 'mid-fr', 'FR', {
      pace: { ratePerSecond: 2, concurrency: 1, provider: 'mid-test' },
      ranges: 1,
      pageSize: 20,
    }),
  );
  await until(() => receivedPer(h, 'mid').size >= 1);
  // The last contact in id order (delivered last) unsubscribes now, long after the batch decision.
  const last = [...ids].sort().at(-1) as string;
  await unsubscribe(h.db.pool, last, { channel: 'email' });
  const result = await campaigns.result('mid-fr');

  const per = receivedPer(h, 'mid');
  expect(per.size).toBe(7);
  const { rows } = await h.db.pool.query<{ state: string; outcome: string }>(
    `SELECT o.state, s.outcome FROM outbox o JOIN step_outcomes s ON s.message_key = o.idempotency_key
      WHERE o.campaign_id = 'campaign-mid-fr' AND o.contact_id = $1`,
    [last],
  );
  expect(rows).toEqual([{ state: 'withdrawn', outcome: 'suppressed' }]);
  expect(result.counts).toMatchObject({ sent: 7, dropped: 1 });
}, 120_000);

test('pause holds the pool; resume sends the rest, each once', async () => {
  // 30 at 4/s take 7.5 s: a pause takes effect within the activity's heartbeat throttle (4 s), well before.
  await seedAudience(h, 'pause', 30, { country: 'ES' });
  const campaigns = campaignsOf(h);
  await campaigns.start(
    emailCampaign(h, 'pause-es', 'ES', {
      pace: { ratePerSecond: 4, concurrency: 2, provider: 'pause-test' },
    }),
  );
  await until(() => receivedPer(h, 'pause').size >= 2);
  const started = Date.now();
  await campaigns.pause('pause-es');
  expect(Date.now() - started).toBeLessThan(10_000);
  const held = receivedPer(h, 'pause').size;
  expect(held).toBeLessThan(30);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(receivedPer(h, 'pause').size).toBe(held);
  expect((await campaigns.status('pause-es')).state).toBe('paused');

  await campaigns.resume('pause-es');
  const result = await campaigns.result('pause-es');
  const per = receivedPer(h, 'pause');
  expect(per.size).toBe(30);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  expect(result.state).toBe('completed');
}, 120_000);

test('cancel stops within seconds: nothing is delivered after it returns', async () => {
  await seedAudience(h, 'cancel', 30, { country: 'DE' });
  const campaigns = campaignsOf(h);
  await campaigns.start(
    emailCampaign(h, 'cancel-de', 'DE', {
      pace: { ratePerSecond: 3, concurrency: 2, provider: 'cancel-test' },
    }),
  );
  await until(() => receivedPer(h, 'cancel').size >= 2);
  const started = Date.now();
  const status = await campaigns.cancel('cancel-de');
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(status.state).toBe('cancelled');
  const atCancel = receivedPer(h, 'cancel').size;
  await new Promise((r) => setTimeout(r, 3_000));
  expect(receivedPer(h, 'cancel').size).toBe(atCancel);
  expect(atCancel).toBeLessThan(30);
  const result = await campaigns.result('cancel-de');
  expect(result.state).toBe('cancelled');
  // What the cancel left unsent will never go out: no row stays `pending` (caps would count it as a promised
  // message), each is withdrawn with the outcome `stopped`, saying why.
  const { rows } = await h.db.pool.query<{ state: string; outcome: string | null; rule: string | null }>(
    `SELECT o.state, s.outcome, s.reasons->0->>'rule' AS rule FROM outbox o
       LEFT JOIN step_outcomes s ON s.message_key = o.idempotency_key
      WHERE o.campaign_id = 'campaign-cancel-de'`,
  );
  const sent = rows.filter((r) => r.state === 'sent');
  const withdrawn = rows.filter((r) => r.state === 'withdrawn');
  expect(sent).toHaveLength(atCancel);
  expect(withdrawn.length).toBeGreaterThan(0);
  expect(sent.length + withdrawn.length).toBe(rows.length);
  expect(new Set(withdrawn.map((r) => `${r.outcome} ${r.rule}`))).toEqual(
    new Set(['stopped campaign:cancelled']),
  );
  // The cancelled campaign's result counts what its ranges did before the cancel.
  expect(result.counts).toMatchObject({ enqueued: rows.length, sent: atCancel });
  expect(result.counts.decided).toBeGreaterThanOrEqual(rows.length);
}, 120_000);
