// The send step where real traffic lives (issue: "every message exactly as the rules allow"): a refused
// address, a template error, a stop condition during a defer, a reused cart id, retried client calls and
// duplicated signals and events, and nested timeouts. Against the real dev server, PostgreSQL and sinks; every
// test also checks that the workflow's step records and the step_outcomes table say the same thing.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutomationClient, type AutomationClient } from '../../client/automations';
import { loadAutomations, type AutomationCatalog } from '../../client/definitions';
import type { StepRecord } from '../../contracts/automation-result';
import { abandonedCartWorkflow, cartUpdatedSignal } from '../../workflows/abandoned-cart';
import { stepsQuery } from '../../workflows/step-records';
import { startHarness, type Harness } from '../support/automation-harness';
import { seedContact } from '../support/contacts';

let h: Harness;
const refused = new Set<string>();
const unavailable = new Set<string>();
beforeAll(async () => {
  h = await startHarness({
    smtp: { rejectRecipients: (r) => refused.has(r) },
    sms: { unavailableFor: (to) => unavailable.has(to) },
  });
});
afterAll(async () => {
  await h?.close();
});

/** An automation client with a catalog changed by `edit` (same queue, clock and pace as the harness). */
function clientWith(edit: (c: AutomationCatalog) => void, timeScale = 200 / 86_400_000): AutomationClient {
  const catalog = loadAutomations();
  edit(catalog);
  return createAutomationClient({
    client: h.client,
    taskQueue: h.taskQueue,
    catalog,
    timeScale,
    clockStart: () => h.clockStart,
  });
}

/** The step records must equal what PostgreSQL says, step by step. */
async function expectRecordsMatchDatabase(workflowId: string, steps: StepRecord[]) {
  const { rows } = await h.db.pool.query<{
    message_key: string;
    outcome: string;
    verdict: string;
    defers: number;
  }>('SELECT message_key, outcome, verdict, defers FROM step_outcomes WHERE workflow_id = $1', [workflowId]);
  const byKey = new Map(rows.map((r) => [r.message_key, r]));
  for (const s of steps) {
    expect(byKey.get(s.messageKey), `${s.step} in step_outcomes`).toMatchObject({
      outcome: s.outcome,
      verdict: s.verdict,
      defers: s.defers,
    });
  }
  expect(rows).toHaveLength(steps.length);
}

