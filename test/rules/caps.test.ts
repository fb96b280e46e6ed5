// Frequency caps from caps.json: at most 3 marketing SMS per contact per rolling 24 hours, counted in the
// history of the request; transactional messages are never capped and never count.
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   the tests edit rule files as untyped JSON on purpose */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decideSend, loadRuleSet, RuleSetError, type HistoryEntry } from '../../rules/index';
import { RULES_DIR, contact, copyRules, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const AT = new Date('2026-06-15T16:00:00Z'); // noon in New York
const hoursAgo = (h: number) => new Date(AT.getTime() - h * 3_600_000).toISOString();
const us = contact({ country: 'US', timezone: 'America/New_York' }, [
  sub('sms', 'subscribed'),
  sub('email', 'subscribed'),
]);
const sms = (type: string, h: number, category?: string): HistoryEntry => ({
  channel: 'sms',
  type,
  at: hoursAgo(h),
  ...(category ? { category } : {}),
});
const ask = (
  history: HistoryEntry[],
  type = 'campaign',
  channel: 'sms' | 'email' = 'sms',
  category?: string,
) =>
  decideSend(rules, {
    contact: us,
    message: msg(channel, type, category ? { category } : {}),
    at: AT,
    history,
  });
const TRANSACTIONAL = [
  sms('order_confirmation', 1),
  sms('shipping_confirmation', 2),
  sms('order_confirmation', 3),
];

describe('the default marketing SMS cap: 3 per rolling 24 hours', () => {
  it.each([
    [0, 'send'],
    [2, 'send'],
    [3, 'suppress'],
    [4, 'suppress'],
  ] as const)('%i marketing SMS before, with transactional ones mixed in -> %s', (n, verdict) => {
    const marketing = ['campaign', 'abandoned_cart', 'birthday', 'campaign']
      .slice(0, n)
      .map((t, i) => sms(t, i + 1));
    const history = [...TRANSACTIONAL, ...marketing].reverse(); // any order
    const d = ask(history);
    expect(d.verdict).toBe(verdict);
    if (verdict === 'suppress') {
      expect(d.reasons).toEqual([
        {
          rule: 'cap:marketing-sms',
          message: `At most 3 marketing sms messages per 24 hours: the contact already got ${n} in the last 24 hours, so this one is not sent.`,
        },
      ]);
    }
  });

  it('transactional messages are never capped', () => {
    const history = [1, 2, 3, 4, 5].map((h) => sms('campaign', h));
    expect(ask(history, 'order_confirmation').verdict).toBe('send');
  });

  it('a message exactly 24 hours old has left the window; one a millisecond younger has not', () => {
    const two = [sms('campaign', 1), sms('campaign', 2)];
    const edge = { channel: 'sms' as const, type: 'campaign', at: hoursAgo(24) };
    const inside = {
      channel: 'sms' as const,
      type: 'campaign',
      at: new Date(AT.getTime() - 24 * 3_600_000 + 1).toISOString(),
    };
    expect(ask([...two, edge]).verdict).toBe('send');
    expect(ask([...two, inside]).verdict).toBe('suppress');
  });

  it('instants with an offset or without milliseconds count the same', () => {
    const history: HistoryEntry[] = [
      { channel: 'sms', type: 'campaign', at: '2026-06-15T17:00:00+02:00' }, // 15:00Z, an hour ago
      { channel: 'sms', type: 'campaign', at: '2026-06-15T14:00:00Z' },
      { channel: 'sms', type: 'campaign', at: '2026-06-14T16:00:00.001-00:00' }, // inside by 1 ms
    ];
    expect(ask(history).verdict).toBe('suppress');
    expect(ask(history.slice(0, 2)).verdict).toBe('send');
  });

  it('email is not capped by default, and email history does not fill the SMS cap', () => {
    const emails = [1, 2, 3, 4].map((h) => ({
      channel: 'email' as const,
      type: 'campaign',
      at: hoursAgo(h),
    }));
    expect(ask(emails, 'campaign', 'email').verdict).toBe('send');
    expect(ask(emails).verdict).toBe('send');
  });

  it('a request without history is never capped', () => {
    expect(decideSend(rules, { contact: us, message: msg('sms', 'campaign'), at: AT }).verdict).toBe('send');
  });
});

describe('caps a marketer writes', () => {
  const copy = copyRules();
  afterAll(() => copy.remove());
  const withCaps = (caps: unknown[]) => {
    copy.edit('caps.json', (j) => (j.caps = caps));
    return loadRuleSet(copy.dir);
  };

  it('a cap per subject (sameCategory): 1 promo text a day does not stop a news text', () => {
    const rs = withCaps([
      {
        id: 'cap:same-subject',
        channel: 'sms',
        kinds: ['marketing'],
        sameCategory: true,
        windowHours: 24,
        limit: 1,
      },
    ]);
    const history = [sms('campaign', 2, 'promo')];
    const ask2 = (category?: string) =>
      decideSend(rs, {
        contact: us,
        message: msg('sms', 'campaign', category ? { category } : {}),
        at: AT,
        history,
      });
    expect(ask2('promo')).toMatchObject({ verdict: 'suppress', reasons: [{ rule: 'cap:same-subject' }] });
    expect(ask2('news').verdict).toBe('send');
    expect(ask2().verdict).toBe('send'); // no category, no subject to limit
  });

  it('over: "defer" waits until the oldest counted message is a window old', () => {
    const rs = withCaps([
      { id: 'cap:two-a-day', channel: 'sms', kinds: ['marketing'], windowHours: 24, limit: 2, over: 'defer' },
    ]);
    const history = [sms('campaign', 1), sms('campaign', 5), sms('campaign', 30)];
    const d = decideSend(rs, { contact: us, message: msg('sms', 'campaign'), at: AT, history });
    expect(d).toMatchObject({
      verdict: 'defer',
      notBefore: new Date(AT.getTime() + 19 * 3_600_000).toISOString(),
    });
    expect(d.reasons[0]!.message).toContain('so it waits until the oldest of them is 24 hours old');
  });

  it('the example "1 campaign email per day" file works when copied in', () => {
    const example = JSON.parse(
      readFileSync(path.join(RULES_DIR, 'examples/caps.email-daily.json'), 'utf8'),
    ) as Record<string, unknown>;
    example.$schema = './schema/rule-file.schema.json';
    writeFileSync(path.join(copy.dir, 'caps.email.json'), JSON.stringify(example));
    const rs = loadRuleSet(copy.dir);
    const history = [{ channel: 'email' as const, type: 'campaign', at: hoursAgo(3) }];
    const d = decideSend(rs, { contact: us, message: msg('email', 'campaign'), at: AT, history });
    expect(d).toMatchObject({
      verdict: 'defer',
      notBefore: new Date(AT.getTime() + 21 * 3_600_000).toISOString(),
    });
    expect(decideSend(rs, { contact: us, message: msg('email', 'birthday'), at: AT, history }).verdict).toBe(
      'send',
    );
  });

  it('a cap with neither kinds nor types, or an unknown type, is a problem with the fix', () => {
    copy.edit(
      'caps.json',
      (j) =>
        (j.caps = [
          { id: 'cap:x', windowHours: 24, limit: 1 },
          { id: 'cap:y', types: ['campain'], windowHours: 24, limit: 1 },
        ]),
    );
    let err: unknown;
    try {
      loadRuleSet(copy.dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleSetError);
    const problems = (err as RuleSetError).problems;
    expect(problems.map((p) => [p.file, p.pointer])).toEqual([
      ['caps.json', '/caps/0'],
      ['caps.json', '/caps/1/types/0'],
    ]);
    expect(problems[0]!.hint).toContain('"kinds": ["marketing"]');
    expect(problems[1]!.hint).toContain('campaign');
  });
});
