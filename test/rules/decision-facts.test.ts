// Contacts with the same decision facts share one decision in campaign preview and enqueueing
// (rules/decision-facts.ts, campaigns/decide-batch.ts `shareDecisions`). Sharing must never change an answer:
// every profile field is a fact (a field added to the model and not to the facts fails here), and over
// many generated audiences the shared answers equal the contact-by-contact ones, reasons and all.
import { describe, expect, it } from 'vitest';
import {
  ContactProfile as ContactProfileSchema,
  GLOBAL_STATUSES,
  Subscription as SubscriptionSchema,
  SUBSCRIPTION_STATUSES,
  loadRuleSet,
  type ContactProfile,
  type HistoryEntry,
  type MessageSpec,
  type Subscription,
} from '../../rules/index';
import { DecisionFactsMap } from '../../rules/decision-facts';
import { judgePage } from '../../campaigns/decide-batch';
import { RULES_DIR } from './support';

const ruleSet = loadRuleSet(RULES_DIR);

/** Whether `b` finds what was kept for `a`: the two share a decision on `channel`. */
function sameFacts(a: ContactProfile, b: ContactProfile, channel: 'email' | 'sms'): boolean {
  const facts = new DecisionFactsMap<string>(channel);
  facts.set(a, 'kept');
  return facts.get(b) === 'kept';
}

/** How many distinct decision facts `contacts` hold on `channel`. */
function distinctFacts(contacts: ContactProfile[], channel: 'email' | 'sms'): number {
  const facts = new DecisionFactsMap<true>(channel);
  let distinct = 0;
  for (const c of contacts)
    if (!facts.get(c)) {
      facts.set(c, true);
      distinct++;
    }
  return distinct;
}

const BASE: ContactProfile = {
  id: 'c1',
  status: 'subscribed',
  active: true,
  country: 'US',
  subdivision: null,
  timezone: 'America/New_York',
  impliedConsent: null,
  blacklist: { email: false, phone: false },
  subscriptions: [
    { resource: 'shop', channel: 'sms', address: '+13055550100', status: 'subscribed', priority: 1 },
  ],
};

/** One change per profile field that a decision may read. */
const CONTACT_CHANGES: Record<string, (c: ContactProfile) => ContactProfile> = {
  status: (c) => ({ ...c, status: 'unsubscribed' }),
  active: (c) => ({ ...c, active: false }),
  country: (c) => ({ ...c, country: 'CA' }),
  subdivision: (c) => ({ ...c, subdivision: 'US-FL' }),
  timezone: (c) => ({ ...c, timezone: 'America/Chicago' }),
  impliedConsent: (c) => ({ ...c, impliedConsent: { basis: 'purchase', at: '2026-01-02' } }),
  blacklist: (c) => ({ ...c, blacklist: { email: false, phone: true } }),
  subscriptions: (c) => ({ ...c, subscriptions: [] }),
};
const SUBSCRIPTION_CHANGES: Record<string, (s: Subscription) => Subscription> = {
  resource: (s) => ({ ...s, resource: 'blog' }),
  channel: (s) => ({ ...s, channel: 'email' }),
  status: (s) => ({ ...s, status: 'unsubscribed' }),
  priority: (s) => ({ ...s, priority: 2 }),
  categories: (s) => ({ ...s, categories: { promo: 'unsubscribed' } }),
  // The area code may presume the state (rules/subdivision.ts); the rest of the number is never read.
  address: (s) => ({ ...s, address: '+12125550100' }),
};

