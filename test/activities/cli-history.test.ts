// `consentflow decide` and `rules explain` for a stored contact (contactId) count the history the outbox holds,
// read by the same function the send step uses: through the real CLI, after real send steps wrote the rows.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ConsentflowActivities, type DecideStepInput } from '../../activities';
import type { Transports } from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import { upsertContact } from '../../db/contacts';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Noon in New York on a Monday: inside every US window.
const AT = '2026-06-15T16:00:00.000Z';
const LATER = '2026-06-15T16:05:00.000Z';

let db: TestDatabase;
let rules: RuleSource;
let acts: ConsentflowActivities;
const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });

beforeAll(async () => {
  db = await createTestDatabase();
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  acts = createActivities({
    pool: db.pool,
    rules,
    transports: {} as Transports, // decideStep alone writes the pending outbox rows caps count
    log: { info: () => undefined, warn: () => undefined },
  });
  await upsertContact(db.pool, {
    id: 'c-hist',
    email: 'hist@example.com',
    phone: '+12125550142',
    country: 'US',
    timezone: 'America/New_York',
    status: 'subscribed',
    sms_status: 'subscribed',
  });
});
afterAll(async () => {
  rules?.close();
  await db?.drop();
});

async function sendStep(n: number, type: string) {
  const workflowId = `wf-hist-${type}-${n}`;
  const input: DecideStepInput = {
    workflowId,
    runChain: 'r',
    runId: 'r',
    step: 'sms',
    messageKey: `${workflowId}/r/sms`,
    contactId: 'c-hist',
    message: {
      channel: 'sms',
      type,
      template: type === 'welcome' ? 'welcome-sms' : 'order-confirmation-sms',
    },
    at: new Date(Date.parse(AT) - (n + 1) * 60_000).toISOString(),
  };
  const r = await env.run<
    [DecideStepInput],
    Awaited<ReturnType<typeof acts.decideStep>>,
    typeof acts.decideStep
  >(acts.decideStep, input);
  expect(r.verdict).toBe('send');
}

function consentflow(args: string[], input = '') {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
    cwd: REPO_ROOT,
    input,
    env: { ...process.env, DATABASE_URL: db.url, CONSENTFLOW_RULES: path.join(REPO_ROOT, 'rules') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const request = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    contactId: 'c-hist',
    message: { channel: 'sms', type: 'campaign' },
    at: LATER,
    ...extra,
  });

describe('decide and explain read a stored contact’s history from the outbox', () => {
  it('two marketing texts and a confirmation: the third marketing text goes out; explain shows the count of 2', async () => {
    await sendStep(0, 'welcome');
    await sendStep(1, 'order_confirmation');
    await sendStep(2, 'welcome');
    const d = consentflow(['decide'], `${request({ id: 'two' })}\n`);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ id: 'two', verdict: 'send' });
    const e = consentflow(['rules', 'explain', request()]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('cap:marketing-sms counted 2 earlier messages in its window');
  });

  it('with three marketing texts in the outbox the fourth is capped, by decide and by explain', async () => {
    await sendStep(3, 'welcome');
    const lines = [
      request({ id: 'stored' }),
      // a request's own history is a what-if: it replaces the outbox's
      request({ id: 'what-if', history: [] }),
      // a profile sent inline has no outbox to read
      JSON.stringify({
        id: 'inline',
        contact: {
          status: 'subscribed',
          country: 'US',
          timezone: 'America/New_York',
          subscriptions: [
            {
              resource: 'default',
              channel: 'sms',
              address: '+12125550142',
              status: 'subscribed',
              priority: 1,
            },
          ],
        },
        message: { channel: 'sms', type: 'campaign' },
        at: LATER,
      }),
    ];
    const d = consentflow(['decide'], `${lines.join('\n')}\n`);
    expect(d.code).toBe(0);
    const [stored, whatIf, inline] = d.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { verdict: string; reasons: Array<{ rule: string; message: string }> });
    expect(stored!.verdict).toBe('suppress');
    expect(stored!.reasons.map((r) => r.rule)).toEqual(['cap:marketing-sms']);
    expect(stored!.reasons[0]!.message).toContain('already got 3 in the last 24 hours');
    expect(whatIf!.verdict).toBe('send');
    expect(inline!.verdict).toBe('send');

    const e = consentflow(['rules', 'explain', request()]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/^Decision: SUPPRESS/);
    expect(e.stdout).toContain('cap:marketing-sms counted 3 earlier messages in its window');
    expect(e.stdout).toMatch(/APPLIES\s+cap:marketing-sms/);
    // a confirmation is never capped, whatever the outbox holds
    const receipt = consentflow([
      'rules',
      'explain',
      request({ message: { channel: 'sms', type: 'order_confirmation' } }),
    ]);
    expect(receipt.stdout).toMatch(/^Decision: SEND/);
  });
});
