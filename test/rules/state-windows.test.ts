// US state SMS laws stricter than TCPA's 8:00-21:00: each state's window at its edges in the contact's own
// time zone (DST days and a Texas Sunday included), and the state presumed from the SMS number's area code
// when the profile names none.
import { describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet, type ContactProfile } from '../../rules/index';
import { RULES_DIR, contact, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const person = (
  subdivision: string | null,
  timezone: string,
  phone = '+15550001111',
  country: string | null = 'US',
): ContactProfile =>
  contact({ country, subdivision, timezone }, [sub('sms', 'subscribed', { address: phone })]);
const ask = (c: ContactProfile, at: string, type = 'campaign') =>
  decideSend(rules, { contact: c, message: msg('sms', type), at: new Date(at) });

describe('state quiet hours for marketing SMS', () => {
  it.each([
    // Florida, Oklahoma, Maryland, Washington: 08:00-20:00
    ['US-FL', 'America/New_York', '2026-06-15T11:59:00Z', 'defer', '2026-06-15T12:00:00.000Z'], // 07:59
    ['US-FL', 'America/New_York', '2026-06-15T12:00:00Z', 'send', undefined], // 08:00
    ['US-FL', 'America/New_York', '2026-06-15T23:59:59Z', 'send', undefined], // 19:59:59
    ['US-FL', 'America/New_York', '2026-06-16T00:00:00Z', 'defer', '2026-06-16T12:00:00.000Z'], // 20:00
    ['US-OK', 'America/Chicago', '2026-06-16T01:00:00Z', 'defer', '2026-06-16T13:00:00.000Z'], // 20:00 CDT
    ['US-OK', 'America/Chicago', '2026-06-16T00:59:00Z', 'send', undefined], // 19:59 CDT
    ['US-MD', 'America/New_York', '2026-06-16T00:00:00Z', 'defer', '2026-06-16T12:00:00.000Z'],
    ['US-WA', 'America/Los_Angeles', '2026-06-16T03:00:00Z', 'defer', '2026-06-16T15:00:00.000Z'], // 20:00 PDT
    ['US-WA', 'America/Los_Angeles', '2026-06-16T02:59:00Z', 'send', undefined],
    // Connecticut: 09:00-20:00
    ['US-CT', 'America/New_York', '2026-06-15T12:59:00Z', 'defer', '2026-06-15T13:00:00.000Z'], // 08:59
    ['US-CT', 'America/New_York', '2026-06-15T13:00:00Z', 'send', undefined], // 09:00
    ['US-CT', 'America/New_York', '2026-06-16T00:00:00Z', 'defer', '2026-06-16T13:00:00.000Z'], // 20:00
    // New York has no law of its own: federal 08:00-21:00
    ['US-NY', 'America/New_York', '2026-06-16T00:30:00Z', 'send', undefined], // 20:30
    ['US-NY', 'America/New_York', '2026-06-16T01:00:00Z', 'defer', '2026-06-16T12:00:00.000Z'], // 21:00
  ] as const)('%s, %s, %s -> %s', (state, zone, at, verdict, notBefore) => {
    const d = ask(person(state, zone), at);
    expect(d.verdict).toBe(verdict);
    expect(d.notBefore).toBe(notBefore);
    if (verdict === 'defer') {
      const rule = state === 'US-NY' ? 'quiet-hours:us' : `quiet-hours:us:${state}`;
      expect(d.reasons).toHaveLength(1);
      expect(d.reasons[0]!.rule).toBe(rule);
      expect(d.reasons[0]!.message).toContain(`The contact's state is ${state} (from the profile)`);
    }
  });

  describe('Texas: Monday to Saturday 09:00-21:00, Sunday 12:00-21:00', () => {
    const tx = person('US-TX', 'America/Chicago');
    it.each([
      ['Saturday 08:59', '2026-06-13T13:59:00Z', 'defer', '2026-06-13T14:00:00.000Z'],
      ['Saturday 09:00', '2026-06-13T14:00:00Z', 'send', undefined],
      ['Saturday 20:59', '2026-06-14T01:59:00Z', 'send', undefined],
      [
        'Saturday 21:00 waits for Sunday noon, not 09:00',
        '2026-06-14T02:00:00Z',
        'defer',
        '2026-06-14T17:00:00.000Z',
      ],
      ['Sunday 09:30', '2026-06-14T14:30:00Z', 'defer', '2026-06-14T17:00:00.000Z'],
      ['Sunday 11:59', '2026-06-14T16:59:00Z', 'defer', '2026-06-14T17:00:00.000Z'],
      ['Sunday 12:00', '2026-06-14T17:00:00Z', 'send', undefined],
      ['Sunday 21:00 waits for Monday 09:00', '2026-06-15T02:00:00Z', 'defer', '2026-06-15T14:00:00.000Z'],
      ['Monday 09:00', '2026-06-15T14:00:00Z', 'send', undefined],
    ] as const)('%s -> %s', (_label, at, verdict, notBefore) => {
      const d = ask(tx, at);
      expect(d.verdict).toBe(verdict);
      expect(d.notBefore).toBe(notBefore);
      if (verdict === 'defer') expect(d.reasons[0]!.rule).toBe('quiet-hours:us:US-TX');
    });

    it('the Sunday reason names the Sunday hours and the local day', () => {
      const d = ask(tx, '2026-06-14T14:30:00Z');
      expect(d.reasons[0]!.message).toContain('between 12:00 and 21:00 on Sundays');
      expect(d.reasons[0]!.message).toContain('it is Sunday 09:30 there now');
    });

    it('spring forward (Sunday 8 March 2026): a Saturday-night text waits for Sunday noon CDT', () => {
      // Saturday 22:00 CST = 04:00Z; noon CDT (UTC-5) on Sunday = 17:00Z, not 18:00Z.
      expect(ask(tx, '2026-03-08T04:00:00Z')).toMatchObject({
        verdict: 'defer',
        notBefore: '2026-03-08T17:00:00.000Z',
      });
      // 10:00 CDT on the switch day
      expect(ask(tx, '2026-03-08T15:00:00Z')).toMatchObject({
        verdict: 'defer',
        notBefore: '2026-03-08T17:00:00.000Z',
      });
      expect(ask(tx, '2026-03-08T17:00:00Z').verdict).toBe('send');
    });

    it('fall back (Sunday 1 November 2026): noon CST is 18:00Z', () => {
      // Saturday 21:30 CDT = 02:30Z
      expect(ask(tx, '2026-11-01T02:30:00Z')).toMatchObject({
        verdict: 'defer',
        notBefore: '2026-11-01T18:00:00.000Z',
      });
      expect(ask(tx, '2026-11-01T17:59:00Z').verdict).toBe('defer'); // 11:59 CST
      expect(ask(tx, '2026-11-01T18:00:00Z').verdict).toBe('send');
    });
  });

  it('Florida on the spring-forward night waits until 08:00 EDT', () => {
    // Saturday 7 March 20:30 EST = 01:30Z; 08:00 EDT on 8 March = 12:00Z
    expect(ask(person('US-FL', 'America/New_York'), '2026-03-08T01:30:00Z')).toMatchObject({
      verdict: 'defer',
      notBefore: '2026-03-08T12:00:00.000Z',
    });
  });

  it('Florida on the fall-back night waits until 08:00 EST', () => {
    // Saturday 31 October 20:30 EDT = 00:30Z; 08:00 EST on 1 November = 13:00Z
    expect(ask(person('US-FL', 'America/New_York'), '2026-11-01T00:30:00Z')).toMatchObject({
      verdict: 'defer',
      notBefore: '2026-11-01T13:00:00.000Z',
    });
  });

  it('transactional messages are never held by a state window', () => {
    const c = person('US-CT', 'America/New_York');
    expect(ask(c, '2026-06-16T03:00:00Z', 'order_confirmation').verdict).toBe('send');
  });
});

describe('the state presumed from the area code of the SMS number', () => {
  it('a Miami number (305) without a subdivision is held at 20:30 like Florida, and the reason says why', () => {
    const d = ask(person(null, 'America/New_York', '+13055550123'), '2026-06-16T00:30:00Z');
    expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-06-16T12:00:00.000Z' });
    expect(d.reasons[0]!.rule).toBe('quiet-hours:us:US-FL');
    expect(d.reasons[0]!.message).toContain('presumed to be US-FL from area code 305 of the SMS number');
    expect(d.reasons[0]!.message).not.toContain('5550123');
  });

  it('an Austin number (512) waits for Sunday noon', () => {
    const d = ask(person(null, 'America/Chicago', '+15125550123'), '2026-06-14T15:00:00Z');
    expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-06-14T17:00:00.000Z' });
    expect(d.reasons[0]!.rule).toBe('quiet-hours:us:US-TX');
  });

  it('a Manhattan number (212) gets the federal hours: 20:30 is fine', () => {
    expect(ask(person(null, 'America/New_York', '+12125550123'), '2026-06-16T00:30:00Z').verdict).toBe(
      'send',
    );
  });

  it('a contact without a country is presumed by area code too (missing country is the US region)', () => {
    const d = ask(person(null, 'America/New_York', '+18605550123', null), '2026-06-15T12:30:00Z');
    expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-06-15T13:00:00.000Z' });
    expect(d.reasons[0]!.rule).toBe('quiet-hours:us:US-CT');
  });

  it('the profile wins over the area code', () => {
    const c = person('US-NY', 'America/New_York', '+13055550123');
    expect(ask(c, '2026-06-16T00:30:00Z').verdict).toBe('send');
  });

  it('an area code of no state (555) leaves the federal hours, and the reason says so', () => {
    const d = ask(person(null, 'America/New_York', '+15550001111'), '2026-06-16T01:30:00Z');
    expect(d.reasons[0]!.rule).toBe('quiet-hours:us');
    expect(d.reasons[0]!.message).toContain("The contact's state is not known");
  });

  it('the area code of the number that carries the message counts, not another one', () => {
    const c = contact({ country: 'US', timezone: 'America/New_York' }, [
      sub('sms', 'unsubscribed', { address: '+12125550123', priority: 0 }),
      sub('sms', 'subscribed', { address: '+13055550123', priority: 1 }),
    ]);
    const d = ask(c, '2026-06-16T00:30:00Z');
    expect(d.reasons[0]!.rule).toBe('quiet-hours:us:US-FL');
  });
});
