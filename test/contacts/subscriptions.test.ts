// Subscriptions: priority, categories, limits and the eviction order, unsubscribe scopes, ledger rows, and
// concurrent updates of one contact.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  activityFeed,
  loadProfiles,
  removeSubscription,
  setActive,
  setCategory,
  setStatus,
  subscribe,
  unsubscribe,
  upsertContact,
} from '../../client/contacts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const profile = async (id: string) => (await loadProfiles(db.pool, [id])).get(id)!;
const addresses = async (id: string, resource = 'shop') =>
  (await profile(id)).subscriptions
    .filter((s) => s.resource === resource)
    .map((s) => s.address)
    .sort();

describe('priority', () => {
  test('several addresses on one resource keep their priorities; the lowest number comes first', async () => {
    const id = await upsertContact(db.pool, { email: 'prio@example.com', resource: 'site', priority: 5 });
    await subscribe(db.pool, id, {
      resource: 'site',
      channel: 'email',
      address: 'test2@example.com',
      priority: 0,
    });
    await subscribe(db.pool, id, {
      resource: 'site',
      channel: 'email',
      address: 'test3@example.com',
      priority: 9,
    });
    const subs = (await profile(id)).subscriptions;
    expect(subs.map((s) => [s.address, s.priority])).toEqual([
      ['test2@example.com', 0],
      ['prio@example.com', 5],
      ['test3@example.com', 9],
    ]);
  });
});

describe('limits and eviction', () => {
  test('the 21st subscription on a resource and channel evicts in the documented order, recorded in the ledger', async () => {
    const id = await upsertContact(db.pool, { email: 'limit0@example.com', resource: 'shop', priority: 0 });
    const add = (
      n: number,
      status?: 'subscribed' | 'invalid' | 'hard_bounced' | 'complainer' | 'suspended' | 'unconfirmed',
      priority = 0,
    ) =>
      subscribe(db.pool, id, {
        resource: 'shop',
        channel: 'email',
        address: `limit${n}@example.com`,
        status,
        priority,
      });
    // 20 subscriptions: the original, one of each evictable status, one deleted, low priorities and plain ones.
    await add(1, 'unconfirmed');
    await add(2, 'suspended');
    await add(3, 'complainer');
    await add(4, 'hard_bounced');
    await add(5, 'invalid');
    await add(6);
    await removeSubscription(db.pool, id, {
      resource: 'shop',
      channel: 'email',
      address: 'limit6@example.com',
    });
    await add(7, 'subscribed', 50);
    await add(8, 'subscribed', 40);
    for (let n = 9; n <= 19; n++) await add(n);
    expect(
      (
        await db.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM subscriptions WHERE contact_id = $1',
          [id],
        )
      ).rows[0]!.n,
    ).toBe(20);

    // Each new one replaces exactly one old one, in this order.
    const expected = [
      'limit6',
      'limit5',
      'limit4',
      'limit3',
      'limit2',
      'limit1',
      'limit7',
      'limit8',
      'limit0',
      'limit9',
    ];
    for (const [i, gone] of expected.entries()) {
      await add(100 + i);
      const now = await addresses(id);
      expect(now).toHaveLength(20);
      expect(now).not.toContain(`${gone}@example.com`);
      expect(now).toContain(`limit${100 + i}@example.com`);
    }
    const evictions = await activityFeed(db.pool, id, { kind: 'eviction' });
    expect(evictions.map((e) => e.address?.split('@')[0]).reverse()).toEqual(expected);
    expect(evictions[0]).toMatchObject({
      origin: 'admin',
    });
    expect(evictions[0]?.source).toMatchObject({ limit: 'per_resource_channel', max: 20 });
  });

  test('a contact keeps at most 200 subscriptions in all', async () => {
    const id = await upsertContact(db.pool, { email: 'many@example.com', resource: 'r0' });
    const subscriptions = Array.from({ length: 205 }, (_, i) => ({
      resource: `r${Math.floor(i / 15)}`,
      channel: 'email' as const,
      address: `many+${i}@example.com`,
    }));
    await upsertContact(db.pool, { email: 'many@example.com', subscriptions });
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM subscriptions WHERE contact_id = $1',
      [id],
    );
    expect(rows[0]!.n).toBe(200);
    // The oldest one (the first subscription) was among those evicted.
    expect((await profile(id)).subscriptions.some((s) => s.address === 'many@example.com')).toBe(false);
    expect((await activityFeed(db.pool, id, { kind: 'eviction' })).length).toBe(6);
  });

  test('a subscription re-added after eviction counts as new', async () => {
    const id = await upsertContact(db.pool, { email: 'readd@example.com', resource: 'shop' });
    for (let n = 1; n <= 20; n++)
      await subscribe(db.pool, id, { resource: 'shop', channel: 'email', address: `readd${n}@example.com` });
    expect(await addresses(id)).not.toContain('readd@example.com');
    await subscribe(db.pool, id, { resource: 'shop', channel: 'email', address: 'readd@example.com' });
    expect(await addresses(id)).toContain('readd@example.com');
    expect(await addresses(id)).not.toContain('readd1@example.com');
  });
});

