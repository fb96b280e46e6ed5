// `rules lint` judges what the rules DO, not which facts they mention: it evaluates the rule set on
// representative contacts (every channel, region, message type, subscription status, category state) and
// names every message that reaches someone it must not, and gates that are the same rule twice.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment --
   the tests edit rule files as untyped JSON on purpose */
import { afterEach, describe, expect, it } from 'vitest';
import { lintRuleSet, loadRuleSet, type LintWarning } from '../../rules/index';
import { RULES_DIR, copyRules } from './support';

let copy: ReturnType<typeof copyRules> | undefined;
afterEach(() => copy?.remove());

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- rule files as JSON
const gateIndex = (j: Json, id: string) => j.gates.findIndex((g: Json) => g.id === id);

function lintWith(edit: (gates: Json) => void): LintWarning[] {
  copy = copyRules();
  copy.edit('gates.json', edit);
  return lintRuleSet(loadRuleSet(copy.dir));
}
const CONSENT = [
  'global-status-reached',
  'subscription-status-reached',
  'blacklist-reached',
  'deactivated-reached',
  'category-reached',
  'duplicate-gate',
];
const consent = (ws: LintWarning[]) => ws.filter((w) => CONSENT.includes(w.check));

describe('the default rules', () => {
  it('let no forbidden message through and have no duplicate gate', () => {
    expect(consent(lintRuleSet(loadRuleSet(RULES_DIR)))).toEqual([]);
  });
});

describe('global status', () => {
  it('deleting gate:global-status names what now reaches unsubscribed and unconfirmed contacts, and the fix', () => {
    const ws = consent(lintWith((j) => j.gates.splice(gateIndex(j, 'gate:global-status'), 1)));
    expect(ws.map((w) => w.check)).toEqual(['global-status-reached', 'global-status-reached']);
    expect(ws[0]!.message).toMatch(/global status unsubscribed/);
    expect(ws[0]!.message).toMatch(/campaign by email/);
    expect(ws[1]!.message).toMatch(/global status unconfirmed/);
    expect(ws[0]!.hint).toContain('"globalStatus"');
  });

  it('a gate that still reads globalStatus but only for email leaves SMS open, and lint says so', () => {
    const ws = consent(
      lintWith((j) =>
        j.gates[gateIndex(j, 'gate:global-status')].when.all.push({
          fact: 'channel',
          operator: 'equal',
          value: 'email',
        }),
      ),
    );
    expect(ws.map((w) => w.check)).toEqual(['global-status-reached', 'global-status-reached']);
    expect(ws[0]!.message).toMatch(/by sms/);
    expect(ws[0]!.message).not.toMatch(/by email/);
  });

  it('a blocked status dropped from gate:global-status-blocked: complainers get marketing', () => {
    const ws = consent(
      lintWith(
        (j) =>
          (j.gates[gateIndex(j, 'gate:global-status-blocked')].when.all[0].value = [
            'hard_bounced',
            'invalid',
            'suspended',
          ]),
      ),
    );
    expect(ws).toEqual([
      expect.objectContaining({
        check: 'global-status-reached',
        message: expect.stringMatching(/global status complainer/),
      }),
    ]);
  });
});

describe('subscription status, blacklists, deactivation, categories', () => {
  it('complainer subscriptions dropped from the no-marketing gate: custom events reach them by email', () => {
    const ws = consent(
      lintWith(
        (j) =>
          (j.gates[gateIndex(j, 'gate:subscription-no-marketing')].when.all[1].value = [
            'suspended',
            'unconfirmed',
          ]),
      ),
    );
    expect(ws).toEqual([
      expect.objectContaining({
        check: 'subscription-status-reached',
        message: expect.stringMatching(/complainer.*custom event by email/),
      }),
    ]);
  });

  it('a blacklist gate limited to marketing lets confirmations reach blacklisted addresses', () => {
    const ws = consent(
      lintWith((j) =>
        j.gates[gateIndex(j, 'gate:blacklist')].when.all.push({
          fact: 'kind',
          operator: 'equal',
          value: 'marketing',
        }),
      ),
    );
    expect(ws).toEqual([
      expect.objectContaining({
        check: 'blacklist-reached',
        message: expect.stringMatching(/order confirmation/),
      }),
    ]);
  });

  it('deleting the deactivation gate or the category gate is named', () => {
    const ws = consent(
      lintWith((j) => {
        j.gates.splice(gateIndex(j, 'gate:deactivated'), 1);
        j.gates.splice(gateIndex(j, 'gate:category'), 1);
      }),
    );
    expect(ws.map((w) => w.check)).toEqual(['deactivated-reached', 'category-reached']);
  });
});

describe('duplicate gates', () => {
  it('the same rule under another id, written differently, is named with both ids', () => {
    const ws = consent(
      lintWith((j) =>
        j.gates.push({
          id: 'gate:blocklist',
          when: { not: { fact: 'blacklisted', operator: 'notEqual', value: true } },
          message: 'Blocked.',
        }),
      ),
    );
    expect(ws).toEqual([
      expect.objectContaining({
        check: 'duplicate-gate',
        pointer: `/gates/7`,
        message: expect.stringContaining('gate:blacklist'),
      }),
    ]);
  });

  it('a gate that differs in one case is not a duplicate', () => {
    const ws = consent(
      lintWith((j) =>
        j.gates.push({
          id: 'gate:blacklist-marketing',
          when: {
            all: [
              { fact: 'blacklisted', operator: 'equal', value: true },
              { fact: 'kind', operator: 'equal', value: 'marketing' },
            ],
          },
          message: 'Blocked.',
        }),
      ),
    );
    expect(ws).toEqual([]);
  });

  it('a gate whose conditions exclude each other stops nothing, and is named', () => {
    copy = copyRules();
    copy.edit('gates.json', (j) =>
      j.gates.push({
        id: 'gate:impossible',
        when: {
          all: [
            { fact: 'channel', operator: 'equal', value: 'sms' },
            { fact: 'matrix', operator: 'equal', value: 'email' },
          ],
        },
        message: 'Never.',
      }),
    );
    const ws = lintRuleSet(loadRuleSet(copy.dir)).filter((w) => w.check === 'gate-never-matches');
    expect(ws).toEqual([
      expect.objectContaining({
        pointer: '/gates/7/when',
        message: expect.stringContaining('gate:impossible'),
      }),
    ]);
  });
});
