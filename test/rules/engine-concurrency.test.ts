// json-rules-engine keeps run state on the Engine (status, stop()). Decisions made at the same time must
// not see each other's state: each run borrows its own engine from a pool.
import { Engine, type Almanac, type Event } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import { decideSend, decideWithEngine, loadRuleSet, type DecideInput } from '../../rules/index';
import { buildEngineRules } from '../../rules/engine-rules';
import { RULES_DIR, contact, sub } from './support';

const rules = loadRuleSet(RULES_DIR);

function mixed(n: number): DecideInput[] {
  const statuses = ['subscribed', 'non_subscribed', 'unsubscribed', 'hard_bounced', 'unconfirmed'] as const;
  return Array.from({ length: n }, (_, i) => ({
    contact: contact(
      {
        country: i % 2 ? 'US' : 'FR',
        timezone: i % 2 ? 'America/Denver' : 'Europe/Paris',
        status: i % 11 === 0 ? 'unsubscribed' : 'subscribed',
      },
      [
        sub('sms', statuses[i % statuses.length]!, { address: `+1555000${String(i).padStart(4, '0')}` }),
        sub('email', statuses[(i >> 1) % statuses.length]!),
      ],
    ),
    message: { channel: i % 3 ? 'sms' : 'email', type: rules.messageTypes[i % rules.messageTypes.length]! },
    // half at 03:00 local-ish (deferred marketing SMS), half at noon
    at: new Date(i % 4 < 2 ? '2026-06-15T09:30:00Z' : '2026-06-15T18:00:00Z'),
  }));
}

describe('concurrent decisions through json-rules-engine', () => {
  it('2000 different decisions at once each get their own answer, the same as one at a time', async () => {
    const inputs = mixed(2000);
    const expected = inputs.map((input) => decideSend(rules, input));
    const verdicts = new Set(expected.map((d) => d.verdict));
    expect(verdicts).toEqual(new Set(['send', 'suppress', 'defer']));
    const concurrent = await Promise.all(inputs.map((input) => decideWithEngine(rules, input)));
    expect(concurrent.map((r) => r.decision)).toEqual(expected);
  });

  it('why the pool exists: one shared engine answers wrongly when runs overlap', async () => {
    const shared = new Engine(buildEngineRules(rules), { allowUndefinedFacts: true });
    shared.addFact('consentSuppressed', (_p: unknown, almanac: Almanac) =>
      (almanac as unknown as { getEvents(o: string): Event[] })
        .getEvents('success')
        .some((e) => e.type === 'suppress'),
    );
    shared.on('halt', () => {
      shared.stop();
    });
    const deferred = (r: { events: Event[] }) => r.events.some((e) => e.type === 'defer');
    // A marketing SMS at 03:00 to a subscriber must be deferred; alone, the shared engine says so.
    const night = factsOf('subscribed');
    expect(deferred(await shared.run(night))).toBe(true);
    // Next to suppressed decisions, whose halt rule calls stop() on the engine they share, it does not.
    const together = await Promise.all(
      Array.from({ length: 50 }, (_, i) => shared.run(factsOf(i % 2 ? 'subscribed' : 'unsubscribed'))),
    );
    const lost = together.filter((r, i) => i % 2 === 1 && !deferred(r));
    expect(lost.length).toBeGreaterThan(0);
  });
});

function factsOf(status: 'subscribed' | 'unsubscribed') {
  return {
    channel: 'sms',
    type: 'campaign',
    kind: 'marketing',
    region: 'us',
    matrix: 'sms.us',
    globalStatus: 'subscribed',
    active: true,
    blacklisted: false,
    subscriptionStatus: status,
    column: status,
    categoryState: 'no_category',
    category: null,
    timezoneValid: true,
    localMinutes: 180,
  };
}
