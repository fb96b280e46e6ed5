// A campaign across worker processes: a worker killed (SIGKILL) mid-campaign and another taking over, and one
// campaign shared by two worker processes at once. Either way every contact gets the message exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { rangeWorkflowId } from '../../workflows/campaign-api';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, emailCampaign, receivedPer, seedAudience, until } from './support';

let h: Harness;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  h = await startHarness();
  await h.stopWorker(); // the campaign runs in worker processes this test can kill
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.startWorker(); // the harness closes the worker connection it stopped in beforeAll
  await h?.close();
});

function workerProcess(): ChildProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.db.url,
      SMTP_URL: h.smtp.url,
      SMTP_FROM: 'Shop <hello@shop.test>',
      SMS_API_URL: h.sms.url,
    },
    stdio: 'ignore',
  });
  children.add(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  children.delete(child);
}

/** The worker identities (pid@host) that ran activities of the campaign's ranges. */
async function activityWorkers(workflowId: string, ranges: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < ranges; i++) {
    const history = await h.client.workflow.getHandle(rangeWorkflowId(workflowId, i)).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      if (identity) ids.add(identity);
    }
  }
  return ids;
}

async function pollers(count: number): Promise<void> {
  await until(async () => {
    const r = await h.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: h.taskQueue },
      taskQueueType: 2, // activity
    });
    return new Set((r.pollers ?? []).map((p) => p.identity)).size >= count;
  }, 90_000);
}

test('kill -9 of the worker mid-campaign, another takes over: each contact gets exactly one email', async () => {
  await seedAudience(h, 'crash', 24, { country: 'GB' });
  const first = workerProcess();
  await pollers(1);
  const campaigns = campaignsOf(h);
  await campaigns.start(
    emailCampaign(h, 'crash-gb', 'GB', {
      pace: { ratePerSecond: 6, concurrency: 2, provider: 'crash-test' },
    }),
  );
  await until(() => receivedPer(h, 'crash').size >= 6, 60_000);
  await kill(first);
  const atKill = receivedPer(h, 'crash').size;
  expect(atKill).toBeLessThan(24);

  const second = workerProcess();
  const result = await campaigns.result('crash-gb');
  await kill(second);

  const per = receivedPer(h, 'crash');
  expect(per.size).toBe(24);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  // At most the deliveries in flight at the kill reached the provider twice, with the same key (deduplicated).
  expect(h.smtp.duplicates()).toBeLessThanOrEqual(4);
  const { rows } = await h.db.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE campaign_id = 'campaign-crash-gb' GROUP BY state`,
  );
  expect(rows).toEqual([{ state: 'sent', n: 24 }]);
  expect(result.state).toBe('completed');
  // The counts are the outbox's, though the killed worker's attempts never reported what they had done.
  expect(result.counts).toEqual({
    decided: 24,
    enqueued: 24,
    deferred: 0,
    suppressed: 0,
    sent: 24,
    dropped: 0,
    failed: 0,
  });
}, 240_000);

test('one campaign on two worker processes: both deliver, each contact gets exactly one email', async () => {
  await seedAudience(h, 'two', 40, { country: 'IE' });
  const a = workerProcess();
  const b = workerProcess();
  await pollers(2);
  const campaigns = campaignsOf(h);
  await campaigns.start(
    emailCampaign(h, 'two-ie', 'IE', {
      ranges: 4,
      pageSize: 5,
      pace: { ratePerSecond: 8, concurrency: 2, provider: 'two-test' },
    }),
  );
  const result = await campaigns.result('two-ie');
  const per = receivedPer(h, 'two');
  expect(per.size).toBe(40);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  expect(result.counts).toMatchObject({ decided: 40, enqueued: 40, sent: 40 });
  expect((await activityWorkers('campaign-two-ie', 4)).size).toBe(2);
  await kill(a);
  await kill(b);
}, 240_000);
