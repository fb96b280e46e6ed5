// A campaign delivery attempt that died after the provider accepted a message (its acceptance written on the
// attempt row, its row still pending): the next attempt records the message sent and never hands it to the
// provider again. Against real PostgreSQL and the SMTP sink, which counts every copy it receives.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createEnqueueCampaignPage } from '../../activities/campaign-enqueue';
import { createDeliverCampaignBatch, type DeliverBatchInput } from '../../activities/campaign-deliver';
import { createTemplateSource } from '../../activities/templates';
import { createSmtpTransport } from '../../activities/transports/email';
import { startSmtpSink, type SmtpSink } from '../../activities/transports/sinks/smtp-sink';
import type { EmailTransport } from '../../activities/transports/types';
import { loadRuleSet } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';
import { retry } from '../activities/activity-run';

let db: TestDatabase;
let smtp: SmtpSink;
let email: EmailTransport | undefined;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await email?.close?.();
  await smtp?.close();
  await db?.drop();
});

const input: DeliverBatchInput = {
  campaignId: 'zombie',
  range: { index: 0, after: '' },
  message: { channel: 'email', type: 'campaign' },
  pace: { ratePerSecond: 200, concurrency: 4, provider: 'zombie' },
  limit: 500,
  clockOffsetMs: 0,
  maxDefers: 5,
};

/** `count` contacts of their own country, enqueued as campaign `id`'s rows (the real page activity). */
async function enqueue(id: string, country: string, count: number): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${id}-${String(i).padStart(2, '0')}`;
    await seedContact(db.pool, { key, country });
    emails.push(`${key}@example.test`);
  }
  const page = await createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } })({
    campaignId: id,
    segment: { id: `country-${country.toLowerCase()}`, where: { country } },
    message: { channel: 'email', type: 'campaign', template: 'campaign-email' },
    range: { index: 0, after: '' },
    after: '',
    pageSize: 500,
    at: new Date().toISOString(),
  });
  expect(page.counts.enqueued).toBe(count);
  return emails;
}

function deliverer() {
  email ??= createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' });
  return createDeliverCampaignBatch({
    pool: db.pool,
    rules: { current: () => ruleSet },
    transports: { email, sms: { sendSms: () => Promise.reject(new Error('no SMS here')) } },
    templates: createTemplateSource(),
  });
}

test('an attempt that died after the provider accepted, while this group waited for its row: recorded, not resent', async () => {
  const emails = await enqueue('zombie', 'LU', 3);
  const held = emails[1]!;
  const rowOf = `SELECT idempotency_key FROM outbox WHERE campaign_id = 'zombie' AND contact_id =
                   (SELECT id FROM contacts WHERE email = $1)`;
  // Another worker's group (a zombie after a heartbeat timeout): the attempt counted and started, the row
  // locked through its call, the provider's acceptance written ahead, then the worker dies before recording it.
  await db.pool.query(`UPDATE outbox SET attempts = attempts + 1 WHERE idempotency_key = (${rowOf})`, [held]);
  const zombie = await db.pool.connect();
  let batch: Promise<unknown> | undefined;
  try {
    await zombie.query('BEGIN');
    await zombie.query(`SELECT 1 FROM outbox WHERE idempotency_key = (${rowOf}) FOR UPDATE`, [held]);
    await db.pool.query(
      `INSERT INTO delivery_attempts (message_key, attempt, result, provider_id) SELECT (${rowOf}), 1, NULL, NULL`,
      [held],
    );
    batch = retry(deliverer(), {
      ...input,
      campaignId: 'zombie',
      pace: { ...input.pace, provider: 'zombie' },
    });
    await new Promise((r) => setTimeout(r, 500)); // the batch has asked again, and waits for the row
    await db.pool.query(
      `UPDATE delivery_attempts SET result = 'accepted', provider_id = 'zombie-accepted', finished_at = now()
        WHERE message_key = (${rowOf})`,
      [held],
    );
  } finally {
    await zombie.query('ROLLBACK');
    zombie.release();
  }
  const r = (await batch) as { counts: { sent: number } };
  expect(r.counts.sent).toBe(3);
  expect(smtp.messages().filter((m) => m.to.includes(held))).toEqual([]);
  expect(smtp.messages().filter((m) => m.to.some((to) => to.startsWith('zombie-')))).toHaveLength(2);
  const { rows } = await db.pool.query<Record<string, unknown>>(
    `SELECT o.state, o.provider_id, s.outcome FROM outbox o JOIN step_outcomes s ON s.message_key = o.idempotency_key
      WHERE o.idempotency_key = (${rowOf})`,
    [held],
  );
  expect(rows).toEqual([{ state: 'sent', provider_id: 'zombie-accepted', outcome: 'sent' }]);
});
