// Message types come from message-types.json: a marketer adds a type and says which matrix row it follows,
// with no change to code. Both evaluators, the automation definitions and the decide activity accept it.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { afterEach, describe, expect, it } from 'vitest';
import { decideSend, decideWithEngine, loadRuleSet, RuleSetError, type RuleProblem } from '../../rules/index';
import { NOON, RULES_DIR, contact, copyRules, msg, sub } from './support';

let copy: ReturnType<typeof copyRules> | undefined;
afterEach(() => copy?.remove());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rule files as JSON

function load(edit: (c: ReturnType<typeof copyRules>) => void) {
  copy = copyRules();
  edit(copy);
  return loadRuleSet(copy.dir);
}
function problemsOf(edit: (c: ReturnType<typeof copyRules>) => void): RuleProblem[] {
  try {
    load(edit);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleSetError);
    return (err as RuleSetError).problems;
  }
  throw new Error('the broken rules loaded without error');
}
const addType = (entry: Json) => (c: ReturnType<typeof copyRules>) =>
  c.edit('message-types.json', (j) => j.types.push(entry));

describe('the loaded rule set says which message types exist', () => {
  it('the default rules list the Omnisend types, transactional ones included', () => {
    const rs = loadRuleSet(RULES_DIR);
    expect(rs.messageTypes).toContain('campaign');
    expect(rs.messageTypes).toContain('order_confirmation');
    expect(rs.messageTypes).not.toContain('newsletter');
  });
});

describe('a type added in message-types.json, following a matrix row', () => {
  it('is decided like the row it follows, on every channel and region, by both evaluators', async () => {
    const rs = load(addType({ type: 'newsletter', follows: 'campaign' }));
    expect(rs.messageTypes).toContain('newsletter');
    const cases = [
      { c: contact({}, [sub('email', 'subscribed')]), m: msg('email', 'newsletter') },
      { c: contact({}, [sub('email', 'non_subscribed')]), m: msg('email', 'newsletter') },
      {
        c: contact({ country: 'US', timezone: 'America/New_York' }, [sub('sms', 'subscribed')]),
        m: msg('sms', 'newsletter'),
      },
      {
        c: contact({ country: 'US', timezone: 'America/New_York' }, [sub('sms', 'non_subscribed')]),
        m: msg('sms', 'newsletter'),
      },
      {
        c: contact({ status: 'unsubscribed' }, [sub('email', 'subscribed')]),
        m: msg('email', 'newsletter'),
      },
    ];
    const verdicts = [];
    for (const { c, m } of cases) {
      const asCampaign = decideSend(rs, { contact: c, message: { ...m, type: 'campaign' }, at: NOON });
      const d = decideSend(rs, { contact: c, message: m, at: NOON });
      expect(d.verdict).toBe(asCampaign.verdict);
      expect((await decideWithEngine(rs, { contact: c, message: m, at: NOON })).decision).toEqual(d);
      verdicts.push(d.verdict);
    }
    expect(verdicts).toEqual(['send', 'suppress', 'send', 'suppress', 'suppress']);
  });

  it('is marketing unless marked transactional: quiet hours hold it at night, not a transactional one', () => {
    const night = new Date('2026-06-15T01:00:00Z'); // 03:00 in Berlin
    const c = contact({}, [sub('sms', 'subscribed')]);
    const marketing = load(addType({ type: 'newsletter', follows: 'campaign' }));
    expect(decideSend(marketing, { contact: c, message: msg('sms', 'newsletter'), at: night }).verdict).toBe(
      'defer',
    );
    copy!.remove();
    const receipt = load(addType({ type: 'invoice', follows: 'order_confirmation', transactional: true }));
    expect(decideSend(receipt, { contact: c, message: msg('sms', 'invoice'), at: night }).verdict).toBe(
      'send',
    );
  });

  it('a row of its own in a matrix wins over the row it follows', () => {
    const rs = load((c) => {
      addType({ type: 'newsletter', follows: 'campaign' })(c);
      c.edit('matrix.email.json', (j) =>
        j.rows.push({ type: 'newsletter', reaches: ['subscribed', 'non_subscribed'] }),
      );
    });
    const d = decideSend(rs, {
      contact: contact({}, [sub('email', 'non_subscribed')]),
      message: msg('email', 'newsletter'),
      at: NOON,
    });
    expect(d.verdict).toBe('send');
  });

  it('without "follows" and without rows it is never sent, and says so', () => {
    const rs = load(addType({ type: 'newsletter' }));
    const d = decideSend(rs, {
      contact: contact({}, [sub('email', 'subscribed')]),
      message: msg('email', 'newsletter'),
      at: NOON,
    });
    expect(d.verdict).toBe('suppress');
    expect(d.reasons[0]!.message).toContain('no row for newsletter');
  });

  it('can be named in a gate', () => {
    const rs = load((c) => {
      addType({ type: 'newsletter', follows: 'campaign' })(c);
      c.edit('gates.json', (j) =>
        j.gates.push({
          id: 'gate:no-newsletter-sms',
          when: {
            all: [
              { fact: 'type', operator: 'equal', value: 'newsletter' },
              { fact: 'channel', operator: 'equal', value: 'sms' },
            ],
          },
          message: 'No newsletters by SMS.',
        }),
      );
    });
    const d = decideSend(rs, {
      contact: contact({}, [sub('sms', 'subscribed')]),
      message: msg('sms', 'newsletter'),
      at: NOON,
    });
    expect(d.reasons.map((r) => r.rule)).toEqual(['gate:no-newsletter-sms']);
  });
});

