// Campaign preview groups the audience in PostgreSQL by what a decision reads and decides each group once. Its
// counts and sample ids must be exactly those of deciding every member one by one (loadProfiles, readHistory
// and decideSend: what a send step does), over a generated store where contacts differ in every fact a
// decision reads and in many it does not (addresses, names), for several messages, instants and segments,
// read as one range or many.
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { decidingRule } from '../../contracts/deciding-rule';
import { addToBlacklist } from '../../db/contacts/blacklist';
import { loadProfiles } from '../../db/contacts/profile';
import { countedHistory, readHistory } from '../../activities/history';
import { audienceGroups } from '../../campaigns/audience-groups';
import { previewCampaign, type PreviewResult } from '../../campaigns/preview';
import { decideSend, loadRuleSet, type MessageSpec } from '../../rules';
import { parseSegment, type Segment } from '../../segments/segment';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
const N = 420;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
/** The default rules and the example cap of one campaign email a day (deferring), so emails stand alone too. */
const withEmailCap = (() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-rules-'));
  cpSync(path.join(REPO_ROOT, 'rules'), dir, { recursive: true });
  cpSync(
    path.join(REPO_ROOT, 'rules/examples/caps.email-daily.json'),
    path.join(dir, 'caps.email-daily.json'),
  );
  return loadRuleSet(dir);
})();