describe('a message that cannot be delivered is a recorded outcome, not a failed automation', () => {
  test('a 550 on the order confirmation email: the SMS, shipping and cancellation still go out', async () => {
    const id = await seedContact(h.db.pool, { key: 'refused1', country: 'GB' });
    refused.add('refused1@example.test');
    const wf = await h.automations.orderPlaced('F-1', id);
    await h.sms.waitFor(1);
    await h.automations.orderShipped('F-1', 'S-1');
    await h.automations.orderCancelled('F-1');
    const result = await h.result(wf);
    expect(result.outcome).toBe('cancelled');
    expect(result.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['confirmation-1-email', 'failed'],
      ['confirmation-2-sms', 'sent'],
      ['shipping-S-1-1-email', 'suppressed'], // the 550 marked the address hard-bounced
      ['shipping-S-1-2-sms', 'sent'],
      ['cancellation-1-email', 'suppressed'], // the 550 marked the address hard-bounced
      ['cancellation-2-sms', 'sent'],
    ]);
    const failed = result.steps[0]!;
    expect(failed.failure).toMatchObject({ kind: 'recipient-refused' });
    expect(failed.failure?.detail).toMatch(/550/);
    expect(JSON.stringify(result)).not.toContain('refused1@example.test');
    await expectRecordsMatchDatabase(wf, result.steps);
  });

  test('a template error fails that message only; a step marked onFailure: stop ends the automation', async () => {
    const id = await seedContact(h.db.pool, { key: 'tmpl1', country: 'GB' });
    const broken = clientWith((c) => {
      c.order.confirmation[0] = { ...c.order.confirmation[0]!, template: 'no-such-template' };
    });
    const wf = await broken.orderPlaced('F-2', id);
    await broken.orderDelivered('F-2');
    const result = await h.result(wf);
    expect(result.outcome).toBe('delivered');
    expect(result.steps.map((s) => [s.step, s.outcome, s.failure?.kind])).toEqual([
      ['confirmation-1-email', 'failed', 'template'],
      ['confirmation-2-sms', 'sent', undefined],
    ]);
    await expectRecordsMatchDatabase(wf, result.steps);

    const stopping = clientWith((c) => {
      c.order.confirmation[0] = {
        ...c.order.confirmation[0]!,
        template: 'no-such-template',
        onFailure: 'stop',
      };
    });
    const wf2 = await stopping.orderPlaced('F-3', id);
    const r2 = await h.result(wf2);
    expect(r2.outcome).toBe('stopped-after-failure:confirmation-1-email');
  });

  test('a message past its deadline is recorded expired, and the automation goes on', async () => {
    const id = await seedContact(h.db.pool, { key: 'late1', country: 'GB' });
    // No SMS provider answers within the deadline: 503 for this number, always.
    const smsOutage = clientWith((c) => {
      c.order.confirmation[1] = { ...c.order.confirmation[1]!, deadline: '20 seconds' };
    }, 1);
    const phone = (await h.db.pool.query<{ phone: string }>('SELECT phone FROM contacts WHERE id = $1', [id]))
      .rows[0]!.phone;
    unavailable.add(phone);
    const wf = await smsOutage.orderPlaced('F-4', id);
    await smsOutage.orderDelivered('F-4');
    const result = await h.result(wf);
    expect(result.outcome).toBe('delivered');
    expect(result.steps.map((s) => [s.step, s.outcome, s.failure?.detail])).toEqual([
      ['confirmation-1-email', 'sent', undefined],
      ['confirmation-2-sms', 'expired', undefined],
    ]);
    expect(result.steps[1]!.reasons.at(-1)?.rule).toBe('workflow:deadline');
    await expectRecordsMatchDatabase(wf, result.steps);
  }, 90_000);
});

describe('stop conditions end every wait, defers included', () => {
  test('a cart SMS reminder deferred by quiet hours is not sent after the order is placed', async () => {
    const id = await seedContact(h.db.pool, { key: 'night1', country: 'US', timezone: 'America/New_York' });
    const saved = h.clockStart;
    h.clockStart = '2026-11-25T04:00:00.000Z'; // 23:00 in New York
    try {
      const smsFirst = clientWith((c) => {
        c.abandonedCart.cartReminders = [c.abandonedCart.cartReminders[1]!];
      });
      const wf = await smsFirst.cartUpdated('N-1', id, { itemCount: 2 });
      // Wait until the reminder is deferred (its outcome row says so), then place the order.
      await until(async () => (await outcomeOf(wf)).includes('deferred'));
      await smsFirst.orderPlaced('N-ORDER-1', id, { cartId: 'N-1' });
      const result = await h.result(wf);
      expect(result.outcome).toBe('ordered');
      expect(result.steps.map((s) => [s.step, s.outcome, s.defers])).toEqual([
        ['cart-reminder-1-sms', 'stopped', 1],
      ]);
      expect(result.steps[0]!.reasons.at(-1)?.message).toMatch(/order was placed/);
      expect(h.sms.messages().filter((m) => m.idempotencyKey?.startsWith(wf))).toHaveLength(0);
      await expectRecordsMatchDatabase(wf, result.steps);
    } finally {
      h.clockStart = saved;
    }
  });
});

describe('ids reused after a run ended', () => {
  test('a cart that gets new items after its run ended sends its reminders again, and says so truthfully', async () => {
    const id = await seedContact(h.db.pool, { key: 'reuse1', country: 'GB' });
    const emailOnly = clientWith((c) => {
      c.abandonedCart.cartReminders = [c.abandonedCart.cartReminders[0]!];
      c.abandonedCart.checkoutReminders = [];
    });
    const wf = await emailOnly.cartUpdated('R-1', id, { itemCount: 1 });
    const first = await h.result(wf);
    expect(first.steps.map((s) => s.outcome)).toEqual(['sent']);
    await emailOnly.cartUpdated('R-1', id, { itemCount: 3 });
    const second = await h.result(wf);
    expect(second.steps.map((s) => s.outcome)).toEqual(['sent']);
    expect(second.steps[0]!.messageKey).not.toBe(first.steps[0]!.messageKey);
    const received = h.smtp.messages().filter((m) => m.to.includes('reuse1@example.test'));
    expect(received).toHaveLength(2);
  });
});

