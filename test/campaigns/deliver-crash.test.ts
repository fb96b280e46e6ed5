// A campaign worker killed (SIGKILL: an OOM kill, a lost host) in the middle of a delivery group, then the
// activity retried: the provider must not get again the messages it accepted before the kill. The delivery runs
// in a child process (fixtures/deliver-batch-child.ts) against real PostgreSQL and the SMTP sink, and is killed
// once the sink holds K of the group's 50 messages; the retry runs here to completion. The sink keeps one copy
// per Message-ID (the idempotency key) and counts the copies it dropped: those are what a provider without
// idempotency (plain SMTP) would have delivered twice. And the rarer race: an attempt that wrote its
// acceptance, then died while another attempt waited for the row, is recorded by that other one, not resent.
import { spawn } from 'node:child_process';
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

const ROWS = 50;
/** Killed once the provider holds this many of the group's messages. */
const K = 30;
const CONCURRENCY = 4;

let db: TestDatabase;
let smtp: SmtpSink;
let email: EmailTransport | undefined;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));

beforeAll(async () => {
  db = await createTestDatabase();
  // Each reply held a little, as a real provider's round trip: the kill finds calls in flight, the sink
  // holding messages the worker has not yet heard were accepted.
  smtp = await startSmtpSink({ holdReplyMs: () => 15 });
});
afterAll(async () => {
  await email?.close?.();
  await smtp?.close();
  await db?.drop();
});

// 200/s makes one group of 50 (campaign-deliver.ts groupSize); the replies' hold keeps it about 200 ms long.
const input: DeliverBatchInput = {
  campaignId: 'crash',
  range: { index: 0, after: '' },
  message: { channel: 'email', type: 'campaign' },
  pace: { ratePerSecond: 200, concurrency: CONCURRENCY, provider: 'crash' },
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

/** The delivery in a process of its own, SIGKILLed once the sink holds `k` messages; what the sink held then. */
async function deliverAndKill(k: number): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'fixtures', 'deliver-batch-child.ts'),
      db.url,
      smtp.url,
      JSON.stringify(input),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  try {
    await smtp.waitFor(k, 30_000);
  } finally {
    child.kill('SIGKILL');
  }
  // Killed, not finished: the crash came in the middle of the group.
  expect(await exited, output).toBe('SIGKILL');
  return smtp.messages().length;
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

test('a worker killed mid-group: the retry does not hand the provider again what it had accepted', async () => {
  await enqueue('crash', 'BE', ROWS);
  const heldAtKill = await deliverAndKill(K);
  expect(heldAtKill).toBeLessThan(ROWS);

  const r = await retry(deliverer(), input);
  expect(r.counts).toMatchObject({ sent: ROWS, failed: 0, dropped: 0 });

  // None lost: every contact got the message.
  const keys = new Set(smtp.messages().map((m) => m.idempotencyKey));
  expect(keys.size).toBe(ROWS);
  // Copies: only messages whose acceptance was not yet committed when the process died. Those are the calls in
  // flight then (at most `concurrency`: the provider may have them, the worker never heard) and the acceptances
  // heard but still queued for, or inside, the coalesced write (a database round trip is far shorter than a
  // provider call: at most another `concurrency`). Without prompt recording, every message of the group the
  // provider held at the kill (K or more) would come again.
  expect(smtp.duplicates()).toBeLessThanOrEqual(2 * CONCURRENCY);

  // The records agree: each row sent once, one accepted attempt and one 'sent' outcome per message.
  const { rows } = await db.pool.query<{ state: string; accepted: number; outcomes: number; sent: number }>(
    `SELECT o.state,
            (SELECT count(*)::int FROM delivery_attempts a
              WHERE a.message_key = o.idempotency_key AND a.result = 'accepted') AS accepted,
            (SELECT count(*)::int FROM step_outcomes s WHERE s.message_key = o.idempotency_key) AS outcomes,
            (SELECT count(*)::int FROM step_outcomes s
              WHERE s.message_key = o.idempotency_key AND s.outcome = 'sent') AS sent
       FROM outbox o WHERE o.campaign_id = 'crash'`,
  );
  expect(rows).toHaveLength(ROWS);
  expect(
    rows.filter(
      (row) => !(row.state === 'sent' && row.accepted === 1 && row.outcomes === 1 && row.sent === 1),
    ),
  ).toEqual([]);
});

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