/** mulberry32: the same store on every run. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}
const pick = <T>(r: (n: number) => number, xs: readonly T[]): T => xs[r(xs.length)]!;

const STATUSES = [
  'subscribed',
  'subscribed',
  'subscribed',
  'subscribed',
  'subscribed',
  'subscribed',
  'unsubscribed',
  'unconfirmed',
  'complainer',
  'hard_bounced',
  'suspended',
  'invalid',
];
const SUB_STATUSES = [
  'subscribed',
  'subscribed',
  'unsubscribed',
  'non_subscribed',
  'unconfirmed',
  'complainer',
];
const PLACES: [string | null, string | null, string | null][] = [
  ['US', null, 'America/New_York'],
  ['US', 'US-FL', 'America/New_York'],
  ['US', 'US-TX', 'America/Chicago'],
  ['US', null, null],
  ['CA', 'CA-QC', 'America/Toronto'],
  ['CA', null, 'America/Vancouver'],
  ['GB', null, 'Europe/London'],
  ['DE', null, 'Europe/Berlin'],
  [null, null, 'Asia/Tokyo'],
  [null, null, null],
];
// Area codes of several states (Florida and Texas have their own hours), Canada, and a number outside +1.
const AREA_CODES = ['212', '305', '512', '415', '416', '860'];
const CATEGORIES = [
  '{}',
  '{}',
  '{"promo": "unsubscribed"}',
  '{"promo": "subscribed", "news": "unsubscribed"}',
  '{"news": "subscribed"}',
];

beforeAll(async () => {
  db = await createTestDatabase();
  const r = random(20261203);
  const blacklisted: [string, string][] = [];
  for (let g = 1; g <= N; g++) {
    const id = `pg-${String(g).padStart(4, '0')}`;
    const [country, subdivision, timezone] = pick(r, PLACES);
    const implied = r(5);
    await db.pool.query(
      `INSERT INTO contacts (id, email, phone, status, active, country, subdivision, timezone,
                             implied_consent_basis, implied_consent_at, first_name, custom)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        id,
        `c${g}@example.test`,
        `+1${pick(r, AREA_CODES)}555${String(g).padStart(4, '0')}`,
        pick(r, STATUSES),
        r(12) !== 0,
        country,
        subdivision,
        timezone,
        implied === 0 ? 'purchase' : implied === 1 ? 'inquiry' : null,
        implied <= 1 ? pick(r, ['2024-01-10', '2025-12-01', '2026-04-20']) : null,
        `Name${r(1000)}`, // not a decision fact
        { tier: r(3) },
      ],
    );
    const subs = r(4); // 0-3 of each channel
    for (let i = 0; i < subs; i++) {
      const email = i === 0 ? `c${g}@example.test` : `c${g}.${i}@example.test`;
      await insertSubscription(r, id, pick(r, ['shop', 'shop', 'blog']), 'email', email, r(3));
      if (r(20) === 0) blacklisted.push(['email', email]);
    }
    for (let i = 0; i < r(4); i++) {
      const phone =
        r(5) === 0
          ? `+4477009${String(g * 10 + i).padStart(5, '0')}`
          : `+1${pick(r, AREA_CODES)}55${String(g * 10 + i).padStart(5, '0')}`;
      await insertSubscription(r, id, pick(r, ['shop', 'shop', 'blog']), 'sms', phone, r(3));
      if (r(25) === 0) blacklisted.push(['sms', phone]);
    }
    // Marketing texts already sent or queued, some outside the cap's 24 hours.
    for (let i = 0, n = r(2) === 0 ? 2 + r(4) : 0; i < n; i++) {
      await db.pool.query(
        `INSERT INTO outbox (idempotency_key, created_at, workflow_id, step, contact_id, channel, message_type, address, state)
         VALUES ($1, $2, 'wf', 's', $3, 'sms', $4, '+12125550000', $5)`,
        [
          `k-${g}-${i}`,
          new Date(Date.parse(DAY) - 3_600_000 * pick(r, [1, 2, 5, 20, 30])),
          id,
          pick(r, ['campaign', 'campaign', 'campaign', 'order_confirmation']),
          pick(r, ['sent', 'sent', 'pending', 'failed']),
        ],
      );
    }
  }
  // Contacts a text would reach but for the cap: 0-4 marketing texts each in the last five hours.
  for (let i = 0; i < 30; i++) {
    const id = `pg-cap-${String(i).padStart(2, '0')}`;
    await db.pool.query(
      `INSERT INTO contacts (id, email, status, country, timezone) VALUES ($1, $2, 'subscribed', 'US', 'America/New_York')`,
      [id, `cap${i}@example.test`],
    );
    await db.pool.query(
      `INSERT INTO subscriptions (contact_id, resource, channel, address, status) VALUES
         ($1, 'shop', 'sms', $2, 'subscribed'), ($1, 'shop', 'email', $3, 'subscribed')`,
      [id, `+1212556${String(i).padStart(4, '0')}`, `cap${i}@example.test`],
    );
    for (let k = 0; k < i % 5; k++)
      await db.pool.query(
        `INSERT INTO outbox (idempotency_key, created_at, workflow_id, step, contact_id, channel, message_type, address, state)
         VALUES ($1, $2, 'wf', 's', $3, 'sms', 'campaign', '+12125550000', 'sent')`,
        [`cap-${i}-${k}`, new Date(Date.parse(DAY) - 3_600_000 * (k + 1)), id],
      );
    // A campaign email a day cap counts (with rules that have one, below), or an order email no cap counts.
    if (i % 3 !== 2)
      await db.pool.query(
        `INSERT INTO outbox (idempotency_key, created_at, workflow_id, step, contact_id, channel, message_type, address, state)
         VALUES ($1, $2, 'wf', 's', $3, 'email', $4, 'x@example.test', 'sent')`,
        [
          `cap-mail-${i}`,
          new Date(Date.parse(DAY) - 7_200_000),
          id,
          i % 3 === 0 ? 'campaign' : 'order_confirmation',
        ],
      );
  }
  for (const [channel, address] of blacklisted) await addToBlacklist(db.pool, channel, address);
});
afterAll(async () => {
  await db?.drop();
});

async function insertSubscription(
  r: (n: number) => number,
  contact: string,
  resource: string,
  channel: 'email' | 'sms',
  address: string,
  priority: number,
): Promise<void> {
  await db.pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status, priority, categories, created_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now() - ($8 || ' minutes')::interval, CASE WHEN $9 THEN now() END)
     ON CONFLICT DO NOTHING`,
    [
      contact,
      resource,
      channel,
      address,
      pick(r, SUB_STATUSES),
      priority,
      pick(r, CATEGORIES),
      r(100),
      r(8) === 0,
    ],
  );
}

const DAY = '2026-05-01T17:00:00Z'; // daytime in the Americas and Europe
const NIGHT = '2026-05-02T04:30:00Z'; // quiet hours in the Americas
// 20:30 in New York: Florida's hours (until 20:00) are over, the federal ones (until 21:00) are not. Whose
// state only a +1 number's area code gives is deferred or not by that code.
const EVENING = '2026-05-02T00:30:00Z';
// 08:30 in Chicago: Texas texts wait until 09:00, the federal hours opened at 08:00.
const MORNING = '2026-05-01T13:30:00Z';

const SEGMENTS: Segment[] = [
  parseSegment(JSON.stringify({ id: 'everyone', where: { not: { custom: 'never', eq: true } } })),
  parseSegment(
    JSON.stringify({
      id: 'tier-or-sms',
      where: { any: [{ custom: 'tier', eq: 1 }, { subscription: { channel: 'sms', status: 'subscribed' } }] },
    }),
  ),
];

const MESSAGES: MessageSpec[] = [
  { channel: 'sms', type: 'campaign', resource: 'shop' },
  { channel: 'sms', type: 'campaign' },
  { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' },
  { channel: 'email', type: 'custom_event' },
  { channel: 'sms', type: 'order_confirmation', resource: 'blog' },
];

/** The same question asked contact by contact, in id order: one profile read, one history read, decideSend. */
async function oneByOne(
  segment: Segment,
  message: MessageSpec,
  at: Date,
  rules = ruleSet,
  keep = 3,
): Promise<PreviewResult> {
  const { compileSegment } = await import('../../segments/compile');
  const { where, params } = compileSegment(segment, { at });
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT c.id FROM contacts c WHERE (${where}) ORDER BY c.id`,
    params,
  );
  const out: PreviewResult = {
    total: 0,
    verdicts: { send: 0, suppress: 0, defer: 0 },
    reasons: {},
    samples: {},
  };
  const profiles = await loadProfiles(
    db.pool,
    rows.map((r) => r.id),
  );
  for (const { id } of rows) {
    const history = await readHistory(db.pool, rules, id, '', at);
    const d = decideSend(rules, { contact: profiles.get(id)!, message, at, history });
    const rule = decidingRule(d.reasons) ?? 'none';
    out.total++;
    out.verdicts[d.verdict]++;
    out.reasons[rule] = (out.reasons[rule] ?? 0) + 1;
    if (keep === 0) continue;
    const samples = (out.samples[rule] ??= []);
    if (samples.length < keep) samples.push(id);
  }
  return out;
}

describe('campaign preview, grouped by decision facts', () => {
  const cases = SEGMENTS.flatMap((segment) =>
    MESSAGES.flatMap((message) =>
      [DAY, NIGHT, EVENING, MORNING].map((at) => [segment.id, message, at] as const),
    ),
  );

  test.each(cases)(
    '%s, %j at %s: the counts and samples of deciding each member',
    async (segmentId, message, at) => {
      const segment = SEGMENTS.find((s) => s.id === segmentId)!;
      const expected = await oneByOne(segment, message, new Date(at));
      expect(expected.total).toBeGreaterThan(100);
      for (const pageSize of [undefined, 37]) {
        const got = await previewCampaign(db.pool, ruleSet, segment, message, new Date(at), { pageSize });
        expect(got).toEqual(expected);
      }
    },
  );

  test.each(
    SEGMENTS.flatMap((segment) =>
      MESSAGES.filter((m) => m.channel === 'email').flatMap((message) =>
        [DAY, NIGHT].map((at) => [segment.id, message, at] as const),
      ),
    ),
  )(
    '%s, %j at %s, with a daily campaign email cap: the same as each member',
    async (segmentId, message, at) => {
      const segment = SEGMENTS.find((s) => s.id === segmentId)!;
      const expected = await oneByOne(segment, message, new Date(at), withEmailCap);
      for (const pageSize of [undefined, 37]) {
        const got = await previewCampaign(db.pool, withEmailCap, segment, message, new Date(at), {
          pageSize,
        });
        expect(got).toEqual(expected);
      }
    },
  );

  test.each([0, 1, 4])('%i sample ids per rule: the first ones in id order', async (keep) => {
    const at = new Date(DAY);
    const expected = await oneByOne(SEGMENTS[0]!, MESSAGES[0]!, at, ruleSet, keep);
    for (const pageSize of [undefined, 1, 37]) {
      const got = await previewCampaign(db.pool, ruleSet, SEGMENTS[0]!, MESSAGES[0]!, at, {
        pageSize,
        samplesPerRule: keep,
      });
      expect(got).toEqual(expected);
    }
  });

  test('only a contact with a message a cap could count stands alone', async () => {
    const at = new Date(DAY);
    const message = MESSAGES[0]!;
    const groups = await audienceGroups(
      db.pool,
      SEGMENTS[0]!,
      at,
      message,
      { after: '' },
      {
        samples: 1,
        counted: countedHistory(ruleSet, at, message)!,
      },
    );
    // Marketing texts sent or queued in the cap's 24 hours; not failed ones, emails or order texts.
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT DISTINCT contact_id AS id FROM outbox
        WHERE channel = 'sms' AND message_type = 'campaign' AND state IN ('sent', 'pending')
          AND created_at > $1::timestamptz - interval '24 hours' ORDER BY 1`,
      [at],
    );
    const alone = groups.filter((g) => g.own).map((g) => g.id);
    expect(alone.sort()).toEqual(rows.map((r) => r.id).sort());
    expect(alone.length).toBeGreaterThan(20);
    const withOtherMessages = await db.pool.query<{ n: string }>(
      `SELECT count(DISTINCT contact_id) AS n FROM outbox WHERE NOT contact_id = ANY($1::text[])`,
      [alone],
    );
    expect(Number(withOtherMessages.rows[0]!.n)).toBeGreaterThan(10); // who has messages and is still grouped
  });

  test('the store exercises what grouping must tell apart', async () => {
    // Without these, the cases above could pass with a key that leaves facts out.
    const sms = await oneByOne(SEGMENTS[0]!, MESSAGES[0]!, new Date(DAY));
    const email = await oneByOne(SEGMENTS[0]!, MESSAGES[2]!, new Date(DAY));
    const night = await oneByOne(SEGMENTS[0]!, MESSAGES[0]!, new Date(NIGHT));
    const fired = { ...email.reasons, ...sms.reasons };
    for (const rule of ['cap:marketing-sms', 'gate:blacklist', 'gate:category', 'gate:deactivated'])
      expect(fired, rule).toHaveProperty([rule]);
    // Texas and Florida hours, also for contacts whose state only their number's area code gives.
    expect(night.reasons).toHaveProperty(['quiet-hours:us:US-FL']);
    expect(night.reasons).toHaveProperty(['quiet-hours:us:US-TX']);
    expect(night.verdicts.defer).toBeGreaterThan(0);
    expect(sms.verdicts.send).toBeGreaterThan(0);
    expect(sms.reasons['cap:marketing-sms']).toBeGreaterThanOrEqual(12);
    const capped = await oneByOne(SEGMENTS[0]!, MESSAGES[2]!, new Date(DAY), withEmailCap);
    expect(capped.reasons['cap:campaign-email-daily']).toBeGreaterThan(3);
  });
});
