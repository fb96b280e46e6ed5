// `rules explain` speaks to marketers: each rule says whether it applies and why in terms of the contact and
// the message, never in engine terms (alternatives, halt, fact names), and "not before" is also given in the
// contact's own time.
import { describe, expect, it } from 'vitest';
import { decideWithEngine, explainDecision, loadRuleSet } from '../../rules/index';
import { RULES_DIR, contact, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);
const JARGON = [
  /alternatives/,
  /\bhalt\b/,
  /already suppressed/,
  /consentSuppressed/,
  /\bis (true|false)\b/,
  /\bfired\b/i,
  /blacklisted is/,
  /timezoneValid|localMinutes|subscriptionStatus|globalStatus|categoryState/,
];

async function explain(c: ReturnType<typeof contact>, m: ReturnType<typeof msg>, at: string) {
  const result = await decideWithEngine(rules, { contact: c, message: m, at: new Date(at) });
  return { text: explainDecision(result, { timezone: c.timezone }), decision: result.decision };
}

const US = { country: 'US', timezone: 'America/New_York' };

describe('rules explain in plain words', () => {
  it.each([
    [
      'a gate stops it',
      contact({ ...US, status: 'unsubscribed' }, [sub('sms', 'subscribed')]),
      msg('sms', 'abandoned_cart'),
      '2026-06-15T16:00:00Z',
    ],
    [
      'the matrix does not reach the column',
      contact(US, [sub('sms', 'non_subscribed')]),
      msg('sms', 'campaign'),
      '2026-06-15T16:00:00Z',
    ],
    [
      'the matrix has no row',
      contact({}, [sub('sms', 'subscribed')]),
      msg('sms', 'back_in_stock'),
      '2026-06-15T10:00:00Z',
    ],
    [
      'quiet hours hold it',
      contact(US, [sub('sms', 'subscribed')]),
      msg('sms', 'campaign'),
      '2026-06-15T03:00:00Z',
    ],
    [
      'it goes out',
      contact(US, [sub('email', 'subscribed')]),
      msg('email', 'campaign'),
      '2026-06-15T16:00:00Z',
    ],
    [
      'no subscription',
      contact(US, []),
      msg('email', 'campaign', { category: 'promo' }),
      '2026-06-15T16:00:00Z',
    ],
  ])('%s: no engine jargon', async (_, c, m, at) => {
    const { text } = await explain(c, m, at);
    for (const word of JARGON) expect(text).not.toMatch(word);
  });

  it('says why a gate applies, and why another does not, in words about the contact', async () => {
    const { text } = await explain(
      contact({ ...US, status: 'unsubscribed' }, [sub('sms', 'subscribed')]),
      msg('sms', 'abandoned_cart'),
      '2026-06-15T16:00:00Z',
    );
    expect(text).toMatch(
      /APPLIES\s+gate:global-status: .*\n\s+because the message is marketing and the contact's global status is unsubscribed/,
    );
    expect(text).toMatch(
      /does not apply\s+gate:blacklist: .*\n\s+because the contact's sms address is not on the blacklist/,
    );
    expect(text).toMatch(/not checked\s+quiet-hours:us/);
    expect(text).toMatch(/the message is already stopped, so sending hours do not matter/);
  });

  it('says why the matrix does not let a type reach the subscription', async () => {
    const { text } = await explain(
      contact(US, [sub('sms', 'non_subscribed')]),
      msg('sms', 'campaign'),
      '2026-06-15T16:00:00Z',
    );
    expect(text).toMatch(
      /APPLIES\s+matrix:sms\.us \(column\).*\n\s+because .*the subscription reads the non-subscribed column and campaign is not among the types the matrix lets reach it/,
    );
  });

  it('gives "not before" in UTC and in the contact\'s local time', async () => {
    const { text, decision } = await explain(
      contact(US, [sub('sms', 'subscribed')]),
      msg('sms', 'campaign'),
      '2026-06-15T03:00:00Z',
    );
    expect(decision.notBefore).toBe('2026-06-15T12:00:00.000Z');
    expect(text).toContain(
      "Not before: 2026-06-15T12:00:00.000Z (08:00 on Mon 15 Jun 2026 in America/New_York, the contact's local time)",
    );
  });
});
