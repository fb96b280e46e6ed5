// Date conditions against real PostgreSQL, in each contact's own time zone: birthdays around local midnight,
// Feb 29 birthdays in years without one, "signed up more than N days ago" on the local calendar, custom
// dates before a local date, and consent ledger events with ages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { insertContacts, members } from './support';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Members of `where` among the contacts whose id starts with `prefix`. */
const among = (prefix: string, where: unknown, at: string, extra?: Record<string, unknown>) =>
  members(db.pool, { all: [{ field: 'id', startsWith: prefix }, where] }, at, extra);

describe('birthday today, in the contact’s own time zone', () => {
  beforeAll(async () => {
    await insertContacts(db.pool, [
      { id: 'bd-tokyo-11', timezone: 'Asia/Tokyo', birthday: '1990-03-11' },
      { id: 'bd-tokyo-10', timezone: 'Asia/Tokyo', birthday: '1990-03-10' },
      { id: 'bd-la-10', timezone: 'America/Los_Angeles', birthday: '1985-03-10' },
      { id: 'bd-la-11', timezone: 'America/Los_Angeles', birthday: '1985-03-11' },
      { id: 'bd-london-10', timezone: 'Europe/London', birthday: '2001-03-10' },
      { id: 'bd-mars-10', timezone: 'Mars/Olympus_Mons', birthday: '2001-03-10' },
      { id: 'bd-none-11', timezone: null, birthday: '2001-03-11' },
      { id: 'bd-nobirthday', timezone: 'Europe/London', birthday: null },
    ]);
  });

  test('23:30 UTC: already tomorrow in Tokyo, still today in London and Los Angeles', async () => {
    expect(await among('bd-', { birthday: 'today' }, '2026-03-10T23:30:00Z')).toEqual([
      'bd-la-10',
      'bd-london-10',
      'bd-mars-10', // a zone PostgreSQL does not know: the fallback, UTC
      'bd-tokyo-11',
    ]);
  });

  test('the local midnight is the boundary, to the second', async () => {
    // 15:00 UTC is midnight in Tokyo (UTC+9).
    expect(await among('bd-tokyo', { birthday: 'today' }, '2026-03-10T14:59:59Z')).toEqual(['bd-tokyo-10']);
    expect(await among('bd-tokyo', { birthday: 'today' }, '2026-03-10T15:00:00Z')).toEqual(['bd-tokyo-11']);
  });

  test('contacts without a known zone use the segment’s "timezone" (default UTC)', async () => {
    const at = '2026-03-10T23:30:00Z';
    expect(await among('bd-none', { birthday: 'today' }, at)).toEqual([]);
    expect(await among('bd-none', { birthday: 'today' }, at, { timezone: 'Asia/Tokyo' })).toEqual([
      'bd-none-11',
    ]);
    expect(await among('bd-mars', { birthday: 'today' }, at, { timezone: 'Asia/Tokyo' })).toEqual([]);
  });

  test('not birthday today includes the contacts without a birthday', async () => {
    expect(await among('bd-', { not: { birthday: 'today' } }, '2026-03-10T23:30:00Z')).toEqual([
      'bd-la-11',
      'bd-nobirthday',
      'bd-none-11',
      'bd-tokyo-10',
    ]);
  });
});

describe('Feb 29 birthdays fall on Feb 28 in years without Feb 29', () => {
  beforeAll(async () => {
    await insertContacts(db.pool, [
      { id: 'fb-0228', timezone: 'UTC', birthday: '1999-02-28' },
      { id: 'fb-0229', timezone: 'UTC', birthday: '2000-02-29' },
      { id: 'fb-0301', timezone: 'UTC', birthday: '1999-03-01' },
    ]);
  });
  test.each([
    ['2027-02-28T12:00:00Z', ['fb-0228', 'fb-0229']],
    ['2027-03-01T12:00:00Z', ['fb-0301']],
    ['2028-02-28T12:00:00Z', ['fb-0228']],
    ['2028-02-29T12:00:00Z', ['fb-0229']],
    ['2028-03-01T12:00:00Z', ['fb-0301']],
  ])('at %s', async (at, expected) => {
    expect(await among('fb-', { birthday: 'today' }, at)).toEqual(expected);
  });
  test('anniversary in 1 day, the day before', async () => {
    expect(await among('fb-', { anniversary: 'birthday', inDays: 1 }, '2027-02-27T12:00:00Z')).toEqual([
      'fb-0228',
      'fb-0229',
    ]);
  });
});

describe('anniversaries of the sign-up', () => {
  test('a year after the local sign-up date, not on the day itself', async () => {
    await insertContacts(db.pool, [
      { id: 'an-year', timezone: 'Asia/Tokyo', created_at: '2025-03-10T20:00:00Z' }, // Tokyo: Mar 11
      { id: 'an-today', timezone: 'UTC', created_at: '2026-03-11T01:00:00Z' },
      { id: 'an-other', timezone: 'UTC', created_at: '2025-03-10T20:00:00Z' }, // UTC: Mar 10
    ]);
    expect(await among('an-', { anniversary: 'created_at' }, '2026-03-11T09:00:00Z')).toEqual(['an-year']);
  });
});

