// Every state's SMS window at all four edges (the minute before it opens, the opening, the last minute, the
// closing) on an ordinary weekday, an ordinary Sunday, both DST Sundays and the Saturdays before them, in the
// state's own time zone. The expected instants are computed here with luxon from the statutes' local hours,
// not by the code under test; both evaluators must give the same decision.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { decideSend, decideWithEngine, loadRuleSet, type ContactProfile } from '../../rules/index';
import { RULES_DIR, contact, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);

/** Local opening and closing hour per weekday (luxon: 1 = Monday ... 7 = Sunday). */
type Hours = (weekday: number) => [number, number];
const STATES: Array<{ state: string | null; zone: string; hours: Hours; rule: string }> = [
  { state: 'US-FL', zone: 'America/New_York', hours: () => [8, 20], rule: 'quiet-hours:us:US-FL' },
  { state: 'US-OK', zone: 'America/Chicago', hours: () => [8, 20], rule: 'quiet-hours:us:US-OK' },
  { state: 'US-MD', zone: 'America/New_York', hours: () => [8, 20], rule: 'quiet-hours:us:US-MD' },
  { state: 'US-WA', zone: 'America/Los_Angeles', hours: () => [8, 20], rule: 'quiet-hours:us:US-WA' },
  { state: 'US-CT', zone: 'America/New_York', hours: () => [9, 20], rule: 'quiet-hours:us:US-CT' },
  {
    state: 'US-TX',
    zone: 'America/Chicago',
    hours: (d) => (d === 7 ? [12, 21] : [9, 21]),
    rule: 'quiet-hours:us:US-TX',
  },
  // no law of its own, and no state known: the federal hours
  { state: 'US-NY', zone: 'America/New_York', hours: () => [8, 21], rule: 'quiet-hours:us' },
  { state: null, zone: 'America/Denver', hours: () => [8, 21], rule: 'quiet-hours:us' },
];
const DAYS = [
  '2026-06-15', // Monday
  '2026-06-14', // Sunday
  '2026-03-07', // Saturday before spring forward: its evening waits into the DST Sunday
  '2026-03-08', // spring forward
  '2026-10-31', // Saturday before fall back
  '2026-11-01', // fall back
];

interface Case {
  name: string;
  c: ContactProfile;
  at: Date;
  verdict: 'send' | 'defer';
  notBefore?: string;
  rule: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const s of STATES)
    for (const day of DAYS) {
      const date = DateTime.fromISO(day, { zone: s.zone });
      const [open, close] = s.hours(date.weekday);
      const local = (h: number, m: number, d = date) => d.set({ hour: h, minute: m }).toUTC();
      const tomorrow = date.plus({ days: 1 });
      const next = local(s.hours(tomorrow.weekday)[0], 0, tomorrow).toISO();
      const today = local(open, 0).toISO();
      const c = contact({ country: 'US', subdivision: s.state, timezone: s.zone }, [
        sub('sms', 'subscribed', { address: '+15550001111' }),
      ]);
      const add = (what: string, at: DateTime, verdict: 'send' | 'defer', notBefore?: string | null) =>
        out.push({
          name: `${s.state ?? 'no state'} ${day} ${what}`,
          c,
          at: at.toJSDate(),
          verdict,
          ...(notBefore ? { notBefore } : {}),
          rule: s.rule,
        });
      add(`${open - 1}:59`, local(open - 1, 59), 'defer', today);
      add(`${open}:00`, local(open, 0), 'send');
      add(`${close - 1}:59`, local(close - 1, 59), 'send');
      add(`${close}:00`, local(close, 0), 'defer', next);
    }
  return out;
}

describe('each state window at its edges, DST days and Sundays included', () => {
  const all = cases();
  it.each(all.map((c) => [c.name, c] as const))('%s', async (_name, k) => {
    const input = { contact: k.c, message: msg('sms', 'campaign'), at: k.at };
    const d = decideSend(rules, input);
    expect(d.verdict).toBe(k.verdict);
    expect(d.notBefore).toBe(k.notBefore);
    if (k.verdict === 'defer') expect(d.reasons.map((r) => r.rule)).toEqual([k.rule]);
    expect((await decideWithEngine(rules, input)).decision).toEqual(d);
  });
  it('covers every state with a law of its own', () => {
    expect(all).toHaveLength(STATES.length * DAYS.length * 4);
  });
});
