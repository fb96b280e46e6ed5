// readProfilePage: an audience page's profiles, read as a range, must be exactly the profiles loadProfiles reads
// contact by contact (what decideStep decides on), for dense and sparse audiences, at any page size.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addToBlacklist } from '../../db/contacts/blacklist';
import { readProfilePage, type PageFilter } from '../../db/contacts/profile-pages';
import { loadProfiles } from '../../db/contacts/profile';
import type { Pool } from '../../db/pool';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
const N = 240;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    `INSERT INTO contacts (id, email, phone, status, active, country, subdivision, timezone,
                           implied_consent_basis, implied_consent_at)
     SELECT 'pp-' || lpad(g::text, 3, '0'), 'pp' || g || '@example.test', '+1415555' || lpad(g::text, 4, '0'),
       (ARRAY['subscribed', 'unsubscribed', 'suspended', 'unconfirmed'])[1 + g % 4], g % 9 <> 0,
       (ARRAY['US', 'CA', 'GB', NULL])[1 + g % 4], CASE WHEN g % 4 = 0 THEN 'US-TX' END,
       (ARRAY['America/Chicago', 'America/Toronto', NULL])[1 + g % 3],
       CASE WHEN g % 8 = 1 THEN 'purchase' END, CASE WHEN g % 8 = 1 THEN date '2026-01-15' END
     FROM generate_series(1, $1::int) g`,
    [N],
  );
  // Several subscriptions per contact: two resources, both channels, equal resource and channel at different
  // priorities and creation times (the profile's order), categories, and deleted rows (never in a profile).
  await db.pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status, priority, categories, created_at,
                                deleted_at)
     SELECT c.id, r.resource, r.channel, r.address, r.status, r.priority, r.categories::jsonb,
            now() - (r.age || ' minutes')::interval, CASE WHEN r.deleted THEN now() END
       FROM contacts c, LATERAL (SELECT substr(c.id, 4)::int AS g) x,
       LATERAL (VALUES
         ('shop', 'email', c.email, (ARRAY['subscribed', 'unsubscribed', 'non_subscribed'])[1 + x.g % 3], 0,
          CASE WHEN x.g % 4 = 0 THEN '{"promo": "unsubscribed"}' ELSE '{}' END, 5, false, true),
         ('shop', 'sms', c.phone, 'subscribed', 2, '{}', 4, false, x.g % 3 <> 0),
         ('shop', 'sms', '+1415666' || lpad(x.g::text, 4, '0'), 'non_subscribed', 1, '{}', 3, false, x.g % 7 = 0),
         ('blog', 'email', 'blog' || x.g || '@example.test', 'subscribed', 0, '{"news": "subscribed"}', 2,
          x.g % 6 = 0, x.g % 5 = 0)
       ) AS r(resource, channel, address, status, priority, categories, age, deleted, present)
      WHERE r.present`,
  );
  await addToBlacklist(db.pool, 'email', 'pp12@example.test');
  await addToBlacklist(db.pool, 'sms', '+14156660035');
});
afterAll(async () => {
  await db.drop();
});

/** The pool, recording the SQL of the queries sent through it. */
function recording(pool: Pool): { pool: Pool; sql: string[] } {
  const sql: string[] = [];
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return (...args: unknown[]) => {
          const q = args[0] as string | { text: string };
          sql.push(typeof q === 'string' ? q : q.text);
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { pool: proxy, sql };
}

/** How a page read its subscriptions: 'range', 'ids', or 'none' (an empty page). */
const subscriptionsRead = (sql: string[]): string => {
  const q = sql.find((s) => s.includes('FROM subscriptions s WHERE s.deleted_at IS NULL'));
  return !q ? 'none' : q.includes('s.contact_id > $1') ? 'range' : 'ids';
};

/** Every page of `filter` at `pageSize`, each checked against loadProfiles; the ids seen and the queries sent. */
async function pageThrough(filter: PageFilter, pageSize: number) {
  const seen: string[] = [];
  const reads: string[] = [];
  let after = '';
  for (;;) {
    const recorded = recording(db.pool);
    const page = await readProfilePage(recorded.pool, filter, after, pageSize);
    expect(recorded.sql.length).toBeLessThanOrEqual(3);
    reads.push(subscriptionsRead(recorded.sql));
    if (page.ids.length === 0) break;
    expect(page.ids.length).toBeLessThanOrEqual(pageSize);
    expect([...page.profiles.keys()]).toEqual(page.ids);
    const one = await loadProfiles(db.pool, page.ids);
    for (const id of page.ids) expect(page.profiles.get(id), id).toEqual(one.get(id));
    seen.push(...page.ids);
    after = page.ids[page.ids.length - 1]!;
  }
  return { seen, reads };
}

const ALL = Array.from({ length: N }, (_, i) => `pp-${String(i + 1).padStart(3, '0')}`);

describe('readProfilePage', () => {
  test.each([1, 7, 50, 1000])(
    'every contact, %i per page: the same profiles as loadProfiles',
    async (size) => {
      const { seen, reads } = await pageThrough({ where: 'true', params: [] }, size);
      expect(seen).toEqual(ALL);
      // A dense page reads its subscriptions as one id range.
      expect(reads.slice(0, -1).every((r) => r === 'range')).toBe(true);
      expect(reads.at(-1)).toBe('none');
    },
  );

  test('a sparse audience (1 contact in 10, a parameter of the filter) reads its pages by id', async () => {
    const { seen, reads } = await pageThrough({ where: `c.id LIKE $3`, params: ['%0'] }, 20);
    expect(seen).toEqual(ALL.filter((id) => id.endsWith('0')));
    // Each page's range holds ten contacts per page contact: read by id instead.
    expect(reads).toEqual(['ids', 'ids', 'none']);
  });

  test('a dense audience with gaps (9 contacts in 10) reads its ranges, and only its own contacts', async () => {
    const { seen, reads } = await pageThrough({ where: `c.id NOT LIKE $3`, params: ['%3'] }, 20);
    expect(seen).toEqual(ALL.filter((id) => !id.endsWith('3')));
    expect(reads.slice(0, -1).every((r) => r === 'range')).toBe(true);
  });

  test('the blacklist flags and implied consent travel with the page', async () => {
    const { profiles } = await readProfilePage(db.pool, { where: 'true', params: [] }, 'pp-011', 25);
    expect(profiles.get('pp-012')?.blacklist).toEqual({ email: true, phone: false });
    expect(profiles.get('pp-035')?.blacklist).toEqual({ email: false, phone: true });
    expect(profiles.get('pp-017')?.impliedConsent).toEqual({ basis: 'purchase', at: '2026-01-15' });
    const sms = profiles.get('pp-035')!.subscriptions.filter((s) => s.channel === 'sms');
    expect(sms.map((s) => s.priority)).toEqual([1, 2]);
  });

  test.each([
    { channel: 'sms', resource: 'shop' },
    { channel: 'email', resource: 'blog' },
    { channel: 'email', resource: undefined },
  ] as const)(
    'carrying %o: only the subscriptions that could carry it, in profile order',
    async (carrying) => {
      for (const [after, filter] of [
        ['pp-100', { where: 'true', params: [] }],
        ['', { where: `c.id LIKE $3`, params: ['%3'] }],
      ] as const) {
        const page = await readProfilePage(db.pool, filter, after, 40, carrying);
        expect(page.ids.length).toBe(after ? 40 : 24);
        const full = await loadProfiles(db.pool, page.ids);
        for (const id of page.ids) {
          const all = full.get(id)!;
          const subscriptions = all.subscriptions.filter(
            (s) => s.channel === carrying.channel && (!carrying.resource || s.resource === carrying.resource),
          );
          expect(page.profiles.get(id), id).toEqual({ ...all, subscriptions });
        }
      }
    },
  );

  test('an audience nobody is in reads one query and returns nothing', async () => {
    const recorded = recording(db.pool);
    const page = await readProfilePage(recorded.pool, { where: 'false', params: [] }, '', 100);
    expect(page.ids).toEqual([]);
    expect(recorded.sql.length).toBe(1);
  });
});
