// Opt-outs that name no resource stay on their channel: Twilio's error 21610 (the number replied STOP to our
// sender, so the carrier blocks every further SMS from it) unsubscribes the number's SMS subscriptions of every
// resource, and a one-click from an email that named no resource unsubscribes that address's email
// subscriptions. Neither touches the other channel or the global status, which would stop email for an SMS
// STOP (and SMS for an email click). Only when the address has no subscription on the channel, the global
// status is the one switch left that stops those emails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signLink } from '../../contracts/consent-link';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { twilioSignature } from '../../server/webhooks/twilio';
import { createTestDatabase, type TestDatabase } from '../support/db';

const BASE = 'https://consent.shop.test';
const KEY = 'o'.repeat(40);
const TOKEN = 'twilio-auth-token-0123456789abcdef';
const PHONE = '+4915112345678';
const EMAIL = 'ada@example.com';
let db: TestDatabase;
let app: FastifyInstance;

const statuses = async (contactId = 'c-ada') => {
  const c = await db.pool.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [contactId]);
  const { rows } = await db.pool.query<{ resource: string; channel: string; status: string }>(
    `SELECT resource, channel, status FROM subscriptions WHERE contact_id = $1 ORDER BY channel, resource`,
    [contactId],
  );
  return { global: c.rows[0]?.status, subs: rows.map((r) => `${r.channel}/${r.resource}=${r.status}`) };
};

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: BASE, keys: [KEY] },
    providers: { twilioAuthToken: TOKEN },
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query('DELETE FROM feedback_events');
  await db.pool.query('DELETE FROM feedback_clock');
  await db.pool.query('DELETE FROM contacts');
  await upsertContact(db.pool, {
    id: 'c-ada',
    email: EMAIL,
    phone: PHONE,
    status: 'subscribed',
    subscriptions: [
      { resource: 'newsletter', channel: 'email', status: 'subscribed' },
      { resource: 'offers', channel: 'email', status: 'subscribed' },
      { resource: 'newsletter', channel: 'sms', status: 'subscribed' },
      { resource: 'offers', channel: 'sms', status: 'subscribed' },
    ],
  });
});

describe('opt-outs without a resource stay on their channel', () => {
  it('Twilio 21610 unsubscribes the SMS subscriptions of the number, every resource; email and the global status stay', async () => {
    const params = {
      MessageSid: 'SM21610',
      MessageStatus: 'undelivered',
      ErrorCode: '21610',
      To: PHONE,
      From: '+15005550006',
    };
    const r = await app.inject({
      method: 'POST',
      url: '/webhooks/twilio/status',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(TOKEN, `${BASE}/webhooks/twilio/status`, params),
      },
      payload: new URLSearchParams(params).toString(),
    });
    expect(r.statusCode).toBe(204);
    expect(await statuses()).toEqual({
      global: 'subscribed',
      subs: [
        'email/newsletter=subscribed',
        'email/offers=subscribed',
        'sms/newsletter=unsubscribed',
        'sms/offers=unsubscribed',
      ],
    });
  });

  it("a one-click from an email without a resource unsubscribes the address's email subscriptions only", async () => {
    const token = signLink([KEY], {
      purpose: 'unsubscribe',
      contactId: 'c-ada',
      channel: 'email',
      messageId: 'wf/r/welcome-1',
    });
    const r = await app.inject({
      method: 'POST',
      url: `/u/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(r.statusCode).toBe(200);
    expect(await statuses()).toEqual({
      global: 'subscribed',
      subs: [
        'email/newsletter=unsubscribed',
        'email/offers=unsubscribed',
        'sms/newsletter=subscribed',
        'sms/offers=subscribed',
      ],
    });
  });

  it('an address without any email subscription: the one-click sets the global status, the only switch left', async () => {
    await upsertContact(db.pool, { id: 'c-bare', email: 'bare@example.com', status: 'subscribed' });
    await db.pool.query(`DELETE FROM subscriptions WHERE contact_id = 'c-bare'`);
    const token = signLink([KEY], { purpose: 'unsubscribe', contactId: 'c-bare', channel: 'email' });
    const r = await app.inject({
      method: 'POST',
      url: `/u/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(r.statusCode).toBe(200);
    expect((await statuses('c-bare')).global).toBe('unsubscribed');
  });
});