describe('signed up more (or less) than N days ago, counted on the local calendar', () => {
  beforeAll(async () => {
    // One instant: Mar 2 08:30 in Tokyo, Mar 1 23:30 in London.
    await insertContacts(db.pool, [
      { id: 'ag-tokyo', timezone: 'Asia/Tokyo', created_at: '2026-03-01T23:30:00Z' },
      { id: 'ag-london', timezone: 'Europe/London', created_at: '2026-03-01T23:30:00Z' },
    ]);
  });
  const at = '2026-03-31T12:00:00Z';
  test.each([
    [{ olderThan: '29 days' }, ['ag-london']],
    [{ olderThan: '30 days' }, []],
    [{ newerThan: '30 days' }, ['ag-tokyo']],
    [{ newerThan: '31 days' }, ['ag-london', 'ag-tokyo']],
    [{ olderThan: '4 weeks' }, ['ag-london', 'ag-tokyo']],
    // Mar 31 minus a month is Feb 28 (PostgreSQL's month arithmetic): both signed up after it.
    [{ newerThan: '1 month' }, ['ag-london', 'ag-tokyo']],
    [{ before: '2026-03-02' }, ['ag-london']],
    [{ after: '2026-03-02' }, ['ag-tokyo']],
    [{ before: '2026-03-01T23:30:00Z' }, []],
    [{ after: '2026-03-01T23:30:00Z' }, ['ag-london', 'ag-tokyo']],
  ])('%j', async (comparison, expected) => {
    expect(await among('ag-', { date: 'created_at', ...comparison }, at)).toEqual(expected);
  });
  test('hours and minutes compare instants, whatever the zone', async () => {
    const where = { date: 'created_at', olderThan: '720 hours' };
    expect(await among('ag-', where, '2026-03-31T23:29:59Z')).toEqual([]);
    expect(await among('ag-', where, '2026-03-31T23:30:01Z')).toEqual(['ag-london', 'ag-tokyo']);
  });
  test('a date after the decision instant is not "less than N days ago"', async () => {
    expect(await among('ag-', { date: 'created_at', newerThan: '7 days' }, '2026-02-27T12:00:00Z')).toEqual(
      [],
    );
  });
});

describe('custom date fields (last purchase) in the contact’s zone', () => {
  beforeAll(async () => {
    await insertContacts(db.pool, [
      {
        id: 'cd-london',
        timezone: 'Europe/London',
        custom: { last_purchase_at: '2025-12-31T23:30:00.000Z' },
      },
      {
        id: 'cd-berlin',
        timezone: 'Europe/Berlin',
        custom: { last_purchase_at: '2025-12-31T23:30:00.000Z' },
      },
      { id: 'cd-none', timezone: 'Europe/Berlin' },
      { id: 'cd-garbage', timezone: 'Europe/Berlin', custom: { last_purchase_at: 'soon' } },
    ]);
  });
  const at = '2026-06-01T12:00:00Z';
  test('before a date: before the local midnight', async () => {
    expect(await among('cd-', { date: 'custom.last_purchase_at', before: '2026-01-01' }, at)).toEqual([
      'cd-london',
    ]);
    expect(await among('cd-', { date: 'custom.last_purchase_at', after: '2026-01-01' }, at)).toEqual([
      'cd-berlin',
    ]);
  });
  test('no value, or one that is not a date, is not before anything; "exists": false finds both', async () => {
    expect(
      await among('cd-', { not: { date: 'custom.last_purchase_at', before: '2027-01-01' } }, at),
    ).toEqual(['cd-garbage', 'cd-none']);
    expect(await among('cd-', { date: 'custom.last_purchase_at', exists: false }, at)).toEqual([
      'cd-garbage',
      'cd-none',
    ]);
  });
  test('last purchase more than 5 months ago: Dec 31 in London, but Jan 1 in Berlin', async () => {
    expect(await among('cd-', { date: 'custom.last_purchase_at', olderThan: '5 months' }, at)).toEqual([
      'cd-london',
    ]);
    expect(await among('cd-', { date: 'custom.last_purchase_at', olderThan: '6 months' }, at)).toEqual([]);
  });
});

describe('consent ledger events', () => {
  const at = new Date('2026-05-01T12:00:00Z');
  const minutes = (n: number) => new Date(at.getTime() + n * 60_000);
  beforeAll(async () => {
    await insertContacts(db.pool, [
      { id: 'ld-45' },
      { id: 'ld-10' },
      { id: 'ld-future' },
      { id: 'ld-unsub' },
      { id: 'ld-blog' },
    ]);
    const event = (contact: string, when: Date, status: string, resource = 'shop') =>
      db.pool.query(
        `INSERT INTO consent_ledger (at, contact_id, kind, channel, resource, address, before, after, origin)
         VALUES ($1, $2, 'subscription', 'email', $3, 'x@example.test', NULL, jsonb_build_object('status', $4::text), 'form')`,
        [when, contact, resource, status],
      );
    await event('ld-45', minutes(-45), 'subscribed');
    await event('ld-10', minutes(-10), 'subscribed');
    await event('ld-future', minutes(60), 'subscribed');
    await event('ld-unsub', minutes(-45), 'unsubscribed');
    await event('ld-blog', minutes(-45), 'subscribed', 'blog');
  });
  const subscribed = { kind: 'subscription', resource: 'shop', channel: 'email', to: 'subscribed' };
  test('subscribed to shop more than 30 minutes ago', async () => {
    expect(
      await among('ld-', { ledger: { ...subscribed, olderThan: '30 minutes' } }, at.toISOString()),
    ).toEqual(['ld-45']);
  });
  test('less than 30 minutes ago; ever (up to the decision instant, never after it)', async () => {
    expect(
      await among('ld-', { ledger: { ...subscribed, newerThan: '30 minutes' } }, at.toISOString()),
    ).toEqual(['ld-10']);
    expect(await among('ld-', { ledger: subscribed }, at.toISOString())).toEqual(['ld-10', 'ld-45']);
    expect(await among('ld-', { ledger: { kind: 'subscription' } }, at.toISOString())).toEqual([
      'ld-10',
      'ld-45',
      'ld-blog',
      'ld-unsub',
    ]);
  });
});
