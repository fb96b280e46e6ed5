// `rules lint` on caps and state windows, and `rules explain` showing what a cap counted and which state.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call --
   the tests edit rule files as untyped JSON on purpose */
import { afterAll, describe, expect, it } from 'vitest';
import { decideWithEngine, explainDecision, lintRuleSet, loadRuleSet } from '../../rules/index';
import { RULES_DIR, contact, copyRules, msg, sub } from './support';

describe('rules lint on caps and state windows', () => {
  const copy = copyRules();
  afterAll(() => copy.remove());

  it('the default rules raise none of the new warnings', () => {
    const checks = lintRuleSet(loadRuleSet(RULES_DIR)).map((w) => w.check);
    for (const c of ['cap-counts-transactional', 'state-window-wider', 'tcpa-window'])
      expect(checks).not.toContain(c);
  });

  it('warns about a cap that counts transactional messages, by kind or by type', () => {
    copy.edit('caps.json', (j) => {
      j.caps[0].kinds = ['marketing', 'transactional'];
      j.caps.push({ id: 'cap:receipts', types: ['order_confirmation'], windowHours: 1, limit: 5 });
    });
    const found = lintRuleSet(loadRuleSet(copy.dir)).filter((w) => w.check === 'cap-counts-transactional');
    expect(found.map((w) => [w.file, w.pointer])).toEqual([
      ['caps.json', '/caps/0'],
      ['caps.json', '/caps/1'],
    ]);
    expect(found[0]!.hint).toContain('"kinds": ["marketing"]');
  });

  it('warns about a state window wider than the federal one, and wider than TCPA', () => {
    copy.edit('caps.json', (j) => (j.caps = []));
    copy.edit('quiet-hours.json', (j) => {
      j.windows[4].days.sun = { from: '07:00', until: '21:00' }; // Texas Sunday from 07:00
    });
    const warnings = lintRuleSet(loadRuleSet(copy.dir));
    const wider = warnings.filter((w) => w.check === 'state-window-wider');
    expect(wider.map((w) => w.pointer)).toEqual(['/windows/4']);
    expect(wider[0]!.message).toContain('US-TX');
    expect(warnings.filter((w) => w.check === 'tcpa-window').map((w) => w.pointer)).toEqual(['/windows/4']);
  });
});

describe('rules explain', () => {
  it('prints the count each cap saw and the state used', async () => {
    const rules = loadRuleSet(RULES_DIR);
    const c = contact({ country: 'US', timezone: 'America/Chicago' }, [
      sub('sms', 'subscribed', { address: '+15125550123' }),
    ]);
    const at = new Date('2026-06-15T17:00:00Z');
    const history = [1, 2, 3].map((h) => ({
      channel: 'sms' as const,
      type: 'campaign',
      at: new Date(at.getTime() - h * 3_600_000).toISOString(),
    }));
    const result = await decideWithEngine(rules, {
      contact: c,
      message: msg('sms', 'campaign'),
      at,
      history,
    });
    const text = explainDecision(result, { timezone: c.timezone });
    expect(text).toContain('Decision: SUPPRESS');
    expect(text).toContain('[cap:marketing-sms] At most 3 marketing sms messages per 24 hours');
    expect(text).toContain('cap:marketing-sms counted 3 earlier messages in its window');
    expect(text).toContain('state for state sending hours US-TX');
  });
});