describe('the decision facts', () => {
  it('names every field of the profile and of a subscription but the contact id', () => {
    expect(Object.keys(CONTACT_CHANGES).sort()).toEqual(
      Object.keys(ContactProfileSchema.properties)
        .filter((k) => k !== 'id')
        .sort(),
    );
    expect(Object.keys(SUBSCRIPTION_CHANGES).sort()).toEqual(
      Object.keys(SubscriptionSchema.properties).sort(),
    );
    expect(sameFacts(BASE, { ...BASE, id: 'c2' }, 'sms')).toBe(true);
    for (const [field, change] of Object.entries(CONTACT_CHANGES)) {
      expect(sameFacts(BASE, change(BASE), 'sms'), field).toBe(false);
      expect(sameFacts(change(BASE), BASE, 'sms'), field).toBe(false);
    }
    for (const [field, change] of Object.entries(SUBSCRIPTION_CHANGES)) {
      const changed = { ...BASE, subscriptions: [change(BASE.subscriptions[0]!)] };
      expect(sameFacts(BASE, changed, 'sms'), field).toBe(false);
      expect(sameFacts(changed, BASE, 'sms'), field).toBe(false);
    }
  });

  it('reads a profile without `active` as the rules do: active, never as a deactivated one', () => {
    const { active: _omitted, ...noActive } = BASE;
    expect(sameFacts(noActive, { ...BASE, active: true }, 'sms')).toBe(true);
    expect(sameFacts(noActive, { ...BASE, active: false }, 'sms')).toBe(false);
    // Shared, the deactivated contact must not take the active one's send.
    const page = {
      ids: ['a', 'b'],
      profiles: new Map<string, ContactProfile>([
        ['a', { ...noActive, id: 'a' }],
        ['b', { ...BASE, id: 'b', active: false }],
      ]),
    };
    const message: MessageSpec = { channel: 'email', type: 'campaign' };
    const at = new Date('2026-03-10T15:00:00Z');
    const email = {
      resource: 'shop',
      channel: 'email',
      address: 'a@example.com',
      status: 'subscribed',
      priority: 1,
    } as const;
    for (const p of page.profiles.values()) p.subscriptions = [email];
    const verdicts = (share: boolean) =>
      judgePage(ruleSet, page, message, at, new Map(), { shareDecisions: share }).map((d) => d.verdict);
    expect(verdicts(false)).toEqual(['send', 'suppress']);
    expect(verdicts(true)).toEqual(verdicts(false));
  });

  it('leaves out the id and what no rule reads of an address', () => {
    const other = {
      ...BASE,
      id: 'c2',
      subscriptions: [{ ...BASE.subscriptions[0]!, address: '+13055559999' }],
    };
    expect(sameFacts(other, BASE, 'sms')).toBe(true);
    const mail = (address: string): ContactProfile => ({
      ...BASE,
      subscriptions: [{ resource: 'shop', channel: 'email', address, status: 'subscribed', priority: 1 }],
    });
    expect(sameFacts(mail('a@example.com'), mail('b@x.test'), 'email')).toBe(true);
  });

  it('cannot be made equal by a separator inside a resource name', () => {
    const twoResources = (a: string, b: string): ContactProfile => ({
      ...BASE,
      subscriptions: [
        { resource: a, channel: 'email', address: 'a@example.com', status: 'subscribed', priority: 1 },
        { resource: b, channel: 'email', address: 'a@example.com', status: 'subscribed', priority: 1 },
      ],
    });
    expect(sameFacts(twoResources('shop|1', 'x'), twoResources('shop', '1|x'), 'email')).toBe(false);
  });
});

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function audience(seed: number, n: number): ContactProfile[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  // Country, state and time zone vary independently, so a key without any one of them shares wrongly.
  const places: [string | null, string | null][] = [
    ['US', null],
    ['US', 'US-CA'],
    ['US', 'US-FL'],
    ['CA', 'CA-QC'],
    ['DE', null],
    [null, null],
  ];
  const zones = [
    'America/New_York',
    'America/Los_Angeles',
    'America/Toronto',
    'Europe/Berlin',
    'Asia/Tokyo',
    null,
  ];
  const areaCodes = ['305', '212', '415', '907', '999'];
  return Array.from({ length: n }, (_, i) => {
    const [country, subdivision] = pick(places);
    const timezone = pick(zones);
    const subscriptions: Subscription[] = [];
    const count = Math.floor(r() * 3) + (r() < 0.8 ? 1 : 0);
    for (let k = 0; k < count; k++) {
      const channel = pick(['email', 'sms'] as const);
      subscriptions.push({
        resource: pick(['shop', 'blog']),
        channel,
        address:
          channel === 'email'
            ? `c${i}.${k}@example.test`
            : `+1${pick(areaCodes)}555${String(1000 + i).slice(-4)}`,
        status: r() < 0.7 ? 'subscribed' : pick(SUBSCRIPTION_STATUSES),
        priority: pick([1, 2]),
        ...(r() < 0.3 ? { categories: { promo: pick(['subscribed', 'unsubscribed'] as const) } } : {}),
      });
    }
    return {
      id: `c${String(i).padStart(5, '0')}`,
      // Mostly reachable, so that windows, states and categories decide many sends and defers.
      status: r() < 0.7 ? 'subscribed' : pick(GLOBAL_STATUSES),
      active: r() < 0.9,
      country,
      subdivision,
      timezone,
      impliedConsent: r() < 0.2 ? { basis: pick(['purchase', 'inquiry'] as const), at: '2025-11-01' } : null,
      blacklist: { email: r() < 0.05, phone: r() < 0.05 },
      subscriptions,
    };
  });
}

