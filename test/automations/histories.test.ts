// Temporal hygiene: histories carry ids, never an email address or phone number, and every automation kind
// replays deterministically, both as recorded today and from the histories committed in test/fixtures.
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { findTemporalCli } from '../../scripts/temporal-cli';
import { REPO_ROOT } from '../../client/config';
import { workflowBundle } from '../../worker/bundle';
import { startHarness, type Harness } from '../support/automation-harness';
import { seedContact } from '../support/contacts';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'histories');

let h: Harness;
const runs: { kind: string; workflowId: string }[] = [];
const addresses = ['hist1@example.test', '+447700900123', 'hist2@example.test', '+14155550124'];

beforeAll(async () => {
  h = await startHarness();
  const a = await seedContact(h.db.pool, {
    key: 'hist1',
    phone: '+447700900123',
    country: 'GB',
    timezone: 'Europe/London',
  });
  const b = await seedContact(h.db.pool, {
    key: 'hist2',
    phone: '+14155550124',
    country: 'US',
    timezone: 'America/Chicago',
    smsStatus: 'non_subscribed',
  });
  runs.push({ kind: 'welcome', workflowId: await h.automations.signUp(a) });
  runs.push({
    kind: 'abandoned-cart',
    workflowId: await h.automations.cartUpdated('H-1', b, { itemCount: 3 }),
  });
  const order = await h.automations.orderPlaced('H-2', b);
  runs.push({ kind: 'order', workflowId: order });
  const [event] = await h.automations.sendEvent({
    contactId: a,
    name: 'trial_started',
    properties: { plan: 'pro' },
  });
  runs.push({ kind: 'custom-event', workflowId: event! });
  await h.automations.orderShipped('H-2');
  await h.automations.orderCancelled('H-2');
  await Promise.all(runs.map((r) => h.client.workflow.getHandle(r.workflowId).result()));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** The history as operators export it: `temporal workflow show --output json`. */
function historyJson(workflowId: string): Promise<string> {
  const binary = findTemporalCli()!;
  const out = execFileSync(
    binary,
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      '--address',
      inject('temporalAddress'),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return Promise.resolve(out);
}

/** Every payload decoded to text, so a base64-encoded address cannot hide from the search. */
function decodedPayloads(json: string): string {
  const texts: string[] = [];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string')
      texts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${texts.join('\n')}`;
}

describe('workflow histories', () => {
  test('contain none of the contacts’ email addresses or phone numbers', async () => {
    for (const run of runs) {
      const text = decodedPayloads(await historyJson(run.workflowId));
      expect(text).toContain(run.workflowId);
      for (const address of addresses) expect(text, `${run.kind} history`).not.toContain(address);
      expect(text).not.toContain('example.test');
    }
  });

  test('replay deterministically with the current workflow code', async () => {
    const histories = await Promise.all(
      runs.map(async (r) => ({
        workflowId: r.workflowId,
        history: JSON.parse(await historyJson(r.workflowId)) as unknown,
      })),
    );
    const bundle = await workflowBundle();
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      expect(result.error, result.workflowId).toBeUndefined();
    }
    if (process.env.RECORD_HISTORIES) {
      mkdirSync(FIXTURES, { recursive: true });
      for (const r of runs)
        writeFileSync(path.join(FIXTURES, `${r.kind}.json`), await historyJson(r.workflowId));
    }
  });

  test('committed histories of every automation kind still replay (a determinism break fails here)', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    // order.sequential-confirmations.json was recorded before the concurrent-confirmations patch.
    expect(files.sort()).toEqual([
      'abandoned-cart.json',
      'custom-event.json',
      'order.json',
      'order.sequential-confirmations.json',
      'welcome.json',
    ]);
    const bundle = await workflowBundle();
    for (const file of files) {
      const history: unknown = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
      await expect(
        Worker.runReplayHistory({ workflowBundle: bundle }, history, file),
        file,
      ).resolves.toBeUndefined();
    }
  });
});
