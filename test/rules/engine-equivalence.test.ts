// The compiled tables (decideSend) against json-rules-engine (decideWithEngine) on the same rule files:
// every channel x region x message type x subscription status x global status, with the gates, quiet hours
// and subscription choice varied across the grid. Whole decisions must be equal, reasons and all.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { describe, expect, it } from 'vitest';
import {
  decideSend,
  decideWithEngine,
  loadRuleSet,
  GLOBAL_STATUSES,
  SUBSCRIPTION_STATUSES,
  CHANNELS,
  type ContactProfile,
  type Decision,
  type MessageSpec,
  type RuleSet,
  type Subscription,
  type SubscriptionStatus,
} from '../../rules/index';
import { RULES_DIR, copyRules } from './support';

const TIMES = [
  { at: new Date('2026-06-15T16:00:00Z'), timezone: 'America/New_York' }, // noon in New York
  { at: new Date('2026-06-15T03:00:00Z'), timezone: 'America/Chicago' }, // 22:00 in Chicago
  { at: new Date('2026-03-08T06:30:00Z'), timezone: 'Europe/Berlin' }, // 07:30 in Berlin
  { at: new Date('2026-06-15T16:00:00Z'), timezone: null }, // no time zone
] as const;
const GATES = [false, true].flatMap((active) =>
  [false, true].flatMap((blacklisted) =>
    (['none', 'subscribed', 'unsubscribed', 'not_mentioned'] as const).map((category) => ({
      active,
      blacklisted,
      category,
    })),
  ),
);

const CATEGORIES = [{ category: 'promo' }, undefined, { category: 'news' }, { category: 'other-name' }];

const CLEAN = { active: true, blacklisted: false, category: 'none' } as const;

interface Case {
  contact: ContactProfile;
  message: MessageSpec;
  at: Date;
}

function build(
  i: number,
  channel: (typeof CHANNELS)[number],
  country: string | null,
  type: string,
  subStatus: SubscriptionStatus | 'none',
  status: (typeof GLOBAL_STATUSES)[number],
  // most cases clean, every fourth with one of the gate combinations
  gates = i % 4 === 0 ? GATES[(i >> 2) % GATES.length]! : CLEAN,
): Case {
  const time = TIMES[(i >> 1) % TIMES.length]!;
  const subs: Subscription[] = [];
  if (subStatus !== 'none') {
    subs.push({
      resource: 'shop',
      channel,
      address: channel === 'email' ? 'main@example.com' : '+15550000001',
      status: subStatus,
      priority: 3,
      ...(gates.category === 'not_mentioned'
        ? { categories: { news: 'subscribed' as const } }
        : gates.category !== 'none'
          ? { categories: { promo: gates.category } }
          : {}),
    });
    // every seventh case has a competing address, better or worse in priority and status
    if (i % 7 === 0) {
      subs.push({
        resource: 'shop',
        channel,
        address: 'other',
        status: SUBSCRIPTION_STATUSES[i % 8]!,
        priority: i % 2 ? 1 : 9,
      });
    }
  }
  return {
    contact: {
      status,
      active: gates.active,
      country,
      timezone: time.timezone,
      blacklist: channel === 'email' ? { email: gates.blacklisted } : { phone: gates.blacklisted },
      subscriptions: subs,
    },
    // promo and news are named by gates of the custom rule set, other-name by none
    message: { channel, type, ...(CATEGORIES[i % CATEGORIES.length] ?? {}) },
    at: time.at,
  };
}

async function compare(rules: RuleSet, cases: Case[]): Promise<Record<string, number>> {
  const verdicts: Record<string, number> = {};
  const mismatches: Array<{ input: Case; compiled: Decision; engine: Decision }> = [];
  for (const input of cases) {
    const compiled = decideSend(rules, input);
    const { decision: engine } = await decideWithEngine(rules, input);
    verdicts[compiled.verdict] = (verdicts[compiled.verdict] ?? 0) + 1;
    if (JSON.stringify(compiled) !== JSON.stringify(engine) && mismatches.length < 3)
      mismatches.push({ input, compiled, engine });
  }
  expect(mismatches).toEqual([]);
  return verdicts;
}

const STATUSES = [...SUBSCRIPTION_STATUSES, 'none'] as const;

