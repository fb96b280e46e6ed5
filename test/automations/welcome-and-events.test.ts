// Welcome series (double opt-in, consent change between steps, quiet hours) and custom-event automations.
import { DateTime } from 'luxon';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { applyFeedback } from '../../db/contacts/feedback';
import { DAYTIME, startHarness, type Harness } from '../support/automation-harness';
import { decisionsFor, seedContact } from '../support/contacts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('welcome series', () => {
  test('waits for the double opt-in, then sends every step', async () => {
    const id = await seedContact(h.db.pool, { key: 'w1', country: 'DE', timezone: 'Europe/Berlin' });
    const wf = await h.automations.signUp(id, { doubleOptIn: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.smtp.messages().filter((m) => m.to.includes('w1@example.test'))).toHaveLength(0);
    await h.automations.signUpConfirmed(id);
    const result = await h.result(wf);
    expect(result.outcome).toBe('completed');
    expect(result.steps.map((s) => [s.step, s.verdict, s.delivery])).toEqual([
      ['welcome-1-email', 'send', 'sent'],
      ['welcome-2-email', 'send', 'sent'],
      ['welcome-3-sms', 'send', 'sent'],
    ]);
  });

  test('a contact who unsubscribes after the first email gets no second one', async () => {
    const id = await seedContact(h.db.pool, { key: 'w2', country: 'DE', timezone: 'Europe/Berlin' });
    const slow = h.automationsAt(2_000 / 86_400_000);
    const wf = await slow.signUp(id);
    await h.smtp.waitFor(h.smtp.messages().length + 1);
    await applyFeedback(h.db.pool, { kind: 'unsubscribe', channel: 'email', address: 'w2@example.test' });
    const result = await h.result(wf);
    expect(result.steps.map((s) => [s.step, s.verdict])).toEqual([
      ['welcome-1-email', 'send'],
      ['welcome-2-email', 'suppress'],
      ['welcome-3-sms', 'suppress'],
    ]);
    expect(h.smtp.messages().filter((m) => m.to.includes('w2@example.test'))).toHaveLength(1);
  });

  test('a marketing SMS at night is deferred to 08:00 local time, then sent', async () => {
    const id = await seedContact(h.db.pool, {
      key: 'w3',
      country: 'US',
      timezone: 'America/Los_Angeles',
      phone: '+14155550003',
    });
    // Start the series 5 s before 08:00 in Los Angeles: the SMS step (about a second in) must wait for 08:00.
    h.clockStart = DateTime.fromISO('2026-11-24T07:59:55', { zone: 'America/Los_Angeles' }).toUTC().toISO()!;
    try {
      const wf = await h.automations.signUp(id);
      const result = await h.result(wf);
      const sms = result.steps.find((s) => s.channel === 'sms')!;
      expect(sms.verdict).toBe('send');
      expect(sms.defers).toBe(1);
      const logged = (await decisionsFor(h.db.pool, wf)).filter((d) => d.channel === 'sms');
      expect(logged.map((d) => d.verdict)).toEqual(['defer', 'send']);
      expect(logged[0]!.not_before?.toISOString()).toBe('2026-11-24T16:00:00.000Z');
      expect(h.sms.messages().filter((m) => m.to === '+14155550003')).toHaveLength(1);
    } finally {
      h.clockStart = DAYTIME;
    }
  });
});

describe('custom-event automations', () => {
  test('a trigger whose awaited event never comes times out into the nudge branch', async () => {
    const id = await seedContact(h.db.pool, { key: 'e1', country: 'FR', timezone: 'Europe/Paris' });
    const [wf] = await h.automations.sendEvent({
      contactId: id,
      name: 'trial_started',
      properties: { plan: 'pro' },
    });
    const result = await h.result(wf!);
    expect(result.outcome).toBe('timed-out-waiting-for:project_created');
    expect(result.steps.map((s) => s.step)).toEqual(['step-1-send-email', 'step-2.timeout.1-send-email']);
    const subjects = h.smtp
      .messages()
      .filter((m) => m.to.includes('e1@example.test'))
      .map((m) => m.subject);
    expect(subjects).toHaveLength(2);
  });

  test('the awaited event arrives in time and its properties steer the branch', async () => {
    const id = await seedContact(h.db.pool, { key: 'e2', country: 'FR', timezone: 'Europe/Paris' });
    // Three days take 6 s here, ample time for the second event to arrive.
    const slow = h.automationsAt(2_000 / 86_400_000);
    const [wf] = await slow.sendEvent({ contactId: id, name: 'trial_started', properties: { plan: 'team' } });
    await h.smtp.waitFor(h.smtp.messages().length + 1);
    const reached = await slow.sendEvent({
      contactId: id,
      name: 'project_created',
      properties: { template: 'kanban' },
    });
    expect(reached).toEqual([wf]);
    const result = await h.result(wf!);
    expect(result.outcome).toBe('completed');
    expect(result.steps.map((s) => s.step)).toEqual(['step-1-send-email', 'step-3.then.1-send-email']);
  });

  test('`consentflow events send` fires an event from the command line; `automations steps` shows the verdicts', async () => {
    const id = await seedContact(h.db.pool, { key: 'e4', country: 'FR', timezone: 'Europe/Paris' });
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
    };
    const bin = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');
    const sent = spawnSync(
      process.execPath,
      [bin, 'events', 'send', 'trial_started', '--contact', id, '--props', '{"plan":"pro"}'],
      { env, encoding: 'utf8' },
    );
    expect(sent.stderr).toBe('');
    expect(sent.status).toBe(0);
    const workflowId = sent.stdout.trim();
    expect(workflowId).toBe(`event-trial-started-${id}`);
    // The CLI runs the definition at its real pace: the tips email goes now, then it waits three days.
    for (let i = 0; i < 200 && !h.smtp.messages().some((m) => m.to.includes('e4@example.test')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // Asynchronously: the worker answering the query runs in this process.
    const steps = await promisify(execFile)(process.execPath, [bin, 'automations', 'steps', workflowId], {
      env,
      encoding: 'utf8',
    });
    expect(steps.stderr).toBe('');
    expect(steps.stdout).toMatch(/step-1-send-email\s+email\s+custom_event\s+send\s+sent/);
    await h.client.workflow.getHandle(workflowId).terminate('test done');

    const bad = spawnSync(
      process.execPath,
      [bin, 'events', 'send', 'x', '--contact', id, '--props', '{plan'],
      { env, encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--props is not valid JSON');
  });

  test('an event that does not match the trigger filter starts nothing', async () => {
    const id = await seedContact(h.db.pool, { key: 'e3' });
    expect(
      await h.automations.sendEvent({ contactId: id, name: 'trial_started', properties: { plan: 'free' } }),
    ).toEqual([]);
  });
});
