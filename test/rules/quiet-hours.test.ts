// Marketing SMS only between 08:00 and 21:00 in the contact's own time zone (TCPA); outside, wait for the
// next 08:00 local, as a UTC instant, daylight saving included.
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet } from '../../rules/index';
import { RULES_DIR, contact, copyRules, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const us = (timezone: string | null = 'America/New_York') =>
  contact({ country: 'US', timezone }, [sub('sms', 'subscribed'), sub('email', 'subscribed')]);
const at = (iso: string) => new Date(iso);

describe('quiet hours for marketing SMS', () => {
  it.each([
    ['07:59 in New York', '2026-06-15T11:59:00Z', 'defer', '2026-06-15T12:00:00.000Z'],
    ['08:00 in New York', '2026-06-15T12:00:00Z', 'send', undefined],
    ['20:59 in New York', '2026-06-16T00:59:59Z', 'send', undefined],
    ['21:00 in New York: the window has closed', '2026-06-16T01:00:00Z', 'defer', '2026-06-16T12:00:00.000Z'],
    ['23:30 in New York', '2026-06-16T03:30:00Z', 'defer', '2026-06-16T12:00:00.000Z'],
  ] as const)('%s -> %s', (_label, when, verdict, notBefore) => {
    const d = decideSend(rules, { contact: us(), message: msg('sms', 'campaign'), at: at(when) });
    expect(d.verdict).toBe(verdict);
    expect(d.notBefore).toBe(notBefore);
    if (verdict === 'defer') {
      expect(d.address).toBeUndefined();
      expect(d.reasons).toEqual([
        { rule: 'quiet-hours:us', message: expect.stringContaining('08:00 and 21:00') as unknown },
      ]);
    }
  });

  it('the night before the spring-forward switch waits until 08:00 EDT, one hour earlier in UTC', () => {
    // 2026-03-07 21:30 EST; clocks go forward on 8 March at 02:00.
    const d = decideSend(rules, {
      contact: us(),
      message: msg('sms', 'birthday'),
      at: at('2026-03-08T02:30:00Z'),
    });
    expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-03-08T12:00:00.000Z' });
  });

  it('the night before the fall-back switch waits until 08:00 EST', () => {
    // 2026-10-31 21:30 EDT; clocks go back on 1 November at 02:00.
    const d = decideSend(rules, {
      contact: us(),
      message: msg('sms', 'birthday'),
      at: at('2026-11-01T01:30:00Z'),
    });
    expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-11-01T13:00:00.000Z' });
  });

  it("uses the contact's own zone: Berlin across its own switch, Kolkata with its half hour", () => {
    const berlin = contact({ country: 'DE', timezone: 'Europe/Berlin' }, [sub('sms', 'subscribed')]);
    expect(
      decideSend(rules, { contact: berlin, message: msg('sms', 'campaign'), at: at('2026-03-28T21:00:00Z') }),
    ).toMatchObject({
      verdict: 'defer',
      notBefore: '2026-03-29T06:00:00.000Z',
      reasons: [{ rule: 'quiet-hours:rest-of-world' }],
    });
    const kolkata = contact({ country: 'IN', timezone: 'Asia/Kolkata' }, [sub('sms', 'subscribed')]);
    expect(
      decideSend(rules, {
        contact: kolkata,
        message: msg('sms', 'campaign'),
        at: at('2026-06-15T02:00:00Z'),
      }),
    ).toMatchObject({
      verdict: 'defer',
      notBefore: '2026-06-15T02:30:00.000Z',
    });
  });

  it('confirmations by SMS and any email are not held at night', () => {
    const night = at('2026-06-15T07:00:00Z'); // 03:00 in New York
    expect(
      decideSend(rules, { contact: us(), message: msg('sms', 'order_confirmation'), at: night }).verdict,
    ).toBe('send');
    expect(decideSend(rules, { contact: us(), message: msg('email', 'campaign'), at: night }).verdict).toBe(
      'send',
    );
  });

  it('a missing or unknown time zone suppresses marketing SMS (fail closed) but nothing else', () => {
    const noon = at('2026-06-15T16:00:00Z');
    for (const tz of [null, 'Mars/Olympus_Mons', '']) {
      const d = decideSend(rules, { contact: us(tz), message: msg('sms', 'campaign'), at: noon });
      expect(d).toMatchObject({ verdict: 'suppress', reasons: [{ rule: 'quiet-hours:timezone' }] });
      expect(
        decideSend(rules, { contact: us(tz), message: msg('sms', 'shipping_confirmation'), at: noon })
          .verdict,
      ).toBe('send');
      expect(
        decideSend(rules, { contact: us(tz), message: msg('email', 'campaign'), at: noon }).verdict,
      ).toBe('send');
    }
  });

  it('the window is a value in quiet-hours.json', () => {
    const copy = copyRules();
    try {
      copy.edit('quiet-hours.json', (j) => {
        j.windows[0].from = '10:00';
        j.windows[0].until = '18:00';
      });
      const narrow = loadRuleSet(copy.dir);
      const nine = at('2026-06-15T13:00:00Z'); // 09:00 in New York
      expect(decideSend(rules, { contact: us(), message: msg('sms', 'campaign'), at: nine }).verdict).toBe(
        'send',
      );
      expect(decideSend(narrow, { contact: us(), message: msg('sms', 'campaign'), at: nine })).toMatchObject({
        verdict: 'defer',
        notBefore: '2026-06-15T14:00:00.000Z',
      });
    } finally {
      copy.remove();
    }
  });

  it('a message consent forbids is suppressed, not deferred, at night', () => {
    const c = contact({ country: 'US', timezone: 'America/New_York' }, [sub('sms', 'unsubscribed')]);
    expect(
      decideSend(rules, { contact: c, message: msg('sms', 'campaign'), at: at('2026-06-15T07:00:00Z') })
        .verdict,
    ).toBe('suppress');
  });
});
