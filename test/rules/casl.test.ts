// Canada (CASL): a non-subscribed contact gets marketing only while implied consent from a purchase (24 months)
// or an inquiry (6 months) lasts, through the same calendar date in the contact's time zone. Every decision
// here is made by both evaluators, which must agree to the letter.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose */
import { afterAll, describe, expect, it } from 'vitest';
import {
  decideSend,
  decideWithEngine,
  explainDecision,
  lintRuleSet,
  loadRuleSet,
  validateDecideRequest,
  type RuleSetError,
  type ContactProfile,
  type Decision,
  type ImpliedConsent,
  type MessageSpec,
  type Subscription,
} from '../../rules/index';
import { RULES_DIR, copyRules, msg, sub } from './support';

const rules = loadRuleSet(RULES_DIR);

function canadian(
  impliedConsent: ImpliedConsent | null | undefined,
  subs: Subscription[] = [sub('email', 'non_subscribed')],
  timezone: string | null = 'America/Toronto',
): ContactProfile {
  return {
    status: 'subscribed',
    country: 'CA',
    timezone,
    ...(impliedConsent !== undefined ? { impliedConsent } : {}),
    subscriptions: subs,
  };
}

/** Both evaluators' decision, required to be the same. */
async function decide(contact: ContactProfile, message: MessageSpec, at: string): Promise<Decision> {
  const input = { contact, message, at: new Date(at) };
  const fast = decideSend(rules, input);
  const { decision } = await decideWithEngine(rules, input);
  expect(decision).toEqual(fast);
  return fast;
}

const CART = msg('email', 'abandoned_cart');
// Toronto is UTC-4 in summer and UTC-5 in winter (2026-03-08 onwards: EDT).
const LAST_MINUTE = (date: string) => `${date}T23:59:00-04:00`;
const FIRST_MINUTE = (date: string) => `${date}T00:00:00-04:00`;

