// The compiled path and json-rules-engine on caps, state windows and the area-code presumption: every
// combination of state (profile or presumed), time (edges, a Texas Sunday, DST days), history, message type,
// channel and category must get the same whole decision from both.
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   the tests edit rule files as untyped JSON on purpose */
import { afterAll, describe, expect, it } from 'vitest';
import {
  decideSend,
  decideWithEngine,
  loadRuleSet,
  type ContactProfile,
  type HistoryEntry,
  type RuleSet,
} from '../../rules/index';
import { RULES_DIR, copyRules, sub } from './support';

const STATES = [null, 'US-FL', 'US-TX', 'US-CT', 'US-NY'];
const PHONES = ['+13055550123', '+15125550123', '+18605550123', '+12125550123', '+15550001111'];
const TIMES = [
  '2026-06-14T14:30:00Z', // Sunday 09:30 Chicago, 10:30 New York
  '2026-06-14T17:00:00Z', // Sunday 12:00 Chicago
  '2026-06-15T12:30:00Z', // Monday 07:30 Chicago, 08:30 New York
  '2026-06-16T00:30:00Z', // Monday 19:30 Chicago, 20:30 New York
  '2026-06-16T01:30:00Z', // Monday 20:30 Chicago, 21:30 New York
  '2026-03-08T15:00:00Z', // spring-forward Sunday
  '2026-11-01T17:30:00Z', // fall-back Sunday
  '2026-12-25T15:00:00Z', // a Friday, closed in the custom rules
].map((t) => new Date(t));

function histories(at: Date): HistoryEntry[][] {
  const ago = (h: number) => new Date(at.getTime() - h * 3_600_000).toISOString();
  const tx: HistoryEntry[] = [
    { channel: 'sms', type: 'order_confirmation', at: ago(1) },
    { channel: 'email', type: 'campaign', at: ago(2) },
  ];
  const mk = (n: number, category?: string) =>
    Array.from({ length: n }, (_, i): HistoryEntry => ({
      channel: 'sms',
      type: i % 2 ? 'campaign' : 'abandoned_cart',
      at: ago(i * 5 + 1),
      ...(category ? { category } : {}),
    }));
  return [
    [],
    [...tx, ...mk(2)],
    [...mk(3), ...tx],
    [...mk(4, 'promo')],
    [...mk(1, 'promo'), ...mk(2), ...tx],
  ];
}

function person(state: string | null, phone: string, timezone: string | null): ContactProfile {
  return {
    status: 'subscribed',
    country: 'US',
    subdivision: state,
    timezone,
    subscriptions: [sub('sms', 'subscribed', { address: phone }), sub('email', 'subscribed')],
  };
}

async function compare(rs: RuleSet, rotate: boolean) {
  let n = 0;
  const diffs: unknown[] = [];
  let i = 0;
  const seen = new Set<string>();
  for (const state of STATES)
    for (const phone of PHONES)
      for (const at of TIMES)
        for (const history of histories(at))
          for (const type of ['campaign', 'order_confirmation', 'abandoned_cart'])
            for (const channel of ['sms', 'email'] as const)
              for (const category of [undefined, 'promo']) {
                i++;
                if (rotate && i % 5 !== 0) continue;
                const timezone =
                  i % 11 === 0 ? null : phone === '+15125550123' ? 'America/Chicago' : 'America/New_York';
                const input = {
                  contact: person(state, phone, timezone),
                  message: { channel, type, ...(category ? { category } : {}) },
                  at,
                  history,
                };
                const fast = decideSend(rs, input);
                const { decision } = await decideWithEngine(rs, input);
                n++;
                for (const r of fast.reasons) seen.add(`${fast.verdict} ${r.rule}`);
                if (JSON.stringify(fast) !== JSON.stringify(decision)) diffs.push({ input, fast, decision });
              }
  return { n, diffs: diffs.slice(0, 3), seen };
}

describe('decideSend and json-rules-engine agree on caps and state windows', () => {
  it('the default rules', async () => {
    const rs = loadRuleSet(RULES_DIR);
    const { n, diffs, seen } = await compare(rs, false);
    expect(diffs).toEqual([]);
    // every new path was taken
    for (const r of [
      'suppress cap:marketing-sms',
      'defer quiet-hours:us',
      'defer quiet-hours:us:US-FL',
      'defer quiet-hours:us:US-TX',
      'defer quiet-hours:us:US-CT',
      'suppress quiet-hours:timezone',
    ])
      expect(seen).toContain(r);
    expect(n).toBe(STATES.length * PHONES.length * TIMES.length * 5 * 3 * 2 * 2);
  }, 120_000);

  const copy = copyRules();
  afterAll(() => copy.remove());
  it('caps per subject, deferring caps, per-type email caps, regions and closed dates', async () => {
    copy.edit('caps.json', (j) => {
      j.caps = [
        {
          id: 'cap:subject',
          channel: 'sms',
          kinds: ['marketing'],
          sameCategory: true,
          windowHours: 12,
          limit: 1,
          over: 'defer',
        },
        { id: 'cap:promo', kinds: ['marketing'], category: 'promo', windowHours: 48, limit: 3 },
        {
          id: 'cap:campaign-email',
          channel: 'email',
          types: ['campaign'],
          windowHours: 24,
          limit: 1,
          over: 'defer',
        },
        {
          id: 'cap:us-sms',
          channel: 'sms',
          kinds: ['marketing', 'transactional'],
          regions: ['us'],
          windowHours: 6,
          limit: 2,
        },
      ];
    });
    copy.edit('quiet-hours.json', (j) => {
      j.windows[4].closedOn = ['2026-12-25'];
      j.windows[2].days = { sat: null, sun: { from: '10:00', until: '18:00' } };
    });
    const rs = loadRuleSet(copy.dir);
    const { n, diffs, seen } = await compare(rs, true);
    expect(diffs).toEqual([]);
    for (const r of [
      'defer cap:subject',
      'suppress cap:promo',
      'defer cap:campaign-email',
      'suppress cap:us-sms',
      'defer quiet-hours:us:US-TX',
      'defer quiet-hours:us:US-FL',
    ])
      expect(seen).toContain(r);
    expect(n).toBeGreaterThan(1500);
  }, 120_000);
});
