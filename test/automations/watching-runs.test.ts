// What an operator sees of a run in the Web UI, read back through the client: the start's static summary and
// details, the summaries of decide / deliver calls and timers, the current details, the `steps` query's
// description, the search attributes `Verdicts` / `DecidedBy` and the memo `steps`, and step records that keep
// every deferral.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addToBlacklist } from '../../db/contacts/blacklist';
import { DECIDED_BY, VERDICTS } from '../../contracts/search-attributes';
import { DAYTIME, startHarness, type Harness } from '../support/automation-harness';
import { seedContact } from '../support/contacts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function events(workflowId: string): Promise<HistoryEvent[]> {
  return (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

const summaryOf = (e: HistoryEvent): string | undefined =>
  e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined;

/** Summaries of the events of one kind (`timerStartedEventAttributes`, ...). */
async function summaries(workflowId: string, kind: keyof HistoryEvent): Promise<string[]> {
  return (await events(workflowId)).filter((e) => e[kind]).map((e) => summaryOf(e) ?? '(none)');
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of h.client.workflow.list({ query })) ids.push(w.workflowId);
  return ids.sort();
}

describe('an order whose email address is blacklisted and whose SMS goes out', () => {
  let id: string;
  let wf: string;
  beforeAll(async () => {
    id = await seedContact(h.db.pool, { key: 'watch1', country: 'GB', timezone: 'Europe/London' });
    await addToBlacklist(h.db.pool, 'email', 'watch1@example.test', { reason: 'test' });
    const sent = h.sms.messages().length;
    wf = await h.automations.orderPlaced('W-1', id);
    await h.sms.waitFor(sent + 1);
    // The confirmations are out: wait until the order waits on its timer, so the timer is in the history.
    for (let i = 0; i < 200 && !(await events(wf)).some((e) => e.timerStartedEventAttributes); i++)
      await new Promise((r) => setTimeout(r, 50));
    await h.automations.orderDelivered('W-1');
    const result = await h.result(wf);
    expect(result.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['confirmation-1-email', 'suppressed'],
      ['confirmation-2-sms', 'sent'],
    ]);
  });

  test('is found by `Verdicts = "suppress"` and `DecidedBy = "gate:blacklist"`, though its last verdict was send', async () => {
    expect(await listIds(`ContactId = "${id}" AND Verdicts = "suppress"`)).toEqual([wf]);
    expect(await listIds(`ContactId = "${id}" AND Verdicts = "send"`)).toEqual([wf]);
    expect(await listIds(`ContactId = "${id}" AND DecidedBy = "gate:blacklist"`)).toEqual([wf]);
    expect(await listIds(`ContactId = "${id}" AND Verdicts = "defer"`)).toEqual([]);
    const d = await h.client.workflow.getHandle(wf).describe();
    expect([...(d.typedSearchAttributes.get(VERDICTS) ?? [])].sort()).toEqual(['send', 'suppress']);
    expect(d.typedSearchAttributes.get(DECIDED_BY)).toContain('gate:blacklist');
  });

  test('keeps each step’s final outcome, verdict and deciding rule in the memo after the run', async () => {
    const d = await h.client.workflow.getHandle(wf).describe();
    expect(d.memo).toMatchObject({
      automation: 'order',
      steps: {
        'confirmation-1-email': { outcome: 'suppressed', verdict: 'suppress', decidedBy: 'gate:blacklist' },
        'confirmation-2-sms': { outcome: 'sent', verdict: 'send' },
      },
    });
  });

  test('names a matrix rule as what decided the SMS', async () => {
    const { memo } = await h.client.workflow.getHandle(wf).describe();
    const steps = (memo as { steps: Record<string, { decidedBy: string }> }).steps;
    expect(steps['confirmation-2-sms']!.decidedBy).toMatch(/^matrix:/);
  });

  test('starts with a static summary and details naming automation, version, contact and plan', async () => {
    const d = await h.client.workflow.getHandle(wf).describe();
    expect(await d.staticSummary()).toBe(`order v1 · contact ${id} · order W-1`);
    const details = (await d.staticDetails()) ?? '';
    expect(details).toContain('confirmation-1-email: order_confirmation by email');
    expect(details).toContain('closes 30 days after the order');
    expect(details).not.toContain('example.test');
  });

  test('names the step, channel and type of every decide and deliver call, and why the order’s timer runs', async () => {
    const all = await events(wf);
    const decides = all.filter((e) => e.markerRecordedEventAttributes).map(summaryOf);
    expect(decides).toEqual(
      expect.arrayContaining([
        'decide confirmation-1-email (email, order_confirmation)',
        'decide confirmation-2-sms (sms, order_confirmation)',
      ]),
    );
    expect(await summaries(wf, 'activityTaskScheduledEventAttributes')).toEqual([
      'deliver confirmation-2-sms (sms, order_confirmation)',
    ]);
    expect(await summaries(wf, 'timerStartedEventAttributes')).toEqual([
      expect.stringMatching(/^order W-1 closes 30 days after placement \(demo pace: [\d.]+ seconds\)$/),
    ]);
  });
});

