// Why an event reached no automation: which automation listens for that name, which trigger condition did not
// hold, what it expected and what the event carried (long values bounded).
import { describe, expect, test } from 'vitest';
import { explainUnreached } from '../../client/event-match';
import type { EventAutomationDefinition } from '../../workflows/definitions';

const upgrade: EventAutomationDefinition = {
  id: 'upgrade-nudge',
  version: 1,
  kind: 'custom_event',
  trigger: {
    event: 'plan_changed',
    where: [
      { property: 'plan.tier', op: 'in', value: ['pro', 'team'] },
      { property: 'seats', op: 'gte', value: 5 },
      { property: 'region', op: 'exists' },
    ],
  },
  steps: [
    { send: { channel: 'email', type: 'custom_event', template: 't' } },
    { waitForEvent: { name: 'invoice_paid', timeout: '3 days' } },
  ],
};
const other: EventAutomationDefinition = {
  id: 'churn-save',
  version: 2,
  kind: 'custom_event',
  trigger: { event: 'plan_changed', where: [{ property: 'plan.tier', op: 'eq', value: 'free' }] },
  steps: [{ send: { channel: 'email', type: 'custom_event', template: 't' } }],
};

describe('explaining an event that reached no automation', () => {
  test('names each listening automation and each condition that did not hold, with expected and actual', () => {
    const lines = explainUnreached([upgrade, other], 'plan_changed', {
      plan: { tier: 'starter' },
      seats: 10,
    });
    const text = lines.join('\n');
    expect(text).not.toMatch(/no automation is triggered/);
    expect(text).toContain('"upgrade-nudge"');
    expect(text).toContain('"churn-save"');
    // The failing ones, not the one that held (seats >= 5).
    expect(text).toMatch(/plan\.tier.*one of \["pro","team"\].*"starter"/);
    expect(text).toMatch(/region.*present.*no such property/);
    expect(text).not.toMatch(/seats/);
    expect(text).toMatch(/plan\.tier.*= "free".*"starter"/);
  });

  test('a long property value is bounded, not pasted whole', () => {
    const long = 'x'.repeat(5_000);
    const lines = explainUnreached([other], 'plan_changed', { plan: { tier: long } });
    expect(lines.join('\n')).toContain('xxx');
    for (const line of lines) expect(line.length).toBeLessThan(200);
  });

  test('an event nobody listens for lists the events that are listened for, with the near miss', () => {
    const [line, ...rest] = explainUnreached([upgrade, other], 'plan_chnged', {});
    expect(rest).toEqual([]);
    expect(line).toMatch(/no automation is triggered by or waits for "plan_chnged"/);
    expect(line).toContain('invoice_paid');
    expect(line).toMatch(/did you mean "plan_changed"/i);
  });

  test('an event only waited for says no journey of that automation is running for the contact', () => {
    const lines = explainUnreached([upgrade], 'invoice_paid', {});
    expect(lines.join('\n')).toMatch(/"upgrade-nudge" waits for "invoice_paid".*none is running/);
  });
});
