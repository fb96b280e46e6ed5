// Categories: "the message has no category" and "the subscription does not mention the message's category"
// are two states, so an opt-in-only category rule leaves uncategorized messages alone; and the message's
// category name is a fact gates can test.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose */
import { afterEach, describe, expect, it } from 'vitest';
import { decideSend, decideWithEngine, loadRuleSet, RuleSetError, type RuleSet } from '../../rules/index';
import { NOON, contact, copyRules, msg, sub } from './support';

let copy: ReturnType<typeof copyRules> | undefined;
afterEach(() => copy?.remove());

function withGate(gate: object): RuleSet {
  copy = copyRules();
  copy.edit('gates.json', (j) => j.gates.push(gate));
  return loadRuleSet(copy.dir);
}

async function both(
  rs: RuleSet,
  categories: Record<string, 'subscribed' | 'unsubscribed'> | undefined,
  category?: string,
) {
  const input = {
    contact: contact({}, [sub('email', 'subscribed', categories ? { categories } : {})]),
    message: msg('email', 'campaign', category ? { category } : {}),
    at: NOON,
  };
  const compiled = decideSend(rs, input);
  expect((await decideWithEngine(rs, input)).decision).toEqual(compiled);
  return compiled.reasons.map((r) => r.rule).filter((r) => r.startsWith('gate:'));
}

describe('category state', () => {
  it('an opt-in-only rule stops a category the subscription never mentioned, not an uncategorized message', async () => {
    const rs = withGate({
      id: 'gate:category-opt-in',
      when: { all: [{ fact: 'categoryState', operator: 'in', value: ['unsubscribed', 'not_mentioned'] }] },
      message: 'Category messages go only to contacts who opted in to the category.',
    });
    expect(await both(rs, undefined)).toEqual([]);
    expect(await both(rs, { news: 'subscribed' })).toEqual([]);
    expect(await both(rs, { news: 'subscribed' }, 'promo')).toEqual(['gate:category-opt-in']);
    expect(await both(rs, undefined, 'promo')).toEqual(['gate:category-opt-in']);
    expect(await both(rs, { promo: 'subscribed' }, 'promo')).toEqual([]);
    expect(await both(rs, { promo: 'unsubscribed' }, 'promo')).toEqual([
      'gate:category',
      'gate:category-opt-in',
    ]);
  });

  it('"no_category" matches only messages without a category', async () => {
    const rs = withGate({
      id: 'gate:uncategorized',
      when: { all: [{ fact: 'categoryState', operator: 'equal', value: 'no_category' }] },
      message: 'Every campaign must have a category.',
    });
    expect(await both(rs, undefined)).toEqual(['gate:uncategorized']);
    expect(await both(rs, undefined, 'promo')).toEqual([]);
  });

  it('the old value "none" is refused with the two values that replace it', () => {
    copy = copyRules();
    copy.edit('gates.json', (j) =>
      j.gates.push({
        id: 'gate:old',
        when: { all: [{ fact: 'categoryState', operator: 'equal', value: 'none' }] },
        message: 'x',
      }),
    );
    try {
      loadRuleSet(copy.dir);
      throw new Error('loaded');
    } catch (err) {
      expect(err).toBeInstanceOf(RuleSetError);
      const [p] = (err as RuleSetError).problems;
      expect(p!.hint).toContain('"no_category"');
      expect(p!.hint).toContain('"not_mentioned"');
    }
  });
});

describe('the category fact', () => {
  it('a gate can name the message category; other categories and none pass', async () => {
    const rs = withGate({
      id: 'gate:no-promo-unless-opted-in',
      when: {
        all: [
          { fact: 'category', operator: 'in', value: ['promo', 'flash-sale'] },
          { fact: 'categoryState', operator: 'notEqual', value: 'subscribed' },
        ],
      },
      message: 'Promotions go only to contacts who opted in to them.',
    });
    expect(await both(rs, undefined, 'promo')).toEqual(['gate:no-promo-unless-opted-in']);
    expect(await both(rs, undefined, 'flash-sale')).toEqual(['gate:no-promo-unless-opted-in']);
    expect(await both(rs, { promo: 'subscribed' }, 'promo')).toEqual([]);
    expect(await both(rs, undefined, 'news')).toEqual([]);
    expect(await both(rs, undefined, 'Promo')).toEqual([]);
    expect(await both(rs, undefined)).toEqual([]);
  });

  it('notEqual / notIn treat an unknown category and no category as not equal', async () => {
    const rs = withGate({
      id: 'gate:only-news',
      when: {
        all: [
          { fact: 'category', operator: 'notEqual', value: 'news' },
          { fact: 'category', operator: 'notEqual', value: null },
        ],
      },
      message: 'Only the news category may be sent.',
    });
    expect(await both(rs, undefined, 'news')).toEqual([]);
    expect(await both(rs, undefined, 'anything-else')).toEqual(['gate:only-news']);
    expect(await both(rs, undefined)).toEqual([]);
  });
});
