// The unsubscribe link's rules, against the real store: a tampered or foreign token is a 400 that writes
// nothing and says why without internals; a replayed one-click POST is harmless, even after the person
// resubscribed; a rotated key still verifies old links; GET never writes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signLink, type LinkClaims } from '../../contracts/consent-link';
import { applyFeedback, upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { createTestDatabase, type TestDatabase } from '../support/db';

const OLD_KEY = 'o'.repeat(40);
const NEW_KEY = 'n'.repeat(40);
const ADA = 'c-ada';
let db: TestDatabase;
let app: FastifyInstance;
const claims: LinkClaims = {
  purpose: 'unsubscribe',
  contactId: ADA,
  channel: 'email',
  resource: 'newsletter',
  messageId: 'wf/run/step-1',
};
const ONE_CLICK = {
  method: 'POST' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: 'List-Unsubscribe=One-Click',
};

const count = async () =>
  Number((await db.pool.query<{ count: string }>('SELECT count(*) FROM consent_ledger')).rows[0]!.count);
const status = async (resource = 'newsletter') =>
  (
    await db.pool.query<{ status: string }>(
      `SELECT status FROM subscriptions WHERE contact_id = $1 AND resource = $2`,
      [ADA, resource],
    )
  ).rows[0]?.status;

beforeAll(async () => {
  db = await createTestDatabase();
  // The old key is still listed: links in emails sent before the rotation keep working.
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: 'https://x.test', keys: [NEW_KEY, OLD_KEY] },
    providers: {},
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query(`DELETE FROM feedback_events`);
  await upsertContact(db.pool, {
    id: ADA,
    email: 'ada@example.com',
    status: 'subscribed',
    subscriptions: [
      { resource: 'newsletter', channel: 'email', status: 'subscribed' },
      { resource: 'offers', channel: 'email', status: 'subscribed' },
    ],
  });
  await applyFeedback(db.pool, {
    kind: 'resubscribe',
    channel: 'email',
    address: 'ada@example.com',
    resource: 'newsletter',
  });
});

describe('unsubscribe links', () => {
  it('a tampered token, a token signed with an unknown key and a preferences token are 400 and write nothing', async () => {
    const good = signLink([NEW_KEY], claims);
    const [v, body, sig] = good.split('.') as [string, string, string];
    const otherContact = Buffer.from(
      Buffer.from(body, 'base64url').toString().replace(ADA, 'c-bob'),
    ).toString('base64url');
    const bad = [
      `${v}.${otherContact}.${sig}`,
      signLink(['x'.repeat(40)], claims),
      signLink([NEW_KEY], { ...claims, purpose: 'preferences' }),
      `${good.slice(0, -3)}AAA`,
      'not-a-token',
    ];
    const before = await count();
    for (const token of bad) {
      for (const r of [
        await app.inject({ url: `/u/${token}`, ...ONE_CLICK }),
        await app.inject({ url: `/u/${token}` }),
      ]) {
        expect(r.statusCode).toBe(400);
        expect(r.body).toContain('This unsubscribe link is not valid');
        expect(r.body).not.toMatch(/\bat .*\.ts:\d+|Error:|stack/);
      }
    }
    expect(await count()).toBe(before);
    expect(await status()).toBe('subscribed');
  });

  it('one-click unsubscribes only the resource the message was for, with a 200 and nothing else to do', async () => {
    const r = await app.inject({ url: `/u/${signLink([NEW_KEY], claims)}`, ...ONE_CLICK });
    expect(r.statusCode).toBe(200);
    expect(await status('newsletter')).toBe('unsubscribed');
    expect(await status('offers')).toBe('subscribed');
  });

  it('a replayed one-click POST changes nothing, even after the person resubscribed', async () => {
    const url = `/u/${signLink([NEW_KEY], claims)}`;
    expect((await app.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
    const after = await count();
    expect((await app.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
    expect(await count()).toBe(after);
    await applyFeedback(db.pool, {
      kind: 'resubscribe',
      channel: 'email',
      address: 'ada@example.com',
      resource: 'newsletter',
    });
    expect(await status()).toBe('subscribed');
    const resubscribed = await count();
    expect((await app.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
    expect(await status()).toBe('subscribed');
    expect(await count()).toBe(resubscribed);
  });

  it('a link signed with the old key still works after rotation', async () => {
    const r = await app.inject({ url: `/u/${signLink([OLD_KEY], claims)}`, ...ONE_CLICK });
    expect(r.statusCode).toBe(200);
    expect(await status()).toBe('unsubscribed');
  });

  it('GET shows a confirmation page and writes nothing; its button unsubscribes', async () => {
    const url = `/u/${signLink([NEW_KEY], claims)}`;
    const before = await count();
    const page = await app.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('name="confirm" value="yes"');
    expect(page.body).not.toContain('ada@example.com');
    expect(await count()).toBe(before);
    expect(await status()).toBe('subscribed');
    const confirmed = await app.inject({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Firefox' },
      payload: 'confirm=yes',
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('You are unsubscribed');
    expect(await status()).toBe('unsubscribed');
    const { rows } = await db.pool.query<{ origin: string; source: Record<string, unknown> }>(
      `SELECT origin, source FROM consent_ledger WHERE kind = 'subscription' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({
      origin: 'feedback',
      source: { via: 'unsubscribe-page', userAgent: 'Firefox' },
    });
    expect(rows[0]!.source.ip).toEqual(expect.any(String));
  });

  it('a POST without the one-click body is a 400 saying what to send, and writes nothing', async () => {
    const before = await count();
    const r = await app.inject({
      url: `/u/${signLink([NEW_KEY], claims)}`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=Yes-Please',
    });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('List-Unsubscribe=One-Click');
    expect(await count()).toBe(before);
  });

  it('public pages are rate limited per client and route: beyond the limit a 429 says when to retry', async () => {
    const limited = await buildServer({
      pool: db.pool,
      links: { baseUrl: 'https://x.test', keys: [NEW_KEY] },
      providers: {},
      publicRateLimit: 2,
    });
    try {
      const url = `/u/${signLink([NEW_KEY], claims)}`;
      expect((await limited.inject({ url })).statusCode).toBe(200);
      expect((await limited.inject({ url })).statusCode).toBe(200);
      expect((await limited.inject({ url })).statusCode).toBe(429);
      expect((await limited.inject({ url, ...ONE_CLICK })).statusCode).toBe(200);
      const before = await count();
      await applyFeedback(db.pool, {
        kind: 'resubscribe',
        channel: 'email',
        address: 'ada@example.com',
        resource: 'newsletter',
      });
      const confirm = {
        url,
        method: 'POST' as const,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'confirm=yes',
      };
      const resubscribed = await count();
      expect(resubscribed).toBeGreaterThan(before);
      const third = await limited.inject(confirm); // the second POST of this client within the minute
      expect(third.statusCode).toBe(200);
      const fourth = await limited.inject(confirm);
      expect(fourth.statusCode).toBe(429);
      expect(fourth.body).toMatch(/try again in/i);
    } finally {
      await limited.close();
    }
  });
});
