// deliverCampaignBatch called as Temporal calls it, against real PostgreSQL, the real rules and the SMTP sink:
// a delivery group's bookkeeping is a constant number of statements and commits whatever its size, and each
// row still gets exactly what a single delivery gives it (template error, refusal with feedback, a contact
// who unsubscribed since the batch decision, a row a concurrent attempt sent, the shared rate).
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createEnqueueCampaignPage } from '../../activities/campaign-enqueue';
import { createDeliverCampaignBatch, type DeliverBatchInput } from '../../activities/campaign-deliver';
import { createTemplateSource, type MessageTemplate } from '../../activities/templates';
import { createSmtpTransport } from '../../activities/transports/email';
import { startSmtpSink, type SmtpSink } from '../../activities/transports/sinks/smtp-sink';
import type { EmailTransport } from '../../activities/transports/types';
import { applyFeedback } from '../../db/contacts';
import type { Pool } from '../../db/pool';
import { loadRuleSet } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CancelledFailure } from '@temporalio/common';
import { rejectionOf, retry, run } from '../activities/activity-run';
import { until } from './support';

let db: TestDatabase;
let smtp: SmtpSink;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
const rules = { current: () => ruleSet };
const files = createTemplateSource();
/** The repository's templates, and one that needs a last name (most seeded contacts have none). */
const templates = {
  get: (id: string): MessageTemplate =>
    id === 'strict-email'
      ? { id, channel: 'email', subject: 'Dear {{last_name}}', text: 'Bye: {{unsubscribe_url}}' }
      : files.get(id),
};

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink({
    rejectRecipients: (to) => to.startsWith('refused'),
    // The server has these messages a second and a half before the sender hears so.
    holdReplyMs: (to) => (to.startsWith('inflight') ? 1_500 : 0),
  });
});
afterAll(async () => {
  for (const t of opened) await t.close?.();
  await smtp?.close();
  await db?.drop();
});

const opened: EmailTransport[] = [];

function batchOf(pool: Pool) {
  const email = createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' });
  opened.push(email);
  const transports = { email, sms: { sendSms: () => Promise.reject(new Error('no SMS here')) } };
  return createDeliverCampaignBatch({ pool, rules, transports, templates });
}