describe('CASL implied consent in region ca', () => {
  it('a non-subscribed Canadian without a purchase or inquiry on record gets no marketing (fail closed)', async () => {
    for (const ic of [undefined, null]) {
      const d = await decide(canadian(ic), CART, '2026-06-15T16:00:00Z');
      expect(d.verdict).toBe('suppress');
      expect(d.reasons.map((r) => r.rule)).toEqual(['casl:implied-consent']);
      expect(d.reasons[0]!.message).toMatch(/none on record/);
    }
  });

  it('a purchase lasts through the same calendar date two years later, in local time', async () => {
    const c = canadian({ basis: 'purchase', at: '2024-03-15' });
    expect((await decide(c, CART, LAST_MINUTE('2026-03-15'))).verdict).toBe('send');
    const after = await decide(c, CART, FIRST_MINUTE('2026-03-16'));
    expect(after.verdict).toBe('suppress');
    expect(after.reasons).toHaveLength(1);
    expect(after.reasons[0]!.rule).toMatch(/^casl:/);
    // which basis, and when it ended
    expect(after.reasons[0]!.message).toContain('the purchase on 2024-03-15 gave it for 24 months');
    expect(after.reasons[0]!.message).toContain('through 2026-03-15');
    expect(after.reasons[0]!.message).toContain('(2026-03-16)');
    // the purchase day itself counts
    expect((await decide(c, CART, FIRST_MINUTE('2024-03-15'))).verdict).toBe('send');
  });

  it('an inquiry lasts through the same calendar date six months later', async () => {
    const c = canadian({ basis: 'inquiry', at: '2025-09-15' });
    expect((await decide(c, CART, LAST_MINUTE('2026-03-15'))).verdict).toBe('send');
    const after = await decide(c, CART, FIRST_MINUTE('2026-03-16'));
    expect(after.verdict).toBe('suppress');
    expect(after.reasons[0]!.rule).toBe('casl:implied-consent');
    expect(after.reasons[0]!.message).toContain('the inquiry on 2025-09-15 gave it for 6 months');
    expect(after.reasons[0]!.message).toContain('through 2026-03-15');
  });

  it('a month end the later month lacks ends consent on its last day', async () => {
    const leap = canadian({ basis: 'purchase', at: '2024-02-29' });
    expect((await decide(leap, CART, '2026-02-28T23:59:00-05:00')).verdict).toBe('send');
    expect((await decide(leap, CART, '2026-03-01T00:00:00-05:00')).verdict).toBe('suppress');
    const august = canadian({ basis: 'inquiry', at: '2025-08-31' });
    expect((await decide(august, CART, '2026-02-28T12:00:00-05:00')).verdict).toBe('send');
    expect((await decide(august, CART, '2026-03-01T12:00:00-05:00')).verdict).toBe('suppress');
  });

  it("the day is the contact's local date; without a time zone the UTC date", async () => {
    const ic = { basis: 'purchase', at: '2024-03-15' } as const;
    // 02:00 UTC on 2026-03-16 is still 2026-03-15 in Vancouver, already 2026-03-16 in UTC
    const at = '2026-03-16T02:00:00Z';
    expect((await decide(canadian(ic, undefined, 'America/Vancouver'), CART, at)).verdict).toBe('send');
    expect((await decide(canadian(ic, undefined, null), CART, at)).verdict).toBe('suppress');
  });

  it('a purchase dated after the day of the message gives no consent yet', async () => {
    const d = await decide(canadian({ basis: 'purchase', at: '2026-07-01' }), CART, '2026-06-15T16:00:00Z');
    expect(d).toMatchObject({ verdict: 'suppress', reasons: [{ rule: 'casl:implied-consent' }] });
    expect(d.reasons[0]!.message).toContain('dated 2026-07-01, after the day of this message (2026-06-15)');
  });

  it('the decision is relative to its instant: the same contact, two instants, two verdicts', async () => {
    const c = canadian({ basis: 'inquiry', at: '2026-01-10' });
    expect((await decide(c, CART, '2026-07-10T12:00:00Z')).verdict).toBe('send');
    expect((await decide(c, CART, '2026-07-11T12:00:00Z')).verdict).toBe('suppress');
  });

  it('express consent (subscribed) never expires; confirmations need no consent', async () => {
    const old = { basis: 'purchase', at: '2001-01-01' } as const;
    const subscribed = canadian(old, [sub('email', 'subscribed')]);
    expect((await decide(subscribed, msg('email', 'campaign'), '2026-06-15T16:00:00Z')).verdict).toBe('send');
    expect(
      (await decide(canadian(null, [sub('email', 'subscribed')]), CART, '2026-06-15T16:00:00Z')).verdict,
    ).toBe('send');
    const receipt = await decide(canadian(null), msg('email', 'order_confirmation'), '2026-06-15T16:00:00Z');
    expect(receipt.verdict).toBe('send');
  });

  it('consent reasons come first: a type the matrix never lets reach non-subscribed contacts says so too', async () => {
    const d = await decide(canadian(null), msg('email', 'campaign'), '2026-06-15T16:00:00Z');
    expect(d.reasons.map((r) => r.rule)).toEqual(['matrix:email', 'casl:implied-consent']);
    const valid = await decide(
      canadian({ basis: 'purchase', at: '2026-01-01' }),
      msg('email', 'campaign'),
      '2026-06-15T16:00:00Z',
    );
    expect(valid.reasons.map((r) => r.rule)).toEqual(['matrix:email']);
  });

  it('SMS: valid consent goes out within the hours, expired consent is suppressed whatever the hour', async () => {
    const phone = [sub('sms', 'non_subscribed', { address: '+14165550123' })];
    const review = msg('sms', 'product_review');
    const valid = canadian({ basis: 'purchase', at: '2026-01-01' }, phone);
    expect((await decide(valid, review, '2026-06-15T16:00:00Z')).verdict).toBe('send');
    expect(await decide(valid, review, '2026-06-15T03:00:00Z')).toMatchObject({
      verdict: 'defer',
      reasons: [{ rule: 'quiet-hours:ca' }],
    });
    const expired = canadian({ basis: 'inquiry', at: '2025-01-01' }, phone);
    expect(await decide(expired, review, '2026-06-15T03:00:00Z')).toMatchObject({
      verdict: 'suppress',
      reasons: [{ rule: 'casl:implied-consent' }],
    });
  });

  it('another subscription with express consent carries the message when implied consent has lapsed', async () => {
    const c = canadian({ basis: 'inquiry', at: '2020-01-01' }, [
      sub('email', 'non_subscribed', { address: 'old@example.com', priority: 1 }),
      sub('email', 'subscribed', { address: 'new@example.com', priority: 2 }),
    ]);
    expect(await decide(c, CART, '2026-06-15T16:00:00Z')).toMatchObject({
      verdict: 'send',
      address: 'new@example.com',
    });
  });

  it('other regions ignore implied consent', async () => {
    const us: ContactProfile = { ...canadian(null), country: 'US', timezone: 'America/New_York' };
    expect((await decide(us, CART, '2026-06-15T16:00:00Z')).verdict).toBe('send');
  });
});