describe('client calls and signals are safe to retry', () => {
  test('a retried orderPlaced neither fails nor confirms twice, and still ends the cart', async () => {
    const id = await seedContact(h.db.pool, { key: 'retry1', country: 'GB' });
    const slow = clientWith(() => undefined, 20_000 / 86_400_000);
    const cart = await slow.cartUpdated('RC-1', id, { itemCount: 1 });
    const order = await slow.orderPlaced('RO-1', id);
    // The first call's answer was lost; the app retries with the cart id this time.
    await expect(slow.orderPlaced('RO-1', id, { cartId: 'RC-1' })).resolves.toBe(order);
    expect((await h.result(cart)).outcome).toBe('ordered');
    await slow.orderDelivered('RO-1');
    await h.result(order);
    const confirmations = h.smtp.messages().filter((m) => m.to.includes('retry1@example.test'));
    expect(confirmations.map((m) => m.subject)).toEqual(['Order RO-1 confirmed']);
    // After the run ended, a late retry is still not an error and starts nothing.
    await expect(slow.orderPlaced('RO-1', id)).resolves.toBe(order);
  });

  test('the same shipment signalled twice sends one shipping confirmation', async () => {
    const id = await seedContact(h.db.pool, { key: 'ship1', country: 'GB' });
    const wf = await h.automations.orderPlaced('SH-1', id);
    await h.automations.orderShipped('SH-1', 'PARCEL-9');
    await h.automations.orderShipped('SH-1', 'PARCEL-9');
    await h.automations.orderShipped('SH-1', 'PARCEL-10');
    await h.automations.orderDelivered('SH-1');
    const result = await h.result(wf);
    expect(result.steps.map((s) => s.step).filter((s) => s.startsWith('shipping'))).toEqual([
      'shipping-PARCEL-9-1-email',
      'shipping-PARCEL-9-2-sms',
      'shipping-PARCEL-10-1-email',
      'shipping-PARCEL-10-2-sms',
    ]);
  });

  test('the same custom event sent twice, even after its journey ended, sends its messages once', async () => {
    const id = await seedContact(h.db.pool, { key: 'evt1', country: 'GB' });
    const short = clientWith((c) => {
      c.events = [{ ...c.events[0]!, steps: [c.events[0]!.steps[0]!] }];
    });
    const event = { contactId: id, name: 'trial_started', properties: { plan: 'pro' }, id: 'evt-42' };
    const [wf] = await short.sendEvent(event);
    await short.sendEvent(event); // retried while running
    const first = await h.result(wf!);
    expect(first.steps.map((s) => s.outcome)).toEqual(['sent']);
    await short.sendEvent(event); // replayed after the journey ended: a new run, same event
    const again = await h.result(wf!);
    expect(again.steps.map((s) => s.outcome)).toEqual(['duplicate']);
    const tips = h.smtp.messages().filter((m) => m.to.includes('evt1@example.test'));
    expect(tips).toHaveLength(1);
  });
});

