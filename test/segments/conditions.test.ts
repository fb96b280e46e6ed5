// Profile, custom, subscription, category, status and place conditions and their combinations, against real
// PostgreSQL; values that try to break out of the SQL stay bound parameters.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { compileSegment } from '../../segments/compile';
import { parseSegment } from '../../segments/segment';
import { insertContacts, insertSubscription, members } from './support';

let db: TestDatabase;
const AT = '2026-05-01T12:00:00Z';
const ids = (where: unknown) => members(db.pool, where, AT);

beforeAll(async () => {
  db = await createTestDatabase();
  await insertContacts(db.pool, [
    {
      id: 'p-ann',
      first_name: 'Ann-Marie',
      language: 'de',
      gender: 2,
      country: 'US',
      subdivision: 'US-FL',
      custom: { plan: 'pro', orders: 12, tags: ['vip', 'early'], score: 4.5, newsletter: true },
    },
    {
      id: 'p-bob',
      first_name: 'Bob',
      language: 'fr',
      gender: 1,
      country: 'CA',
      subdivision: 'CA-QC',
      custom: { plan: 'basic', orders: 3, tags: ['early'] },
    },
    {
      id: 'p-cy',
      first_name: null,
      language: null,
      country: null,
      status: 'unsubscribed',
      active: false,
      custom: { plan: 'pro', orders: '20', note: '100% 50_50 deal' },
    },
    { id: 'p-dee', first_name: "O'Brien", language: 'en', country: 'GB', status: 'unconfirmed' },
  ]);
  await insertSubscription(db.pool, {
    contact: 'p-ann',
    status: 'subscribed',
    categories: { promo: 'unsubscribed' },
  });
  await insertSubscription(db.pool, {
    contact: 'p-ann',
    channel: 'sms',
    status: 'subscribed',
    address: '+14155550101',
  });
  await insertSubscription(db.pool, {
    contact: 'p-bob',
    status: 'subscribed',
    categories: { promo: 'subscribed' },
  });
  await insertSubscription(db.pool, { contact: 'p-bob', resource: 'blog', status: 'unsubscribed' });
  await insertSubscription(db.pool, { contact: 'p-cy', status: 'subscribed', deleted: true });
  await insertSubscription(db.pool, { contact: 'p-dee', status: 'non_subscribed' });
});
afterAll(async () => {
  await db.drop();
});

describe('profile fields', () => {
  test.each([
    [{ field: 'language', eq: 'de' }, ['p-ann']],
    [{ field: 'language', ne: 'de' }, ['p-bob', 'p-dee']], // ne: set and different
    [{ not: { field: 'language', eq: 'de' } }, ['p-bob', 'p-cy', 'p-dee']], // not: a missing value too
    [{ field: 'language', in: ['de', 'fr'] }, ['p-ann', 'p-bob']],
    [{ field: 'language', notIn: ['de', 'fr'] }, ['p-dee']],
    [{ field: 'language', exists: false }, ['p-cy']],
    [{ field: 'first_name', contains: 'MARIE' }, ['p-ann']],
    [{ field: 'first_name', startsWith: 'Bo' }, ['p-bob']],
    [{ field: 'gender', eq: 1 }, ['p-bob']],
    [{ field: 'gender', gte: 1 }, ['p-ann', 'p-bob']],
    [{ field: 'active', eq: false }, ['p-cy']],
  ])('%j', async (where, expected) => {
    expect(await ids(where)).toEqual(expected);
  });
});

describe('custom fields, whatever JSON type they hold', () => {
  test.each([
    [{ custom: 'plan', eq: 'pro' }, ['p-ann', 'p-cy']],
    [{ custom: 'plan', ne: 'pro' }, ['p-bob']],
    [{ custom: 'plan', in: ['basic', 'enterprise'] }, ['p-bob']],
    [{ custom: 'plan', notIn: ['basic'] }, ['p-ann', 'p-cy']],
    [{ custom: 'orders', gte: 10 }, ['p-ann']], // p-cy's "20" is text, not a number: no match, no error
    [{ custom: 'orders', lt: 10 }, ['p-bob']],
    [{ custom: 'score', gt: 4.25 }, ['p-ann']],
    [{ custom: 'tags', contains: 'vip' }, ['p-ann']],
    [{ custom: 'tags', contains: 'early' }, ['p-ann', 'p-bob']],
    [{ custom: 'newsletter', eq: true }, ['p-ann']],
    [{ custom: 'tags', exists: false }, ['p-cy', 'p-dee']],
    [{ custom: 'note', contains: '%' }, ['p-cy']],
    [{ custom: 'note', contains: '0_5' }, ['p-cy']],
    [{ custom: 'plan', startsWith: 'ba' }, ['p-bob']],
  ])('%j', async (where, expected) => {
    expect(await ids(where)).toEqual(expected);
  });
});