test('a deferred step keeps its deferral (until when, why) after it is sent, and its timer says why it waits', async () => {
  const id = await seedContact(h.db.pool, {
    key: 'watch2',
    country: 'US',
    timezone: 'America/Los_Angeles',
    phone: '+14155550212',
  });
  h.clockStart = DateTime.fromISO('2026-11-24T07:59:55', { zone: 'America/Los_Angeles' }).toUTC().toISO()!;
  let wf: string;
  try {
    wf = await h.automations.signUp(id);
  } finally {
    h.clockStart = DAYTIME;
  }
  const result = await h.result(wf);
  const sms = result.steps.find((s) => s.step === 'welcome-3-sms')!;
  expect(sms).toMatchObject({ outcome: 'sent', verdict: 'send', defers: 1 });
  expect(sms.deferrals?.map((d) => [d.notBefore, d.reasons.map((r) => r.rule), typeof d.decidedAt])).toEqual([
    ['2026-11-24T16:00:00.000Z', ['quiet-hours:us'], 'string'],
  ]);
  const timers = await summaries(wf, 'timerStartedEventAttributes');
  expect(timers).toEqual(
    expect.arrayContaining([
      'welcome-2-email due 2 days after welcome-1-email (demo pace: 400 ms)',
      'welcome-3-sms deferred by quiet-hours:us until 08:00 (asks again at 2026-11-24T16:00:00.000Z)',
    ]),
  );
  const d = await h.client.workflow.getHandle(wf).describe();
  expect([...(d.typedSearchAttributes.get(VERDICTS) ?? [])].sort()).toEqual(['defer', 'send']);
  expect(d.typedSearchAttributes.get(DECIDED_BY)).toContain('quiet-hours:us');
  expect(d.memo).toMatchObject({
    steps: { 'welcome-3-sms': { outcome: 'sent', verdict: 'send', defers: 1 } },
  });
});

test('a running order says what it waits for, and its `steps` query says what it returns', async () => {
  const id = await seedContact(h.db.pool, { key: 'watch3', country: 'GB', timezone: 'Europe/London' });
  const wf = await h.automations.orderPlaced('W-3', id);
  const handle = h.client.workflow.getHandle(wf);
  await h.smtp.waitFor(h.smtp.messages().length + 1);
  type Metadata = temporal.api.sdk.v1.IWorkflowMetadata;
  let meta: Metadata = {};
  for (let i = 0; i < 100; i++) {
    meta = await handle.query<Metadata>('__temporal_workflow_metadata');
    if (meta.currentDetails?.startsWith('waiting')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(meta.currentDetails).toMatch(
    /^waiting for a shipment, the delivery or a cancellation; order W-3 closes 30 days/,
  );
  const steps = meta.definition?.queryDefinitions?.find((q) => q.name === 'steps');
  expect(steps?.description).toMatch(/^Every send step of this run/);
  expect(steps?.description).toContain('virtual clock');
  await h.automations.orderDelivered('W-3');
  await h.result(wf);
  expect((await handle.query<Metadata>('__temporal_workflow_metadata')).currentDetails).toBe(
    'ended: order W-3 was delivered',
  );
});
