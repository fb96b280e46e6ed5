// A worker process whose PostgreSQL connections are all terminated (failover, pg_terminate_backend, an idle
// timeout), one of them while deliver holds it over a provider call: the process stays up and keeps serving.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { startHarness, type Harness } from '../support/automation-harness';
import { seedContact } from '../support/contacts';

let h: Harness;
let child: ChildProcess | undefined;
let held = 0;

beforeAll(async () => {
  h = await startHarness({
    smtp: { holdReplyMs: (rcpt: string) => (rcpt === 'held@example.test' && held++ === 0 ? 3_000 : 0) },
  });
  await h.stopWorker(); // only the worker process serves this queue
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await h?.startWorker(); // close() stops the harness worker, which must then exist
  await h?.close();
});

async function terminateAll(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

test('pg_terminate_backend of every connection, one mid-delivery: the worker survives and delivers', async () => {
  let stderr = '';
  child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.db.url,
      SMTP_URL: h.smtp.url,
      SMTP_FROM: 'Shop <hello@shop.test>',
      SMS_API_URL: h.sms.url,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const id = await seedContact(h.db.pool, { key: 'held', smsStatus: 'unsubscribed' });
  const wf = await h.automations.orderPlaced('O-HELD', id);

  // The SMTP server holds its reply: deliver is inside the transport call, its row locked on a connection.
  const deadline = Date.now() + 60_000;
  while (held === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(held).toBe(1);
  expect(await terminateAll(h.db.url)).toBeGreaterThanOrEqual(1);
  await new Promise((r) => setTimeout(r, 4_000)); // the held reply comes back on a dead transaction
  expect(child.exitCode).toBeNull();

  await h.automations.orderDelivered('O-HELD');
  const result = await h.result(wf);
  expect(result.steps[0]).toMatchObject({ step: 'confirmation-1-email', verdict: 'send', delivery: 'sent' });
  expect(h.smtp.messages().filter((m) => m.to.includes('held@example.test'))).toHaveLength(1);

  // Idle connections too, then more work.
  await terminateAll(h.db.url);
  const other = await seedContact(h.db.pool, { key: 'after', smsStatus: 'unsubscribed' });
  const wf2 = await h.automations.orderPlaced('O-AFTER', other);
  await h.automations.orderDelivered('O-AFTER');
  expect((await h.result(wf2)).steps[0]).toMatchObject({ delivery: 'sent' });
  expect(child.exitCode).toBeNull();
  expect(stderr).toMatch(/PostgreSQL closed a pooled connection/);
  // The failed delivery attempt is logged by the SDK (with its stack: that is the operator's log); what must
  // not appear is the process dying of it.
  expect(stderr).not.toMatch(/uncaught|Unhandled 'error' event/i);
}, 180_000);