describe('consent state', () => {
  test.each([
    [{ status: 'subscribed' }, ['p-ann', 'p-bob']],
    [{ status: ['unsubscribed', 'unconfirmed'] }, ['p-cy', 'p-dee']],
    [{ country: ['US', 'CA'] }, ['p-ann', 'p-bob']],
    [{ not: { country: 'US' } }, ['p-bob', 'p-cy', 'p-dee']],
    [{ subdivision: 'US-FL' }, ['p-ann']],
    [{ subscription: { resource: 'shop', channel: 'email', status: 'subscribed' } }, ['p-ann', 'p-bob']], // p-cy's is deleted
    [{ subscription: { channel: 'sms', status: 'subscribed' } }, ['p-ann']],
    [{ subscription: { resource: 'blog', status: ['unsubscribed', 'complainer'] } }, ['p-bob']],
    [{ subscription: { status: 'non_subscribed' } }, ['p-dee']],
    [
      { category: { resource: 'shop', channel: 'email', category: 'promo', state: 'unsubscribed' } },
      ['p-ann'],
    ],
    [{ category: { category: 'promo', state: 'subscribed' } }, ['p-bob']],
    [{ category: { resource: 'shop', channel: 'email', category: 'promo', state: 'unset' } }, ['p-dee']],
  ])('%j', async (where, expected) => {
    expect(await ids(where)).toEqual(expected);
  });
});

describe('all, any, not', () => {
  test('combined', async () => {
    expect(
      await ids({
        all: [
          {
            any: [
              { custom: 'tags', contains: 'vip' },
              { custom: 'orders', lt: 5 },
            ],
          },
          { not: { subdivision: 'CA-QC' } },
        ],
      }),
    ).toEqual(['p-ann']);
    expect(await ids({ any: [{ field: 'language', eq: 'en' }, { status: 'unsubscribed' }] })).toEqual([
      'p-cy',
      'p-dee',
    ]);
    expect(await ids({ not: { not: { field: 'language', eq: 'fr' } } })).toEqual(['p-bob']);
  });
});

describe('values never become SQL', () => {
  const attacks = [
    "'); DROP TABLE contacts; --",
    "x' OR '1'='1",
    '$1::text); --',
    "O'Brien",
    'Robert"); DELETE FROM contacts; --',
  ];
  test.each(attacks)('%s is a bound parameter', async (value) => {
    const where = {
      any: [
        { field: 'first_name', eq: value },
        { field: 'first_name', in: [value, 'nobody'] },
        { custom: 'plan', eq: value },
        { custom: 'plan', contains: value },
        { subscription: { resource: 'shop', status: 'subscribed' } },
        { category: { category: value, state: 'unset' } },
        { ledger: { kind: 'subscription', category: value, to: value } },
      ],
    };
    const segment = parseSegment(JSON.stringify({ id: 'attack', where }));
    const compiled = compileSegment(segment, { at: new Date(AT), paramOffset: 2 });
    expect(compiled.where).not.toContain(value);
    expect(compiled.params).toContain(value);
    const found = await ids(where);
    // The live subscriptions without such a category; the quote-named contact is among them anyway.
    expect(found).toEqual(['p-ann', 'p-bob', 'p-dee']);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM contacts');
    expect(Number(rows[0]!.n)).toBe(4);
  });
  test('an exact match on a quote finds the contact whose name has one', async () => {
    expect(await ids({ field: 'first_name', eq: "O'Brien" })).toEqual(['p-dee']);
  });
  test('parameters are numbered from paramOffset + 1, each used', () => {
    const segment = parseSegment(
      JSON.stringify({
        id: 'numbers',
        where: {
          all: [
            { birthday: 'today' },
            { field: 'language', in: ['de'] },
            { date: 'created_at', olderThan: '3 days' },
          ],
        },
      }),
    );
    for (const offset of [0, 2, 7]) {
      const { where, params } = compileSegment(segment, { at: new Date(AT), paramOffset: offset });
      const used = new Set([...where.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      expect([...used].sort((a, b) => a - b)).toEqual(params.map((_, i) => offset + i + 1));
    }
  });
});
