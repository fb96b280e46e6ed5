// A link from a category message (the send step named a category) unsubscribes that category only: the
// one-click POST marks the category unsubscribed on the subscription the message went to, and leaves the
// subscription, its other categories and the contact's other subscriptions as they were. The GET page offers
// both ("only <category>" / "all <resource> emails"); a link without a category unsubscribes the subscription.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signLink, type LinkClaims } from '../../contracts/consent-link';
import { setCategory, upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { createTestDatabase, type TestDatabase } from '../support/db';

const KEY = 'c'.repeat(40);
const ADA = 'c-ada';
const EMAIL = 'ada@example.com';
let db: TestDatabase;
let app: FastifyInstance;
const promo: LinkClaims = {
  purpose: 'unsubscribe',
  contactId: ADA,
  channel: 'email',
  resource: 'newsletter',
  category: 'promo',
  messageId: 'wf/run/promo-1',
};
const ONE_CLICK = {
  method: 'POST' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailboxProvider/1.0' },
  payload: 'List-Unsubscribe=One-Click',
};

interface Sub {
  resource: string;
  status: string;
  categories: Record<string, string>;
}
const subs = async (): Promise<Record<string, Sub>> => {
  const { rows } = await db.pool.query<Sub>(
    `SELECT resource, status, categories FROM subscriptions WHERE contact_id = $1 ORDER BY resource`,
    [ADA],
  );
  return Object.fromEntries(rows.map((r) => [r.resource, r]));
};
const globalStatus = async () =>
  (await db.pool.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [ADA])).rows[0]!
    .status;
const count = async () =>
  Number((await db.pool.query<{ count: string }>('SELECT count(*) FROM consent_ledger')).rows[0]!.count);

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: 'https://x.test', keys: [KEY] },
    providers: {},
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query(`DELETE FROM feedback_events`);
  await db.pool.query(`DELETE FROM contacts`);
  await upsertContact(db.pool, {
    id: ADA,
    email: EMAIL,
    status: 'subscribed',
    subscriptions: [
      {
        resource: 'newsletter',
        channel: 'email',
        status: 'subscribed',
        categories: { promo: 'subscribed', tips: 'subscribed' },
      },
      { resource: 'offers', channel: 'email', status: 'subscribed', categories: { promo: 'subscribed' } },
    ],
  });
});

describe('one-click narrowed to the link category', () => {
  it("a category link's one-click unsubscribes that category on that subscription only", async () => {
    const r = await app.inject({ url: `/u/${signLink([KEY], promo)}`, ...ONE_CLICK });
    expect(r.statusCode).toBe(200);
    const s = await subs();
    expect(s.newsletter).toMatchObject({
      status: 'subscribed',
      categories: { promo: 'unsubscribed', tips: 'subscribed' },
    });
    expect(s.offers).toMatchObject({ status: 'subscribed', categories: { promo: 'subscribed' } });
    expect(await globalStatus()).toBe('subscribed');
    const { rows } = await db.pool.query<{
      kind: string;
      origin: string;
      category: string;
      source: Record<string, unknown>;
    }>(
      `SELECT kind, origin, category, source FROM consent_ledger WHERE contact_id = $1 ORDER BY id DESC LIMIT 1`,
      [ADA],
    );
    expect(rows[0]).toMatchObject({
      kind: 'category',
      origin: 'feedback',
      category: 'promo',
      source: {
        via: 'one-click',
        userAgent: 'MailboxProvider/1.0',
        messageId: promo.messageId,
        category: 'promo',
      },
    });
    expect(rows[0]!.source.ip).toEqual(expect.any(String));
  });

  it('a category the subscription does not mention yet becomes an explicit unsubscribed', async () => {
    const deals = { ...promo, category: 'deals', messageId: 'wf/run/deals-1' };
    expect((await app.inject({ url: `/u/${signLink([KEY], deals)}`, ...ONE_CLICK })).statusCode).toBe(200);
    const s = await subs();
    expect(s.newsletter).toMatchObject({
      status: 'subscribed',
      categories: { promo: 'subscribed', tips: 'subscribed', deals: 'unsubscribed' },
    });
  });

  it('a replayed category one-click changes nothing, even after the person subscribed the category again', async () => {
    const url = `/u/${signLink([KEY], promo)}`;
    expect((await app.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
    await setCategory(
      db.pool,
      ADA,
      { resource: 'newsletter', category: 'promo', channel: 'email' },
      'subscribed',
      'form',
    );
    const before = await count();
    expect((await app.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
    expect(await count()).toBe(before);
    expect((await subs()).newsletter!.categories.promo).toBe('subscribed');
  });

  it('a link without a category still unsubscribes the whole subscription', async () => {
    const { category: _none, ...plain } = promo;
    expect((await app.inject({ url: `/u/${signLink([KEY], plain)}`, ...ONE_CLICK })).statusCode).toBe(200);
    const s = await subs();
    expect(s.newsletter!.status).toBe('unsubscribed');
    expect(s.offers!.status).toBe('subscribed');
  });

  it('a category link without a resource unsubscribes the category on every subscription of the address, not the global status', async () => {
    const { resource: _none, ...anyResource } = promo;
    expect((await app.inject({ url: `/u/${signLink([KEY], anyResource)}`, ...ONE_CLICK })).statusCode).toBe(
      200,
    );
    const s = await subs();
    expect(s.newsletter).toMatchObject({
      status: 'subscribed',
      categories: { promo: 'unsubscribed', tips: 'subscribed' },
    });
    expect(s.offers).toMatchObject({ status: 'subscribed', categories: { promo: 'unsubscribed' } });
    expect(await globalStatus()).toBe('subscribed');
  });

  it('the GET page offers "only promo" and "all newsletter emails", writes nothing, and each button does what it says', async () => {
    const url = `/u/${signLink([KEY], promo)}`;
    const before = await count();
    const page = await app.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<button[^>]*name="scope"[^>]*value="category"[^>]*>[^<]*only[^<]*promo/i);
    expect(page.body).toMatch(/<button[^>]*name="scope"[^>]*value="all"[^>]*>[^<]*all[^<]*newsletter/i);
    expect(await count()).toBe(before);
    const form = (payload: string) => ({
      url,
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    });
    expect((await app.inject(form('confirm=yes&scope=category'))).statusCode).toBe(200);
    let s = await subs();
    expect(s.newsletter).toMatchObject({ status: 'subscribed', categories: { promo: 'unsubscribed' } });
    const all = await app.inject(form('confirm=yes&scope=all'));
    expect(all.statusCode).toBe(200);
    s = await subs();
    expect(s.newsletter!.status).toBe('unsubscribed');
    expect(s.offers!.status).toBe('subscribed');
    const bad = await app.inject(form('confirm=yes&scope=everything'));
    expect(bad.statusCode).toBe(400);
  });
});