describe('categories and unsubscribe', () => {
  test('categories are subscribed or unsubscribed one by one', async () => {
    const id = await upsertContact(db.pool, {
      email: 'cats@example.com',
      resource: 'news',
      categories: 'sport;weather',
    });
    await unsubscribe(db.pool, id, { resource: 'news', category: 'sport' });
    await setCategory(db.pool, id, { resource: 'news', category: 'politics' }, 'subscribed');
    expect((await profile(id)).subscriptions[0]?.categories).toEqual({
      sport: 'unsubscribed',
      weather: 'subscribed',
      politics: 'subscribed',
    });
    expect((await profile(id)).subscriptions[0]?.status).toBe('subscribed');
  });

  test('unsubscribing from a resource leaves the other resources and the global status alone', async () => {
    const id = await upsertContact(db.pool, { email: 'two@example.com', resource: 'a' });
    await subscribe(db.pool, id, { resource: 'b', channel: 'email' });
    await unsubscribe(db.pool, id, { resource: 'a' });
    const p = await profile(id);
    expect(p.status).toBe('subscribed');
    expect(p.subscriptions.map((s) => [s.resource, s.status])).toEqual([
      ['a', 'unsubscribed'],
      ['b', 'subscribed'],
    ]);
  });

  test('an unsubscribe that names no resource changes the global status', async () => {
    const id = await upsertContact(db.pool, { email: 'global@example.com', resource: 'a' });
    await unsubscribe(db.pool, id);
    const p = await profile(id);
    expect(p.status).toBe('unsubscribed');
    expect(p.subscriptions[0]?.status).toBe('subscribed'); // overridden by the global status, kept for the record
  });
});