describe('mistakes in message types are named', () => {
  it('"follows" an unknown type, itself, or a type that follows another', () => {
    const problems = problemsOf((c) =>
      c.edit('message-types.json', (j) => {
        j.types.push({ type: 'newsletter', follows: 'campain' });
        j.types.push({ type: 'digest', follows: 'digest' });
        j.types.push({ type: 'promo', follows: 'newsletter' });
      }),
    );
    const n = loadRuleSet(RULES_DIR).messageTypes.length;
    expect(problems.map((p) => p.pointer)).toEqual([
      `/types/${n}/follows`,
      `/types/${n + 1}/follows`,
      `/types/${n + 2}/follows`,
    ]);
    expect(problems[0]!.hint).toContain('Did you mean "campaign"?');
  });

  it('a type listed twice, or in a form that is not an identifier', () => {
    const twice = problemsOf((c) => c.edit('message-types.json', (j) => j.types.push({ type: 'campaign' })));
    expect(twice).toEqual([expect.objectContaining({ message: '"campaign" is listed twice' })]);
    copy!.remove();
    const form = problemsOf((c) =>
      c.edit('message-types.json', (j) => j.types.push({ type: 'News Letter' })),
    );
    expect(form).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('"News Letter"') as unknown,
        hint: expect.stringContaining('lower-case') as unknown,
      }),
    ]);
  });

  it('a matrix row or a gate naming a type message-types.json does not list', () => {
    const row = problemsOf((c) =>
      c.edit('matrix.email.json', (j) => j.rows.push({ type: 'newsletter', reaches: ['subscribed'] })),
    );
    expect(row).toEqual([
      expect.objectContaining({
        file: 'matrix.email.json',
        pointer: '/rows/19/type',
        message: '"newsletter" is not a message type of message-types.json',
        hint: expect.stringContaining('added to message-types.json first') as unknown,
      }),
    ]);
    copy!.remove();
    const gate = problemsOf((c) =>
      c.edit(
        'gates.json',
        (j) => (j.gates[2].when.all[0] = { fact: 'type', operator: 'equal', value: 'campain' }),
      ),
    );
    expect(gate).toEqual([
      expect.objectContaining({
        file: 'gates.json',
        pointer: '/gates/2/when/all/0/value',
        hint: expect.stringContaining('Did you mean "campaign"?') as unknown,
      }),
    ]);
  });
});