describe('personal data stays out of Temporal', () => {
  test('an address as contact id, or in event properties, is refused with a clear error', async () => {
    await expect(
      h.automations.sendEvent({
        contactId: 'kim@example.com',
        name: 'trial_started',
        properties: { plan: 'pro' },
      }),
    ).rejects.toThrow(/contact id "kim@example.com" looks like an email address/);
    const id = await seedContact(h.db.pool, { key: 'pii1', country: 'GB' });
    await expect(
      h.automations.sendEvent({
        contactId: id,
        name: 'trial_started',
        properties: { plan: 'pro', invitee: 'Bo <bo@x.org>' },
      }),
    ).rejects.toThrow(/"invitee" looks like an email address/);
    await expect(h.automations.orderPlaced('O-+1 415 555 0100', id)).rejects.toThrow(/orderId/);
  });

  test('a property the definition declares personal is dropped before the event enters Temporal', async () => {
    const id = await seedContact(h.db.pool, { key: 'pii2', country: 'GB' });
    const declaring = clientWith((c) => {
      c.events = [{ ...c.events[0]!, personalProperties: ['inviteeEmail'], steps: [c.events[0]!.steps[0]!] }];
    });
    const [wf] = await declaring.sendEvent({
      contactId: id,
      name: 'trial_started',
      properties: { plan: 'pro', inviteeEmail: 'friend@elsewhere.example' },
    });
    await h.result(wf!);
    const history = await h.client.workflow.getHandle(wf!).fetchHistory();
    const decoded = JSON.stringify(history, (k, v: unknown) =>
      k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
    expect(decoded).toContain('plan');
    expect(decoded).not.toContain('friend@elsewhere.example');
  });
});

describe('timeouts and rollovers', () => {
  test('a waitForEvent timeout inside a branch ends the journey, as at top level', async () => {
    const id = await seedContact(h.db.pool, { key: 'nest1', country: 'GB' });
    const nested = clientWith((c) => {
      const d = c.events[0]!;
      const send = (template: string) => ({
        send: { channel: 'email' as const, type: 'custom_event' as const, template },
      });
      c.events = [
        {
          ...d,
          steps: [
            {
              branch: {
                if: [{ property: 'plan', op: 'eq', value: 'pro' }],
                then: [
                  {
                    waitForEvent: {
                      name: 'never_happens',
                      timeout: '1 hour',
                      onTimeout: [send('trial-nudge-email')],
                    },
                  },
                ],
              },
            },
            send('trial-template-tips-email'),
          ],
        },
      ];
    });
    const [wf] = await nested.sendEvent({
      contactId: id,
      name: 'trial_started',
      properties: { plan: 'pro' },
    });
    const result = await h.result(wf!);
    expect(result.outcome).toBe('timed-out-waiting-for:never_happens');
    expect(result.steps.map((s) => s.step.replace(/^.*\//, ''))).toEqual([
      'step-1.then.1.timeout.1-send-email',
    ]);
  });

  test('a cart that rolls over (continue-as-new) keeps the steps already done in its result', async () => {
    const id = await seedContact(h.db.pool, { key: 'roll1', country: 'GB' });
    const catalog = loadAutomations();
    // A day is 20 s: the two cart changes must land between the email (after an hour) and the SMS (a day
    // later). At 2 s a day a loaded machine delivered the signals after the run had ended; at 8 s a day the run
    // once sent its SMS without rolling over while a clean-clone CI loaded this 2-core machine.
    const scale = 20_000 / 86_400_000;
    const { scaleDurations } = await import('../../client/definitions');
    const definition = scaleDurations(catalog.abandonedCart, scale);
    const handle = await h.client.workflow.start(abandonedCartWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `cart-roll-${id}`,
      args: [
        { cartId: 'ROLL-1', contactId: id, definition, clockStart: h.clockStart!, rolloverAfterChanges: 2 },
      ],
    });
    await until(() => Promise.resolve(h.smtp.messages().some((m) => m.to.includes('roll1@example.test'))));
    // The changes must interrupt the wait for the SMS: once the email step is recorded sent, the run is in it.
    // (At the sink the email may still be completing on a loaded machine, and changes that land during a send
    // only restart the next wait: no rollover, which is right for the workflow and wrong for this test.)
    await until(async () =>
      (await handle.query(stepsQuery)).some(
        (r) => r.step === 'cart-reminder-1-email' && r.outcome === 'sent',
      ),
    );
    await handle.signal(cartUpdatedSignal, { itemCount: 2 });
    await handle.signal(cartUpdatedSignal, { itemCount: 3 });
    const result = await h.result(handle.workflowId);
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId); // it did roll over
    expect(result.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['cart-reminder-1-email', 'sent'],
      ['cart-reminder-2-sms', 'sent'],
    ]);
  }, 90_000);
});

async function outcomeOf(workflowId: string): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ outcome: string }>(
    'SELECT outcome FROM step_outcomes WHERE workflow_id = $1',
    [workflowId],
  );
  return rows.map((r) => r.outcome);
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