describe('the consent ledger', () => {
  test('every change has a row with before, after, origin and source', async () => {
    const id = await upsertContact(
      db.pool,
      { email: 'ledger@example.com', resource: 'shop' },
      { origin: 'api', source: { request: 'r-1' } },
    );
    await setStatus(db.pool, id, 'suspended', { origin: 'admin', source: { operator: 'eve' } });
    await setActive(db.pool, id, false);
    await unsubscribe(db.pool, id, { resource: 'shop', channel: 'email' }, 'api');
    await setCategory(db.pool, id, { resource: 'shop', category: 'deals' }, 'subscribed');
    const rows = (await activityFeed(db.pool, id)).reverse();
    expect(rows.map((r) => [r.kind, r.before, r.after, r.origin])).toEqual([
      ['created', null, { status: 'subscribed', active: true }, 'api'],
      ['subscription', null, { status: 'subscribed', priority: 0 }, 'api'],
      ['status', { status: 'subscribed' }, { status: 'suspended' }, 'admin'],
      ['activity', { active: true }, { active: false }, 'admin'],
      ['subscription', { status: 'subscribed', priority: 0 }, { status: 'unsubscribed', priority: 0 }, 'api'],
      ['category', null, { status: 'subscribed' }, 'admin'],
    ]);
    expect(rows[0]?.source).toEqual({ request: 'r-1' });
    expect(rows[2]?.source).toEqual({ operator: 'eve' });
  });

  test('the activity feed filters by channel, origin and status', async () => {
    const id = await upsertContact(
      db.pool,
      { email: 'feed@example.com', phone: '+14155550142', resource: 'shop' },
      'import',
    );
    await unsubscribe(db.pool, id, { resource: 'shop', channel: 'sms' }, 'api');
    expect((await activityFeed(db.pool, id, { channel: 'sms' })).map((r) => r.after?.status)).toEqual([
      'unsubscribed',
      'subscribed',
    ]);
    expect((await activityFeed(db.pool, id, { origin: 'api' })).length).toBe(1);
    expect((await activityFeed(db.pool, id, { status: 'unsubscribed' }))[0]).toMatchObject({
      channel: 'sms',
      origin: 'api',
    });
    expect((await activityFeed(db.pool, id, { days: 7 })).length).toBe(4);
  });

  test('the ledger cannot be edited or deleted', async () => {
    await expect(db.pool.query(`UPDATE consent_ledger SET origin = 'admin'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`DELETE FROM consent_ledger`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`TRUNCATE consent_ledger`)).rejects.toThrow(/append-only/);
  });
});

describe('concurrent updates of one contact', () => {
  test('parallel category and subscription changes all land', async () => {
    const id = await upsertContact(db.pool, { email: 'race@example.com', resource: 'shop' });
    const cats = Array.from({ length: 12 }, (_, i) => `c${i}`);
    await Promise.all([
      ...cats.map((c) => setCategory(db.pool, id, { resource: 'shop', category: c }, 'subscribed')),
      ...Array.from({ length: 6 }, (_, i) =>
        subscribe(db.pool, id, { resource: 'other', channel: 'email', address: `race${i}@example.com` }),
      ),
      upsertContact(db.pool, { email: 'race@example.com', first_name: 'Racy', custom: {} }),
      setActive(db.pool, id, false),
    ]);
    const p = await profile(id);
    expect(Object.keys(p.subscriptions.find((s) => s.resource === 'shop')?.categories ?? {}).sort()).toEqual(
      [...cats].sort(),
    );
    expect(p.subscriptions.filter((s) => s.resource === 'other')).toHaveLength(6);
    expect(p.active).toBe(false);
    expect((await activityFeed(db.pool, id, { kind: 'category' })).length).toBe(12);
  });

  test('parallel status changes form one unbroken before/after chain in the ledger', async () => {
    const id = await upsertContact(db.pool, { email: 'chain@example.com' });
    const statuses = [
      'unsubscribed',
      'suspended',
      'invalid',
      'subscribed',
      'unconfirmed',
      'complainer',
      'hard_bounced',
      'suspended',
    ];
    await Promise.all(statuses.map((s) => setStatus(db.pool, id, s)));
    const rows = (await activityFeed(db.pool, id, { kind: 'status' })).reverse();
    expect(rows[0]?.before).toEqual({ status: 'subscribed' });
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.before).toEqual(rows[i - 1]?.after);
    expect((await profile(id)).status).toBe(rows.at(-1)?.after?.status);
  });

  test('parallel subscriptions at the limit each evict a different old one', async () => {
    const id = await upsertContact(db.pool, { email: 'full@example.com', resource: 'shop' });
    for (let n = 1; n < 20; n++)
      await subscribe(db.pool, id, { resource: 'shop', channel: 'email', address: `full${n}@example.com` });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        subscribe(db.pool, id, { resource: 'shop', channel: 'email', address: `late${i}@example.com` }),
      ),
    );
    const now = await addresses(id);
    expect(now).toHaveLength(20);
    for (let i = 0; i < 8; i++) expect(now).toContain(`late${i}@example.com`);
    expect((await activityFeed(db.pool, id, { kind: 'eviction' })).length).toBe(8);
  });

  test('parallel first writes of the same new address make one contact', async () => {
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        upsertContact(db.pool, { email: 'newbie@example.com', custom: {}, first_name: `N${i}` }),
      ),
    );
    expect(new Set(ids).size).toBe(1);
  });
});