/** `count` contacts of their own country, enqueued as campaign `id`'s rows (the real page activity). */
async function campaign(id: string, country: string, count: number, template = 'campaign-email') {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${id}-${String(i).padStart(2, '0')}`;
    await seedContact(db.pool, { key, country, timezone: 'Europe/London' });
    keys.push(key);
  }
  const page = await createEnqueueCampaignPage({ pool: db.pool, rules })({
    campaignId: id,
    segment: { id: `country-${country.toLowerCase()}`, where: { country } },
    message: { channel: 'email', type: 'campaign', template },
    range: { index: 0, after: '' },
    after: '',
    pageSize: 500,
    at: new Date().toISOString(),
  });
  expect(page.counts.enqueued).toBe(count);
  return keys;
}

function input(campaignId: string, over: Partial<DeliverBatchInput> = {}): DeliverBatchInput {
  return {
    campaignId,
    range: { index: 0, after: '' },
    message: { channel: 'email', type: 'campaign' },
    pace: { ratePerSecond: 1000, concurrency: 4, provider: campaignId },
    limit: 500,
    clockOffsetMs: 0,
    maxDefers: 5,
    ...over,
  };
}

const received = (prefix: string): string[] =>
  smtp.messages().flatMap((m) => m.to.filter((to) => to.startsWith(prefix)));

async function row(campaignId: string, key: string) {
  const { rows } = await db.pool.query<Record<string, unknown>>(
    `SELECT o.state, o.failure_type, o.feedback, o.feedback_applied_at, s.outcome, s.failure_kind,
            (SELECT count(*)::int FROM delivery_attempts a WHERE a.message_key = o.idempotency_key) AS attempts
       FROM outbox o LEFT JOIN step_outcomes s ON s.message_key = o.idempotency_key
      WHERE o.campaign_id = $1 AND o.contact_id = (SELECT id FROM contacts WHERE email = $2)`,
    [campaignId, `${key}@example.test`],
  );
  return rows[0];
}

/**
 * The pool, counting every statement sent through it or through a client it lends (BEGIN and COMMIT too). The
 * acceptances written ahead while the calls run (pool-level UPDATEs of attempt rows) are counted apart, and
 * held `aheadMs` each: a database slower than the provider.
 */
function counting(pool: Pool, aheadMs = 0) {
  let statements = 0;
  let commits = 0;
  let ahead = 0;
  const count =
    (target: { query: (...a: unknown[]) => unknown }) =>
    (...args: unknown[]) => {
      statements++;
      if (args[0] === 'COMMIT') commits++;
      return target.query(...args);
    };
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return async (...args: unknown[]) => {
          if (typeof args[0] !== 'string' || !args[0].startsWith('UPDATE delivery_attempts'))
            return count(target)(...args);
          ahead++;
          await new Promise((r) => setTimeout(r, aheadMs));
          return target.query(...(args as Parameters<Pool['query']>));
        };
      if (prop === 'connect')
        return async () => {
          const client = await target.connect();
          return new Proxy(client, {
            get(c, p) {
              if (p === 'query') return count(c);
              const v = Reflect.get(c, p, c) as unknown;
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
            },
          });
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { pool: proxy, statements: () => statements, commits: () => commits, ahead: () => ahead };
}

test('a group costs the same statements and commits for 3 rows as for 40', async () => {
  await campaign('qc-small', 'IE', 3);
  await campaign('qc-large', 'FR', 40);
  const small = counting(db.pool);
  const a = await run(batchOf(small.pool), input('qc-small'));
  const large = counting(db.pool, 50);
  const b = await run(batchOf(large.pool), input('qc-large'));
  expect([a.counts.sent, b.counts.sent]).toEqual([3, 40]);
  expect(received('qc-large-')).toHaveLength(40);
  expect(large.statements()).toBe(small.statements());
  expect(large.commits()).toBe(small.commits());
  expect(large.commits()).toBeLessThanOrEqual(4);
  expect(large.statements()).toBeLessThanOrEqual(30);
  // Acceptances are written as they come, but those heard during a write share the next one: with the
  // database slower than the provider, 40 acceptances take a few writes (about 5 here), not one each.
  expect(small.ahead()).toBeGreaterThanOrEqual(1);
  expect(large.ahead()).toBeGreaterThanOrEqual(1);
  expect(large.ahead()).toBeLessThan(20);
});

test('a template error in one row is that row failed; the others are sent', async () => {
  const keys = await campaign('tpl', 'NL', 4, 'strict-email');
  await db.pool.query(`UPDATE contacts SET last_name = 'Lovelace' WHERE email <> $1 AND country = 'NL'`, [
    `${keys[2]}@example.test`,
  ]);
  const r = await run(batchOf(db.pool), input('tpl'));
  expect(r.counts).toMatchObject({ sent: 3, failed: 0 + 1, dropped: 0 });
  expect(received('tpl-').sort()).toEqual([0, 1, 3].map((i) => `${keys[i]}@example.test`));
  expect(await row('tpl', keys[2]!)).toMatchObject({
    state: 'failed',
    failure_type: 'TemplateError',
    outcome: 'failed',
    failure_kind: 'template',
    attempts: 0,
  });
  expect(await row('tpl', keys[0]!)).toMatchObject({ state: 'sent', outcome: 'sent', attempts: 1 });
});

test('a permanent refusal in a group is recorded failed and its feedback applied', async () => {
  const keys = await campaign('rf', 'AT', 3);
  // The sink refuses addresses starting with "refused": move one contact of this campaign there.
  await db.pool.query(`UPDATE subscriptions SET address = 'refused-rg@example.test' WHERE address = $1`, [
    `${keys[1]}@example.test`,
  ]);
  await db.pool.query(`UPDATE contacts SET email = 'refused-rg@example.test' WHERE email = $1`, [
    `${keys[1]}@example.test`,
  ]);
  const r = await run(batchOf(db.pool), input('rf'));
  expect(r.counts).toMatchObject({ sent: 2, failed: 1 });
  const { rows } = await db.pool.query<Record<string, unknown>>(
    `SELECT o.state, o.feedback, o.feedback_applied_at, s.outcome, s.failure_kind, sub.status
       FROM outbox o JOIN step_outcomes s ON s.message_key = o.idempotency_key
       JOIN subscriptions sub ON sub.contact_id = o.contact_id AND sub.channel = 'email'
      WHERE o.campaign_id = 'rf' AND o.address = 'refused-rg@example.test'`,
  );
  expect(rows[0]).toMatchObject({
    state: 'failed',
    feedback: 'hard_bounce',
    outcome: 'failed',
    failure_kind: 'recipient-refused',
    status: 'hard_bounced',
  });
  expect(rows[0]!.feedback_applied_at).toBeInstanceOf(Date);
});

test('a contact who unsubscribed after the batch decision is dropped, with the outcome recorded', async () => {
  const keys = await campaign('unsub', 'ES', 3);
  await applyFeedback(db.pool, {
    kind: 'unsubscribe',
    channel: 'email',
    address: `${keys[0]}@example.test`,
    source: 'test',
  });
  const r = await run(batchOf(db.pool), input('unsub'));
  expect(r.counts).toMatchObject({ sent: 2, dropped: 1 });
  expect(received(`${keys[0]}@`)).toEqual([]);
  expect(await row('unsub', keys[0]!)).toMatchObject({
    state: 'withdrawn',
    outcome: 'suppressed',
    attempts: 0,
  });
});

test('a row a concurrent attempt sent while this group waited for it is not sent again', async () => {
  const keys = await campaign('dup', 'IT', 3);
  const other = await db.pool.connect();
  try {
    // Another attempt holds the row (a zombie in its provider call), then records it sent.
    await other.query('BEGIN');
    await other.query(
      `SELECT 1 FROM outbox WHERE campaign_id = 'dup' AND address = '' AND contact_id =
         (SELECT id FROM contacts WHERE email = $1) FOR UPDATE`,
      [`${keys[1]}@example.test`],
    );
    const batch = run(batchOf(db.pool), input('dup'));
    await new Promise((r) => setTimeout(r, 500));
    await other.query(
      `UPDATE outbox SET state = 'sent', provider_id = 'earlier' WHERE campaign_id = 'dup' AND contact_id =
         (SELECT id FROM contacts WHERE email = $1)`,
      [`${keys[1]}@example.test`],
    );
    await other.query('COMMIT');
    const r = await batch;
    // Counted sent, as a single delivery reports a row it finds sent: the other attempt's count is lost with it.
    expect(r.counts.sent).toBe(3);
  } finally {
    other.release();
  }
  expect(received(`${keys[1]}@`)).toEqual([]);
  expect(await row('dup', keys[1]!)).toMatchObject({ state: 'sent', attempts: 0 });
  expect(received('dup-')).toHaveLength(2);
});

test('two batches racing on one provider keep its rate together', async () => {
  await campaign('race-a', 'PT', 10);
  await campaign('race-b', 'SE', 10);
  const pace = { ratePerSecond: 10, concurrency: 5, provider: 'race' };
  const t0 = Date.now();
  const [a, b] = await Promise.all([
    run(batchOf(db.pool), input('race-a', { pace })),
    run(batchOf(db.pool), input('race-b', { pace })),
  ]);
  expect((a.counts.sent ?? 0) + (b.counts.sent ?? 0)).toBe(20);
  const times = smtp
    .messages()
    .filter((m) => m.to.some((to) => to.startsWith('race-')))
    .map((m) => m.receivedAt.getTime())
    .sort((x, y) => x - y);
  expect(times).toHaveLength(20);
  // 20 slots 100 ms apart: any 11 consecutive sends span about a second (latency jitter allowed); two batches
  // each keeping 10/s alone but not together would send 11 in half a second.
  for (let i = 0; i + 10 < times.length; i++) expect(times[i + 10]! - times[i]!).toBeGreaterThanOrEqual(800);
  expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1_500);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_800);
});

test('cancelled mid-batch: no call after it, the rows not reached stay pending, the counts travel with it', async () => {
  await campaign('cancel', 'DK', 20);
  const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
  const pace = { ratePerSecond: 10, concurrency: 2, provider: 'cancel' };
  const batch = env.run(batchOf(db.pool), input('cancel', { pace }));
  await new Promise((r) => setTimeout(r, 700));
  env.cancel();
  const err = await rejectionOf(batch, CancelledFailure, 'expected the batch to be cancelled');
  const cancelledAt = Date.now();
  const { counts } = err.details[0] as { counts: { sent: number } };
  expect(counts.sent).toBeGreaterThan(0);
  expect(counts.sent).toBeLessThan(20);
  await new Promise((r) => setTimeout(r, 300));
  const after = smtp.messages().filter((m) => m.to.some((to) => to.startsWith('cancel-')));
  expect(after.every((m) => m.receivedAt.getTime() <= cancelledAt)).toBe(true);
  const { rows } = await db.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE campaign_id = 'cancel' GROUP BY state ORDER BY state`,
  );
  expect(rows).toEqual([
    { state: 'pending', n: 20 - counts.sent },
    { state: 'sent', n: counts.sent },
  ]);
  expect(after).toHaveLength(counts.sent);
  // Only calls that were made keep an attempt row, and each has its answer.
  const { rows: attempts } = await db.pool.query<{ open: number; all: number }>(
    `SELECT count(*) FILTER (WHERE result IS NULL)::int AS open, count(*)::int AS all FROM delivery_attempts
      WHERE message_key LIKE 'cancel/%'`,
  );
  expect(attempts[0]).toEqual({ open: 0, all: counts.sent });
});