describe('the request, lint and explain know implied consent', () => {
  const request = (impliedConsent: unknown) => ({
    contact: { ...canadian(null), impliedConsent },
    message: CART,
  });

  it('a request carries it; a wrong basis or a date that does not exist is an input error', () => {
    expect(validateDecideRequest(request({ basis: 'purchase', at: '2024-03-15' })).ok).toBe(true);
    for (const [bad, path] of [
      [{ basis: 'visit', at: '2024-03-15' }, '/contact/impliedConsent'],
      [{ basis: 'purchase', at: '2026-02-30' }, '/contact/impliedConsent'],
      [{ basis: 'purchase', at: '2024-03-15T10:00:00Z' }, '/contact/impliedConsent'],
      [{ basis: 'purchase' }, '/contact/impliedConsent'],
    ] as const) {
      const check = validateDecideRequest(request(bad));
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.error.path.startsWith(path)).toBe(true);
    }
  });

  const copy = copyRules();
  afterAll(() => copy.remove());

  it('the default rules raise no CASL warning', () => {
    const checks = lintRuleSet(rules).map((w) => w.check);
    expect(checks).not.toContain('casl-without-implied-consent');
    expect(checks).not.toContain('implied-consent-longer');
    expect(checks).not.toContain('sms-without-quiet-hours');
  });

  it('lint warns about implied consent longer than CASL allows', () => {
    copy.edit('regions.ca.json', (j) => (j.regions[0].impliedConsent.months.inquiry = 12));
    const found = lintRuleSet(loadRuleSet(copy.dir)).filter((w) => w.check === 'implied-consent-longer');
    expect(found.map((w) => [w.file, w.pointer])).toEqual([
      ['regions.ca.json', '/regions/0/impliedConsent/months/inquiry'],
    ]);
    expect(found[0]!.message).toContain('12 months; CASL allows 6');
  });

  it('lint warns when marketing reaches non-subscribed Canadians with no implied-consent rule', () => {
    copy.edit('regions.ca.json', (j) => delete j.regions[0].impliedConsent);
    const found = lintRuleSet(loadRuleSet(copy.dir)).filter(
      (w) => w.check === 'casl-without-implied-consent',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('abandoned cart by email in region ca');
    // without a region of its own, Canada falls into rest-of-world, which has no rule either
    copy.remove('regions.ca.json');
    copy.edit(
      'quiet-hours.json',
      (j) => (j.windows = j.windows.filter((w: { region: string }) => w.region !== 'ca')),
    );
    const fallback = lintRuleSet(loadRuleSet(copy.dir)).filter(
      (w) => w.check === 'casl-without-implied-consent',
    );
    expect(fallback[0]!.message).toContain('in region rest-of-world');
  });

  it('a malformed implied-consent rule is a problem naming where and how to fix it', () => {
    const broken = copyRules();
    try {
      broken.edit('regions.ca.json', (j) => {
        j.regions[0].impliedConsent.id = 'implied';
        j.regions[0].impliedConsent.months = { purchase: 0 };
      });
      let problems: Array<{ file: string; pointer: string; message: string }> = [];
      try {
        loadRuleSet(broken.dir);
      } catch (err) {
        problems = (err as RuleSetError).problems;
      }
      expect(problems.map((p) => [p.file, p.pointer])).toEqual([
        ['regions.ca.json', '/regions/0/impliedConsent/id'],
        ['regions.ca.json', '/regions/0/impliedConsent/months'],
        ['regions.ca.json', '/regions/0/impliedConsent/months/purchase'],
      ]);
      expect(problems[1]!.message).toContain('"inquiry" is missing');
    } finally {
      broken.remove();
    }
  });

  it('explain names the basis, its dates and the rule that stopped the message', async () => {
    const c = canadian({ basis: 'purchase', at: '2024-03-15' });
    const result = await decideWithEngine(rules, {
      contact: c,
      message: CART,
      at: new Date('2026-03-16T16:00:00Z'),
    });
    const text = explainDecision(result, { timezone: c.timezone });
    expect(text).toContain(
      'implied consent (CASL) on 2026-03-16: purchase on 2024-03-15, 24 months, through 2026-03-15 (expired)',
    );
    expect(text).toMatch(/APPLIES\s+casl:implied-consent \(expired\)/);
    expect(text).toContain('[casl:implied-consent]');
  });
});
