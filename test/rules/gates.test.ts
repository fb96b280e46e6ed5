// The Altcraft and SmartSender rules on top of the matrices: global status, deactivation, blacklists,
// subscription status, categories, the resource that counts and the priority that wins.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet, GLOBAL_STATUSES, type Decision } from '../../rules/index';
import { NOON, RULES_DIR, contact, copyRules, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const decide = (c: ReturnType<typeof contact>, m: ReturnType<typeof msg>, at = NOON): Decision =>
  decideSend(rules, { contact: c, message: m, at });
const ruleIds = (d: Decision) => d.reasons.map((r) => r.rule);

describe('global status (Altcraft)', () => {
  it.each(GLOBAL_STATUSES.filter((s) => s !== 'subscribed'))(
    '%s stops all marketing on every channel',
    (status) => {
      for (const channel of ['email', 'sms'] as const) {
        const d = decide(contact({ status }, [sub(channel, 'subscribed')]), msg(channel, 'campaign'));
        expect(d.verdict).toBe('suppress');
        expect(d.reasons[0]!.message).toContain(status.replace('_', ' '));
      }
    },
  );

  it.each(['unsubscribed', 'unconfirmed'] as const)(
    '%s still lets an order confirmation through',
    (status) => {
      const d = decide(contact({ status }, [sub('email', 'subscribed')]), msg('email', 'order_confirmation'));
      expect(d.verdict).toBe('send');
    },
  );

  it.each(['hard_bounced', 'invalid', 'complainer', 'suspended'] as const)(
    '%s stops transactional messages too, on email and SMS',
    (status) => {
      for (const channel of ['email', 'sms'] as const) {
        const d = decide(
          contact({ status }, [sub(channel, 'subscribed')]),
          msg(channel, 'shipping_confirmation'),
        );
        expect(ruleIds(d)).toEqual(['gate:global-status-blocked']);
      }
    },
  );
});

describe('deactivation and blacklists (SmartSender)', () => {
  it('a deactivated contact gets nothing, not even a confirmation', () => {
    const d = decide(
      contact({ active: false }, [sub('email', 'subscribed')]),
      msg('email', 'order_confirmation'),
    );
    expect(d).toMatchObject({ verdict: 'suppress', reasons: [{ rule: 'gate:deactivated' }] });
  });

  it('an email on the blacklist gets nothing by email, transactional included, but SMS still goes', () => {
    const c = contact({ blacklist: { email: true } }, [sub('email', 'subscribed'), sub('sms', 'subscribed')]);
    expect(ruleIds(decide(c, msg('email', 'order_confirmation')))).toEqual(['gate:blacklist']);
    expect(decide(c, msg('sms', 'order_confirmation')).verdict).toBe('send');
  });

  it('a phone on the blacklist stops SMS only', () => {
    const c = contact({ blacklist: { phone: true } }, [sub('email', 'subscribed'), sub('sms', 'subscribed')]);
    expect(ruleIds(decide(c, msg('sms', 'cancellation_confirmation')))).toEqual(['gate:blacklist']);
    expect(decide(c, msg('email', 'campaign')).verdict).toBe('send');
  });
});

describe('subscription status', () => {
  it.each(['hard_bounced', 'invalid'] as const)('a %s subscription gets nothing', (status) => {
    const d = decide(contact({}, [sub('email', status)]), msg('email', 'order_confirmation'));
    expect(ruleIds(d)).toEqual(['gate:subscription-unreachable']);
  });

  it.each(['complainer', 'suspended', 'unconfirmed'] as const)(
    'a %s subscription gets no marketing but gets confirmations',
    (status) => {
      const marketing = decide(contact({}, [sub('email', status)]), msg('email', 'abandoned_cart'));
      expect(ruleIds(marketing)).toContain('gate:subscription-no-marketing');
      expect(decide(contact({}, [sub('email', status)]), msg('email', 'order_confirmation')).verdict).toBe(
        'send',
      );
    },
  );

  it('an unconfirmed SMS subscription in the US gets no confirmation (it reads the non-subscribed column)', () => {
    const d = decide(
      contact({ country: 'US', timezone: 'America/Chicago' }, [sub('sms', 'unconfirmed')]),
      msg('sms', 'order_confirmation'),
    );
    expect(ruleIds(d)).toEqual(['matrix:sms.us']);
  });

  it('every reason that applies is given, in rule order', () => {
    const c = contact({ status: 'unsubscribed', active: false, blacklist: { email: true } }, [
      sub('email', 'complainer'),
    ]);
    expect(ruleIds(decide(c, msg('email', 'campaign')))).toEqual([
      'gate:deactivated',
      'gate:global-status',
      'gate:blacklist',
      'gate:subscription-no-marketing',
      'matrix:email',
    ]);
  });
});

describe('resource, category and priority', () => {
  const two = [
    sub('email', 'unsubscribed', { resource: 'news', address: 'news@example.com', priority: 1 }),
    sub('email', 'subscribed', { resource: 'shop', address: 'shop@example.com', priority: 5 }),
  ];

  it("the subscription of the message's resource is the one that counts", () => {
    expect(decide(contact({}, two), msg('email', 'campaign', { resource: 'news' })).verdict).toBe('suppress');
    expect(decide(contact({}, two), msg('email', 'campaign', { resource: 'shop' }))).toMatchObject({
      verdict: 'send',
      address: 'shop@example.com',
    });
  });

  it('a resource the contact has no subscription for suppresses with its own reason', () => {
    const d = decide(contact({}, two), msg('email', 'campaign', { resource: 'blog' }));
    expect(ruleIds(d)).toEqual(['subscription:none']);
  });

  it('no subscription on the channel at all suppresses, and gates still explain themselves', () => {
    const d = decide(
      contact({ active: false }, [sub('email', 'subscribed')]),
      msg('sms', 'order_confirmation'),
    );
    expect(ruleIds(d)).toEqual(['gate:deactivated', 'subscription:none']);
  });

  it('without a resource, the eligible subscription with the lowest priority number wins', () => {
    const d = decide(contact({}, two), msg('email', 'campaign'));
    expect(d).toMatchObject({ verdict: 'send', address: 'shop@example.com' });
    expect(ruleIds(d)).toEqual(['matrix:email', 'subscription:priority']);
  });

  it('among eligible addresses the lowest priority number wins, whatever the profile order', () => {
    const subs = [
      sub('sms', 'subscribed', { address: '+15550000009', priority: 9 }),
      sub('sms', 'subscribed', { address: '+15550000002', priority: 2 }),
      sub('sms', 'subscribed', { address: '+15550000005', priority: 5 }),
    ];
    expect(decide(contact({}, subs), msg('sms', 'campaign')).address).toBe('+15550000002');
  });

  it("a category unsubscribed on the subscription stops the message; other categories don't", () => {
    const c = contact({}, [
      sub('email', 'subscribed', { categories: { promotions: 'unsubscribed', news: 'subscribed' } }),
    ]);
    expect(ruleIds(decide(c, msg('email', 'campaign', { category: 'promotions' })))).toEqual([
      'gate:category',
    ]);
    expect(decide(c, msg('email', 'campaign', { category: 'news' })).verdict).toBe('send');
    expect(decide(c, msg('email', 'campaign', { category: 'other' })).verdict).toBe('send');
  });

  it('when no subscription is eligible, the best-priority one gives the reasons', () => {
    const subs = [
      sub('email', 'hard_bounced', { priority: 1 }),
      sub('email', 'unsubscribed', { priority: 2 }),
    ];
    expect(ruleIds(decide(contact({}, subs), msg('email', 'welcome')))).toEqual([
      'gate:subscription-unreachable',
      'matrix:email',
    ]);
  });
});

describe('reasons never carry an address', () => {
  it('no reason text contains the e-mail address or phone number of the contact', () => {
    const subs = [
      sub('email', 'subscribed'),
      sub('sms', 'non_subscribed'),
      sub('sms', 'subscribed', { priority: 4, address: '+4915112345678' }),
    ];
    for (const status of GLOBAL_STATUSES) {
      for (const type of ['campaign', 'order_confirmation', 'custom_event'] as const) {
        for (const channel of ['email', 'sms'] as const) {
          for (const at of [NOON, new Date('2026-06-15T02:00:00Z')]) {
            const d = decide(
              contact({ status, country: 'US', timezone: 'America/New_York' }, subs),
              msg(channel, type),
              at,
            );
            const text = JSON.stringify(d.reasons);
            expect(text).not.toMatch(/@|\+?\d{7,}/);
          }
        }
      }
    }
  });
});

describe('fail closed', () => {
  it('a country no region covers suppresses when the rules set no fallback region', () => {
    const copy = copyRules();
    try {
      copy.edit('regions.json', (j) => {
        delete j.otherCountries;
        delete j.missingCountry;
      });
      const strict = loadRuleSet(copy.dir);
      for (const country of ['FR', null]) {
        const d = decideSend(strict, {
          contact: contact({ country }, [sub('email', 'subscribed')]),
          message: msg('email', 'order_confirmation'),
          at: NOON,
        });
        expect(d.reasons.map((r) => r.rule)).toEqual(['region:unknown']);
      }
    } finally {
      copy.remove();
    }
  });

  it('a region with no matrix for a channel sends nothing on it', () => {
    const copy = copyRules();
    try {
      copy.edit('regions.json', (j) => {
        delete j.regions[1].matrices.sms;
      });
      const d = decideSend(loadRuleSet(copy.dir), {
        contact: contact({}, [sub('sms', 'subscribed')]),
        message: msg('sms', 'order_confirmation'),
        at: NOON,
      });
      expect(d.reasons.map((r) => r.rule)).toEqual(['region:no-matrix']);
    } finally {
      copy.remove();
    }
  });

  it('input the types forbid (a status from another system, a broken date) suppresses instead of throwing', () => {
    const bad = contact({ status: 'opted_in' as never }, [sub('email', 'subscribed')]);
    expect(
      decideSend(rules, { contact: bad, message: msg('email', 'order_confirmation'), at: NOON }),
    ).toMatchObject({
      verdict: 'suppress',
      reasons: [{ rule: 'rules:error' }],
      rules: rules.hash,
    });
    const d = decideSend(rules, {
      contact: contact({}, [sub('email', 'subscribed')]),
      message: msg('email', 'welcome'),
      at: new Date('nope'),
    });
    expect(d.verdict).toBe('suppress');
    expect(
      decideSend(rules, { contact: null as never, message: msg('email', 'welcome'), at: NOON }).verdict,
    ).toBe('suppress');
  });

  it('a marketer can add a Canadian region and matrix without code', () => {
    const copy = copyRules();
    try {
      // a file of its own, starting from the US table
      writeFileSync(`${copy.dir}/matrix.sms.ca.json`, readFileSync(`${RULES_DIR}/matrix.sms.us.json`));
      copy.edit('matrix.sms.ca.json', (j) => {
        j.id = 'sms.ca';
      });
      // in place of the default Canada region
      copy.remove('regions.ca.json');
      copy.edit('quiet-hours.json', (j) => {
        j.windows = j.windows.filter((w: { region: string }) => w.region !== 'ca');
      });
      copy.edit('regions.json', (j) => {
        j.regions.push({ id: 'ca', countries: ['CA'], matrices: { email: 'email', sms: 'sms.ca' } });
      });
      copy.edit('quiet-hours.json', (j) => {
        j.windows.push({ region: 'ca', channel: 'sms', from: '09:00', until: '20:00' });
      });
      const ca = loadRuleSet(copy.dir);
      const who = contact({ country: 'CA', timezone: 'America/Toronto' }, [sub('sms', 'non_subscribed')]);
      const d = decideSend(ca, { contact: who, message: msg('sms', 'order_confirmation'), at: NOON });
      expect(d.reasons.map((r) => r.rule)).toEqual(['matrix:sms.ca']);
      // 08:30 in Toronto: inside the default window, outside Canada's own 09:00-20:00
      const early = decideSend(ca, {
        contact: { ...who, subscriptions: [sub('sms', 'subscribed')] },
        message: msg('sms', 'campaign'),
        at: new Date('2026-06-15T12:30:00Z'),
      });
      expect(early).toMatchObject({
        verdict: 'defer',
        notBefore: '2026-06-15T13:00:00.000Z',
        reasons: [{ rule: 'quiet-hours:ca' }],
      });
    } finally {
      copy.remove();
    }
  });
});
