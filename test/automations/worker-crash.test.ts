// A worker killed in the middle of a send step: the message is delivered exactly once after a new worker
// takes over. The SMTP server holds its reply to the first attempt, so the crash lands in the worst window:
// the server has the message, the outbox does not know yet.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { startHarness, type Harness } from '../support/automation-harness';
import { seedContact } from '../support/contacts';

let h: Harness;
let child: ChildProcess | undefined;
let held = 0;

beforeAll(async () => {
  h = await startHarness({
    smtp: { holdReplyMs: (rcpt: string) => (rcpt === 'crash@example.test' && held++ === 0 ? 30_000 : 0) },
  });
  await h.stopWorker(); // the first attempt runs in a separate process we can kill
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(): ChildProcess {
  return spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.db.url,
      SMTP_URL: h.smtp.url,
      SMTP_FROM: 'Shop <hello@shop.test>', // the same sender as the harness worker, as in one deployment
      SMS_API_URL: h.sms.url,
    },
    stdio: 'ignore',
  });
}

test('kill -9 during delivery, restart: the email arrives once and the outbox says sent', async () => {
  const id = await seedContact(h.db.pool, {
    key: 'crash',
    country: 'GB',
    timezone: 'Europe/London',
    smsStatus: 'unsubscribed',
  });
  child = startWorkerProcess();
  const wf = await h.automations.orderPlaced('O-CRASH', id);

  // Wait until the SMTP server holds the message: the worker is inside the transport call.
  const deadline = Date.now() + 30_000;
  while (held === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(held).toBe(1);
  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));

  await h.startWorker();
  await h.automations.orderDelivered('O-CRASH');
  const result = await h.result(wf);

  expect(result.steps[0]).toMatchObject({ step: 'confirmation-1-email', verdict: 'send', delivery: 'sent' });
  const received = h.smtp.messages().filter((m) => m.to.includes('crash@example.test'));
  expect(received).toHaveLength(1);
  expect(h.smtp.duplicates()).toBe(1);
  const { rows } = await h.db.pool.query<{ state: string; attempts: number }>(
    `SELECT state, attempts FROM outbox WHERE workflow_id = $1 AND channel = 'email'`,
    [wf],
  );
  expect(rows).toEqual([{ state: 'sent', attempts: 2 }]);
}, 120_000);
