// Quiet hours in a campaign: contacts whose window is closed are written with their opening time and delivered
// together when it opens, the others at once. And the birthday automation: an hourly schedule whose run picks
// the contacts whose birthday it is and whose local time is the send hour.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertContact } from '../../db/contacts/store';
import { createScheduleClient, scheduleId } from '../../client/schedules';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, seedAudience, until } from './support';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

test('quiet hours: the deferred are delivered together when their window opens, the rest at once', async () => {
  // 07:59:52 in New York, 12:59:52 in London: marketing SMS waits 8 s in New York, goes now in London.
  h.clockStart = '2026-11-24T12:59:52.000Z';
  const us = await seedAudience(h, 'qhus', 3, { country: 'US', timezone: 'America/New_York' });
  await seedAudience(h, 'qhgb', 3, { country: 'GB', timezone: 'Europe/London' });
  const campaigns = campaignsOf(h);
  const started = Date.now();
  await campaigns.start({
    name: 'quiet-hours',
    segment: { id: 'us-and-gb', where: { country: ['US', 'GB'] } },
    message: { channel: 'sms', type: 'campaign', template: 'campaign-sms' },
    pace: { ratePerSecond: 50, concurrency: 4 },
    ranges: 1,
    clockStart: h.clockStart,
  });
  const result = await campaigns.result('quiet-hours');
  const arrivals = h.sms.messages().map((m) => ({ to: m.to, at: m.receivedAt.getTime() - started }));
  expect(arrivals).toHaveLength(6);
  const { rows } = await h.db.pool.query<{ contact_id: string; state: string }>(
    `SELECT contact_id, state FROM outbox WHERE campaign_id = 'campaign-quiet-hours' ORDER BY contact_id`,
  );
  expect(rows.every((r) => r.state === 'sent')).toBe(true);
  const decided = await h.db.pool.query<{ contact_id: string }>(
    `SELECT DISTINCT contact_id FROM step_outcomes WHERE workflow_id = 'campaign-quiet-hours' AND outcome = 'sent'`,
  );
  expect(decided.rows).toHaveLength(6);
  const phones = await h.db.pool.query<{ id: string; address: string }>(
    `SELECT contact_id AS id, address FROM subscriptions WHERE channel = 'sms' AND contact_id = ANY($1)`,
    [us],
  );
  const usPhones = new Set(phones.rows.map((r) => r.address));
  const late = arrivals.filter((a) => usPhones.has(a.to));
  const early = arrivals.filter((a) => !usPhones.has(a.to));
  expect(late).toHaveLength(3);
  expect(Math.min(...late.map((a) => a.at))).toBeGreaterThan(Math.max(...early.map((a) => a.at)));
  expect(Math.min(...late.map((a) => a.at))).toBeGreaterThanOrEqual(6_000);
  // Together: one pass at the opening time, not one timer per contact.
  expect(Math.max(...late.map((a) => a.at)) - Math.min(...late.map((a) => a.at))).toBeLessThan(2_000);
  expect(result.counts).toMatchObject({ decided: 6, deferred: 3, sent: 6 });
  h.clockStart = undefined;
}, 120_000);

test('birthday schedule: a run picks whose birthday it is where the local hour is the send hour', async () => {
  const now = new Date();
  const hour = now.getUTCHours();
  const today = now.toISOString().slice(5, 10); // MM-DD in UTC
  const add = (key: string, timezone: string, birthday: string) =>
    upsertContact(
      h.db.pool,
      {
        email: `${key}@example.test`,
        first_name: key,
        country: 'GB',
        timezone,
        birthday,
        status: 'subscribed',
        email_status: 'subscribed',
      },
      'import',
    );
  await add('bday-yes', 'UTC', `1990-${today}`);
  await add('bday-other-hour', 'Asia/Kolkata', `1990-${today}`); // UTC+5:30: never the same hour as UTC
  await add('bday-not-today', 'UTC', today === '01-01' ? '1990-06-15' : '1990-01-01');

  const schedules = createScheduleClient({ client: h.client, taskQueue: h.taskQueue });
  await schedules.create({
    name: 'bday',
    segment: {
      id: 'birthday-today',
      where: { all: [{ birthday: 'today' }, { status: 'subscribed' }] },
    },
    message: { channel: 'email', type: 'birthday', template: 'birthday-email' },
    every: '1 hour',
    localHour: hour,
  });
  const handle = h.client.schedule.getHandle(scheduleId('bday'));
  const described = await handle.describe();
  expect(described.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 6 * 3_600_000 });
  expect((await schedules.list()).map((s) => s.id)).toContain('segment-bday');
  await handle.trigger();
  await until(() => h.smtp.messages().some((m) => m.to.includes('bday-yes@example.test')), 60_000);
  const run = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId as string;
  expect(run).toMatch(/^scheduled-bday-/);
  const result = (await h.client.workflow.getHandle(run).result()) as { counts: { sent: number } };
  expect(result.counts.sent).toBe(1);
  const to = h.smtp
    .messages()
    .flatMap((m) => m.to)
    .filter((t) => t.startsWith('bday'));
  expect(to).toEqual(['bday-yes@example.test']);
  await schedules.delete('bday');
  expect((await schedules.list()).map((s) => s.id)).not.toContain('segment-bday');
}, 120_000);
