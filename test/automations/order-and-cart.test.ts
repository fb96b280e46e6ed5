// Order confirmations and abandoned carts driven through the real dev server, asserting what the SMTP server
// and the SMS sink received and what PostgreSQL recorded.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../support/automation-harness';
import { LAST_VERDICT } from '../../contracts/search-attributes';
import { decisionsFor, seedContact } from '../support/contacts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('order confirmation', () => {
  test('confirms by email and SMS, then shipping, and ends when delivered', async () => {
    const id = await seedContact(h.db.pool, { key: 'ord1', country: 'GB', timezone: 'Europe/London' });
    const wf = await h.automations.orderPlaced('O-1', id);
    await h.smtp.waitFor(1);
    await h.sms.waitFor(1);
    await h.automations.orderShipped('O-1');
    await h.smtp.waitFor(2);
    await h.automations.orderDelivered('O-1');
    const result = await h.result(wf);

    expect(result.outcome).toBe('delivered');
    expect(result.steps.map((s) => [s.step, s.verdict, s.delivery])).toEqual([
      ['confirmation-1-email', 'send', 'sent'],
      ['confirmation-2-sms', 'send', 'sent'],
      ['shipping-1-1-email', 'send', 'sent'],
      ['shipping-1-2-sms', 'send', 'sent'],
    ]);
    expect(h.smtp.messages().map((m) => m.subject)).toEqual([
      'Order O-1 confirmed',
      expect.stringContaining('O-1'),
    ]);
    expect(h.smtp.messages()[0]!.to).toEqual(['ord1@example.test']);
    expect(h.sms.messages().map((m) => m.to)).toEqual([
      expect.stringMatching(/^\+44/),
      expect.stringMatching(/^\+44/),
    ]);
    const logged = await decisionsFor(h.db.pool, wf);
    expect(logged.map((d) => d.verdict)).toEqual(['send', 'send', 'send', 'send']);

    // Operators find the run in the Web UI by contact and automation; the memo names the definition version.
    const found = [];
    for await (const w of h.client.workflow.list({ query: `ContactId = "${id}" AND Automation = "order"` }))
      found.push(w);
    expect(found.map((w) => w.workflowId)).toEqual([wf]);
    expect(found[0]!.memo).toMatchObject({ automation: 'order', version: 1, kind: 'order' });
    const description = await h.client.workflow.getHandle(wf).describe();
    expect(description.typedSearchAttributes.get(LAST_VERDICT)).toBe('send');
  });

  test('a US contact who never subscribed to SMS gets the email but no SMS confirmation (CTIA)', async () => {
    const id = await seedContact(h.db.pool, {
      key: 'ord2',
      country: 'US',
      timezone: 'America/New_York',
      smsStatus: 'non_subscribed',
      emailStatus: 'non_subscribed',
    });
    const before = h.sms.messages().length;
    const wf = await h.automations.orderPlaced('O-2', id);
    await h.automations.orderCancelled('O-2', 'out of stock');
    const result = await h.result(wf);

    expect(result.outcome).toBe('cancelled');
    expect(result.steps.map((s) => [s.step, s.verdict])).toEqual([
      ['confirmation-1-email', 'send'],
      ['confirmation-2-sms', 'suppress'],
      ['cancellation-1-email', 'send'],
      ['cancellation-2-sms', 'suppress'],
    ]);
    expect(h.sms.messages().length).toBe(before);
    expect(h.smtp.messages().filter((m) => m.to.includes('ord2@example.test'))).toHaveLength(2);
    const suppressed = (await decisionsFor(h.db.pool, wf)).filter((d) => d.verdict === 'suppress');
    expect(suppressed).toHaveLength(2);
    expect(suppressed[0]!.reasons.length).toBeGreaterThan(0);
  });
});

describe('abandoned cart', () => {
  test('a cart change restarts the wait for the next reminder', async () => {
    const id = await seedContact(h.db.pool, { key: 'cart4', country: 'GB', timezone: 'Europe/London' });
    const slow = h.automationsAt(60_000 / 86_400_000); // one hour takes 2.5 s
    const t0 = Date.now();
    const wf = await slow.cartUpdated('C-4', id, { itemCount: 1 });
    await new Promise((r) => setTimeout(r, 1_500));
    await slow.cartUpdated('C-4', id, { itemCount: 2 });
    for (;;) {
      if (h.smtp.messages().some((m) => m.to.includes('cart4@example.test'))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Without the restart the reminder would leave 2.5 s after the first change; with it, 2.5 s after the second.
    expect(Date.now() - t0).toBeGreaterThan(3_700);
    await slow.orderPlaced('O-C4', id, { cartId: 'C-4' });
    expect((await h.result(wf)).outcome).toBe('ordered');
  });

  test('reminds by email and then SMS', async () => {
    const id = await seedContact(h.db.pool, { key: 'cart1', country: 'GB', timezone: 'Europe/London' });
    const wf = await h.automations.cartUpdated('C-1', id, { itemCount: 1 });
    await h.automations.cartUpdated('C-1', id, { itemCount: 2 });
    const result = await h.result(wf);
    expect(result.steps.map((s) => [s.step, s.type, s.verdict])).toEqual([
      ['cart-reminder-1-email', 'abandoned_cart', 'send'],
      ['cart-reminder-2-sms', 'abandoned_cart', 'send'],
    ]);
    expect(h.smtp.messages().some((m) => m.to.includes('cart1@example.test'))).toBe(true);
  });

  test('a checkout cancels the cart reminders and an order ends the automation without any', async () => {
    const id = await seedContact(h.db.pool, { key: 'cart2', country: 'GB', timezone: 'Europe/London' });
    const slow = h.automationsAt(60_000 / 86_400_000);
    const wf = await slow.cartUpdated('C-2', id, { itemCount: 1 });
    await slow.checkoutStarted('C-2', id);
    await slow.orderPlaced('O-C2', id, { cartId: 'C-2' });
    const result = await h.result(wf);
    expect(result.outcome).toBe('ordered');
    expect(result.steps).toEqual([]);
  });

  test('a reminder to a contact who unsubscribed globally is suppressed, and nothing is sent', async () => {
    const id = await seedContact(h.db.pool, {
      key: 'cart3',
      status: 'unsubscribed',
      country: 'GB',
      timezone: 'Europe/London',
    });
    const wf = await h.automations.cartUpdated('C-3', id, { itemCount: 1 });
    const result = await h.result(wf);
    expect(result.steps.map((s) => s.verdict)).toEqual(['suppress', 'suppress']);
    expect(result.steps[0]!.reasons.map((r) => r.rule).join(' ')).toMatch(/global/);
    expect(h.smtp.messages().some((m) => m.to.includes('cart3@example.test'))).toBe(false);
  });
});