describe('compiled tables agree with json-rules-engine', () => {
  const rules = loadRuleSet(RULES_DIR);

  it('on every channel x region x type x subscription status x global status of the default rules', async () => {
    const cases: Case[] = [];
    let i = 0;
    for (const channel of CHANNELS)
      for (const country of ['US', 'DE', null])
        for (const type of rules.messageTypes)
          for (const subStatus of STATUSES)
            for (const status of GLOBAL_STATUSES)
              cases.push(build(i++, channel, country, type, subStatus, status));
    expect(cases).toHaveLength(2 * 3 * 19 * 9 * 7);
    const verdicts = await compare(rules, cases);
    // the grid exercises every verdict, not just suppressions
    expect(verdicts.send).toBeGreaterThan(250);
    expect(verdicts.defer).toBeGreaterThan(10);
    expect(verdicts.suppress).toBeGreaterThan(1000);
  });

  it('on every combination of the gates (active, blacklist, category) for each type and column', async () => {
    const cases: Case[] = [];
    let i = 0;
    for (const channel of CHANNELS)
      for (const country of ['US', 'DE', null])
        for (const type of rules.messageTypes)
          for (const subStatus of ['subscribed', 'non_subscribed', 'unsubscribed', 'none'] as const)
            for (const gates of GATES)
              cases.push(build(i++, channel, country, type, subStatus, 'subscribed', gates));
    await compare(rules, cases);
  });

  it('on every implied-consent state (none, purchase or inquiry valid, expired, at the edge) in Canada and elsewhere', async () => {
    const day = (at: Date, months: number) => {
      const d = new Date(at);
      d.setUTCMonth(d.getUTCMonth() - months);
      return d.toISOString().slice(0, 10);
    };
    const IMPLIED = [
      () => undefined,
      () => null,
      (at: Date) => ({ basis: 'purchase' as const, at: day(at, 12) }), // valid
      (at: Date) => ({ basis: 'purchase' as const, at: day(at, 25) }), // expired
      (at: Date) => ({ basis: 'purchase' as const, at: day(at, 24) }), // the last day, or the first after it
      (at: Date) => ({ basis: 'inquiry' as const, at: day(at, 5) }), // valid
      (at: Date) => ({ basis: 'inquiry' as const, at: day(at, 7) }), // expired
      (at: Date) => ({ basis: 'inquiry' as const, at: day(at, 6) }), // the edge
      (at: Date) => ({ basis: 'inquiry' as const, at: day(at, -1) }), // after the message
    ];
    const cases: Case[] = [];
    let i = 0;
    for (const channel of CHANNELS)
      for (const country of ['CA', 'US'])
        for (const type of rules.messageTypes)
          for (const subStatus of [
            'subscribed',
            'non_subscribed',
            'unconfirmed',
            'unsubscribed',
            'none',
          ] as const)
            for (const status of ['subscribed'] as const)
              for (const implied of IMPLIED) {
                const c = build(i++, channel, country, type, subStatus, status);
                const ic = implied(c.at);
                if (ic !== undefined) c.contact.impliedConsent = ic;
                cases.push(c);
              }
    expect(cases).toHaveLength(2 * 2 * rules.messageTypes.length * 5 * IMPLIED.length);
    const verdicts = await compare(rules, cases);
    expect(verdicts.send).toBeGreaterThan(250);
    // the CASL rule decided some of them, on every basis
    const casl = cases.filter((c) =>
      decideSend(rules, c).reasons.some((r) => r.rule === 'casl:implied-consent'),
    );
    expect(casl.length).toBeGreaterThan(100);
    expect(new Set(casl.map((c) => c.contact.impliedConsent?.basis ?? 'none'))).toEqual(
      new Set(['none', 'purchase', 'inquiry']),
    );
  }, 120_000);

  it('on rule files with other shapes: no fallback region, a region without SMS, gates using any/not/notIn', async () => {
    const copy = copyRules();
    try {
      copy.edit('regions.json', (j) => {
        delete j.otherCountries;
        delete j.missingCountry;
        j.regions.push({ id: 'ca', countries: ['CA'], matrices: { email: 'email' } });
      });
      copy.remove('regions.ca.json');
      copy.edit('gates.json', (j) => {
        j.gates.push({
          id: 'gate:no-sms-birthday-outside-us',
          when: {
            any: [
              {
                all: [
                  { fact: 'type', operator: 'equal', value: 'birthday' },
                  { fact: 'region', operator: 'notEqual', value: 'us' },
                ],
              },
              { not: { fact: 'column', operator: 'notIn', value: ['unsubscribed'] } },
            ],
          },
          message: 'Test gate on {type} in {region} for {column} contacts.',
        });
        j.gates.push({
          id: 'gate:promo-opt-in',
          when: {
            all: [
              { fact: 'category', operator: 'in', value: ['promo', 'flash'] },
              { fact: 'categoryState', operator: 'in', value: ['not_mentioned', 'unsubscribed'] },
            ],
          },
          message: 'Promotions only to contacts who opted in ({categoryState}).',
        });
        j.gates.push({
          id: 'gate:uncategorized-sms',
          when: {
            any: [
              {
                all: [
                  { fact: 'categoryState', operator: 'equal', value: 'no_category' },
                  { fact: 'channel', operator: 'equal', value: 'sms' },
                ],
              },
              { not: { fact: 'category', operator: 'notEqual', value: 'news' } },
            ],
          },
          message: 'Test gate on categories: {categoryState}.',
        });
      });
      const custom = loadRuleSet(copy.dir);
      const cases: Case[] = [];
      let i = 0;
      for (const channel of CHANNELS)
        for (const country of ['US', 'CA', 'FR', null])
          for (const type of custom.messageTypes)
            for (const subStatus of STATUSES)
              for (const status of [
                'subscribed',
                'unsubscribed',
                'hard_bounced',
                'suspended',
                'unconfirmed',
              ] as const)
                cases.push(build(i++, channel, country, type, subStatus, status));
      const verdicts = await compare(custom, cases);
      expect(verdicts.send).toBeGreaterThan(50);
    } finally {
      copy.remove();
    }
  });
});