test('cancelled while calls are in flight: each handed-over message is heard to its end, counted and not sent again', async () => {
  await campaign('inflight', 'LU', 8);
  const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
  const pace = { ratePerSecond: 20, concurrency: 2, provider: 'inflight' };
  const batch = env.run(batchOf(db.pool), input('inflight', { pace }));
  const ofCampaign = () => smtp.messages().filter((m) => m.to.some((to) => to.startsWith('inflight-')));
  // The server has the first messages; the sender is still waiting for their replies.
  await until(() => ofCampaign().length >= 2, 20_000);
  env.cancel();
  const err = await rejectionOf(batch, CancelledFailure, 'expected the batch to be cancelled');
  const { counts } = err.details[0] as { counts: { sent: number } };
  const received = ofCampaign().length;
  expect(received).toBeGreaterThanOrEqual(2);
  expect(received).toBeLessThan(8);
  // What the provider has is what the batch reports and what the outbox says.
  expect(counts.sent).toBe(received);
  const sent = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox WHERE campaign_id = 'inflight' AND state = 'sent'`,
  );
  expect(sent.rows[0]?.n).toBe(received);

  // Resumed: the rest once each, nothing twice.
  const rest = await retry(batchOf(db.pool), input('inflight', { pace }));
  expect(rest.counts.sent).toBe(8 - received);
  const per = new Map<string, number>();
  for (const m of ofCampaign()) for (const to of m.to) per.set(to, (per.get(to) ?? 0) + 1);
  expect(per.size).toBe(8);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
}, 60_000);

test("a retry reports the range's totals from the outbox: the groups a dead attempt closed are counted", async () => {
  const keys = await campaign('dead', 'MT', 6);
  // As an attempt that sent three rows in groups it closed, then died before reporting anything.
  await db.pool.query(
    `UPDATE outbox SET state = 'sent', provider_id = 'earlier', sent_at = now()
      WHERE campaign_id = 'dead' AND contact_id IN (SELECT id FROM contacts WHERE email = ANY($1::text[]))`,
    [keys.slice(0, 3).map((k) => `${k}@example.test`)],
  );
  const pace = { ratePerSecond: 50, concurrency: 2, provider: 'dead' };
  const r = await retry(batchOf(db.pool), input('dead', { pace }));
  expect(r.counts.sent).toBe(3);
  expect(r.totals).toEqual({ sent: 6, dropped: 0, failed: 0 });
  // A first attempt that is not the range's last reports its own counts only (no count of the range).
  await campaign('firsts', 'CY', 4);
  const partial = await run(batchOf(db.pool), input('firsts', { pace, limit: 2 }));
  expect(partial).toMatchObject({ more: true, counts: { sent: 2 } });
  expect(partial.totals).toBeUndefined();
  const rest = await run(batchOf(db.pool), input('firsts', { pace, limit: 3 }));
  expect(rest.totals).toEqual({ sent: 4, dropped: 0, failed: 0 });
});

test("a retry applies the feedback a refusal's attempt committed but did not apply", async () => {
  const keys = await campaign('owed', 'FI', 2);
  const owed = `${keys[0]}@example.test`;
  // As an attempt that recorded the refusal, then failed before telling the contact store.
  await db.pool.query(
    `UPDATE outbox SET state = 'failed', address = $1, feedback = 'hard_bounce', error = '550 5.1.1'
      WHERE campaign_id = 'owed' AND contact_id = (SELECT id FROM contacts WHERE email = $1)`,
    [owed],
  );
  const r = await retry(batchOf(db.pool), input('owed'));
  expect(r.counts.sent).toBe(1);
  const { rows } = await db.pool.query<{ applied: Date | null; status: string }>(
    `SELECT o.feedback_applied_at AS applied, s.status FROM outbox o
       JOIN subscriptions s ON s.contact_id = o.contact_id AND s.channel = 'email'
      WHERE o.campaign_id = 'owed' AND o.state = 'failed'`,
  );
  expect(rows).toEqual([{ applied: expect.any(Date) as Date, status: 'hard_bounced' }]);
});
