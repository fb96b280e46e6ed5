// The decide contract's request validator and batch answering, without a child process.
import { describe, expect, it } from 'vitest';
import { decideBatch, loadRuleSet, validateDecideRequest } from '../../rules/index';
import { RULES_DIR, contact, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const ok = {
  contact: contact({}, [sub('email', 'subscribed')]),
  message: { channel: 'email', type: 'campaign' },
};

describe('validateDecideRequest', () => {
  it.each([
    [{ ...ok, message: { channel: 'email', type: 'campaing' } }, '/message/type', 'Did you mean "campaign"?'],
    [{ ...ok, contact: { ...ok.contact, country: 'usa' } }, '/contact/country', 'ISO 3166-1'],
    [{ ...ok, at: '2026-02-30T10:00:00Z' }, '/at', 'ISO-8601'],
    [{ ...ok, at: '2026-06-01T10:00:00' }, '/at', 'offset'],
    [{ ...ok, extra: 1 }, '/extra', 'Remove it'],
    [{ message: ok.message }, '/contact', 'exactly one'],
    [{ ...ok, contactId: 'x' }, '/contactId', 'exactly one'],
    [
      {
        ...ok,
        contact: { ...ok.contact, subscriptions: [{ ...sub('sms', 'subscribed'), status: 'opted_in' }] },
      },
      '/contact/subscriptions/0/status',
      'non_subscribed',
    ],
  ])('%j -> %s', (request, path, words) => {
    const check = validateDecideRequest(request, rules.messageTypes);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.error.path).toBe(path);
      expect(check.error.message).toContain(words);
    }
  });

  it('accepts a complete request', () => {
    expect(validateDecideRequest({ id: 'x', ...ok, at: '2026-06-01T10:00:00+02:00' }).ok).toBe(true);
  });
});

describe('decideBatch', () => {
  it('looks stored contacts up once per batch and reports unknown ids per line', async () => {
    const calls: string[][] = [];
    const lookup = (ids: string[]) => {
      calls.push(ids);
      return Promise.resolve(new Map([['known', contact({}, [sub('email', 'subscribed')])]]));
    };
    const line = (id: string, contactId: string) =>
      JSON.stringify({ id, contactId, message: { channel: 'email', type: 'welcome' } });
    const result = await decideBatch([line('1', 'known'), line('2', 'missing'), line('3', 'known')], {
      ruleSet: rules,
      lookup,
    });
    expect(calls).toEqual([['known', 'missing']]);
    expect(result.invalid).toBe(1);
    expect(result.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ id: '1', verdict: 'send', address: 'ann@example.com' }),
      {
        id: '2',
        error: {
          path: '/contactId',
          message: expect.stringContaining('No contact with id "missing"') as unknown,
        },
      },
      expect.objectContaining({ id: '3', verdict: 'send' }),
    ]);
  });

  it('defaults "at" to now', async () => {
    const now = new Date('2026-06-15T07:00:00Z'); // 03:00 in New York
    const request = {
      contact: contact({ country: 'US', timezone: 'America/New_York' }, [sub('sms', 'subscribed')]),
      message: { channel: 'sms', type: 'campaign' },
    };
    const { lines } = await decideBatch([JSON.stringify(request)], { ruleSet: rules, now: () => now });
    expect(JSON.parse(lines[0]!)).toMatchObject({ verdict: 'defer', notBefore: '2026-06-15T12:00:00.000Z' });
  });
});