const MESSAGES: MessageSpec[] = [
  { channel: 'email', type: 'campaign' },
  { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' },
  { channel: 'sms', type: 'campaign' },
  { channel: 'sms', type: 'abandoned_cart', resource: 'shop' },
  { channel: 'email', type: 'order_confirmation' },
];
const INSTANTS = [
  '2026-06-15T16:00:00Z',
  '2026-06-15T03:30:00Z',
  '2026-12-24T12:00:00Z',
  // 20:30 in New York and Miami: past Florida's 20:00 (area code 305), within the federal 21:00 (212).
  '2026-06-16T00:30:00Z',
].map((t) => new Date(t));

describe('shared decisions', () => {
  it('equal the contact-by-contact ones over generated audiences, messages and instants', () => {
    let compared = 0;
    let distinct = 0;
    let sends = 0;
    let defers = 0;
    for (const seed of [1, 2, 3]) {
      const contacts = audience(seed, 1_500);
      const page = { ids: contacts.map((c) => c.id!), profiles: new Map(contacts.map((c) => [c.id!, c])) };
      for (const message of MESSAGES)
        for (const at of INSTANTS) {
          // Every contact read with a history (a cap may count), one in five with a message in it.
          const histories = new Map<string, HistoryEntry[]>(
            contacts.map((c, i) => [
              c.id!,
              i % 5 === 0
                ? [
                    {
                      channel: message.channel,
                      type: 'campaign',
                      at: new Date(at.getTime() - 3_600_000).toISOString(),
                    },
                  ]
                : [],
            ]),
          );
          for (const read of [new Map<string, HistoryEntry[]>(), histories]) {
            const one = judgePage(ruleSet, page, message, at, read);
            const shared = judgePage(ruleSet, page, message, at, read, { shareDecisions: true });
            // The same answers, without the address (the caller chooses it again at delivery).
            expect(shared).toEqual(one.map(({ address: _a, ...d }) => d));
            compared += one.length;
            sends += one.filter((d) => d.verdict === 'send').length;
            defers += one.filter((d) => d.verdict === 'defer').length;
          }
          distinct += distinctFacts(contacts, message.channel);
        }
    }
    expect(compared).toBe(2 * 3 * 1_500 * MESSAGES.length * INSTANTS.length);
    expect(distinct).toBeLessThan(compared); // the audiences do share facts: the sharing was exercised
    expect(sends).toBeGreaterThan(compared / 10);
    expect(defers).toBeGreaterThan(compared / 100);
  });
});
