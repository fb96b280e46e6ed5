// How long a send decision holds by the clock alone: until the first second the same question gets another
// answer (quiet hours beginning), never more than the bound.
import { describe, expect, test } from 'vitest';
import { decideSend, loadRuleSet } from '../../rules';
import { decisionValidUntil } from '../../rules/validity';
import { RULES_DIR, contact, sub } from './support';

const rs = loadRuleSet(RULES_DIR);
const us = contact({ country: 'US', timezone: 'America/New_York' }, [sub('sms', 'subscribed')]);
const sms = { channel: 'sms' as const, type: 'welcome' as const };
const validUntil = (at: string, maxMs = 60_000) => {
  const input = { contact: us, message: sms, at: new Date(at) };
  return new Date(decisionValidUntil(rs, input, decideSend(rs, input), maxMs)).toISOString();
};

describe('decisionValidUntil', () => {
  test('a marketing SMS decided 30 s before quiet hours is valid until the last second before them', () => {
    expect(decideSend(rs, { contact: us, message: sms, at: new Date('2026-03-05T01:59:30Z') }).verdict).toBe(
      'send',
    );
    expect(validUntil('2026-03-05T01:59:30.000Z')).toBe('2026-03-05T01:59:59.000Z');
  });

  test('far from any time rule, the full bound', () => {
    expect(validUntil('2026-03-05T17:00:00.000Z')).toBe('2026-03-05T17:01:00.000Z');
    expect(validUntil('2026-03-05T17:00:00.000Z', 5_000)).toBe('2026-03-05T17:00:05.000Z');
  });

  test('a defer stays a defer until quiet hours end', () => {
    const at = new Date('2026-03-05T12:59:30Z'); // 07:59:30 in New York: deferred to 08:00
    const input = { contact: us, message: sms, at };
    const d = decideSend(rs, input);
    expect(d.verdict).toBe('defer');
    expect(new Date(decisionValidUntil(rs, input, d, 60_000)).toISOString()).toBe('2026-03-05T12:59:59.000Z');
  });

  test('a transactional email has no time rule: the bound', () => {
    const input = {
      contact: contact({}, [sub('email', 'subscribed')]),
      message: { channel: 'email' as const, type: 'order_confirmation' as const },
      at: new Date('2026-03-05T01:59:30Z'),
    };
    expect(new Date(decisionValidUntil(rs, input, decideSend(rs, input), 60_000)).toISOString()).toBe(
      '2026-03-05T02:00:30.000Z',
    );
  });
});
