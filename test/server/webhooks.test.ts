// Provider webhooks against the real store, with keys generated here and payloads shaped like the providers'
// captured samples: a signed event changes the store once however often it is delivered; a tampered one is a
// 401 that writes nothing; a malformed one is a 400; a provider without a configured secret is not enabled.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { twilioSignature } from '../../server/webhooks/twilio';
import { mailgunSignature } from '../../server/webhooks/email-providers';
import { createTestDatabase, type TestDatabase } from '../support/db';

const BASE = 'https://consent.shop.test';
const TWILIO_TOKEN = 'twilio-auth-token-0123456789abcdef';
const MAILGUN_KEY = 'key-mailgun-signing-0123456789';
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const SENDGRID_PUBLIC = sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const POSTMARK = { user: 'postmark', password: 'pm-secret-0123' };
const EMAIL = 'ada.lovelace@example.com';
const PHONE = '+4915112345678';
const FORM = 'application/x-www-form-urlencoded';

let db: TestDatabase;
let app: FastifyInstance;
let bare: FastifyInstance;

const ledgerCount = async () =>
  Number(
    (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM consent_ledger WHERE origin = 'feedback'`))
      .rows[0]!.n,
  );
const statusOf = async (channel: 'email' | 'sms') =>
  (
    await db.pool.query<{ status: string }>(
      `SELECT status FROM subscriptions WHERE contact_id = 'c-ada' AND channel = $1`,
      [channel],
    )
  ).rows[0]?.status;

beforeAll(async () => {
  db = await createTestDatabase();
  const links = { baseUrl: BASE, keys: ['k'.repeat(40)] };
  app = await buildServer({
    pool: db.pool,
    links,
    providers: {
      twilioAuthToken: TWILIO_TOKEN,
      mailgunSigningKey: MAILGUN_KEY,
      sendgridPublicKey: SENDGRID_PUBLIC,
      postmark: POSTMARK,
    },
  });
  bare = await buildServer({ pool: db.pool, links, providers: {} });
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query('DELETE FROM feedback_events');
  await db.pool.query(`DELETE FROM feedback_clock`);
  await upsertContact(db.pool, {
    id: 'c-ada',
    email: EMAIL,
    phone: PHONE,
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  });
});

function twilioForm(path: string, params: Record<string, string>, token = TWILIO_TOKEN) {
  return {
    method: 'POST' as const,
    url: path,
    headers: { 'content-type': FORM, 'x-twilio-signature': twilioSignature(token, `${BASE}${path}`, params) },
    payload: new URLSearchParams(params).toString(),
  };
}

const INBOUND_STOP = {
  ToCountry: 'US',
  ToState: 'CA',
  SmsMessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  NumMedia: '0',
  SmsSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  SmsStatus: 'received',
  Body: 'STOP',
  FromCountry: 'DE',
  To: '+15005550006',
  NumSegments: '1',
  MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  From: PHONE,
  ApiVersion: '2010-04-01',
};

describe('Twilio', () => {
  it('a signed inbound STOP unsubscribes the number once, replies with TwiML; the retry changes nothing', async () => {
    const r = await app.inject(twilioForm('/webhooks/twilio/sms', INBOUND_STOP));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/xml/);
    expect(r.body).toMatch(/<Response><Message>[^<]+<\/Message><\/Response>/);
    expect(await statusOf('sms')).toBe('unsubscribed');
    const after = await ledgerCount();
    const again = await app.inject(twilioForm('/webhooks/twilio/sms', INBOUND_STOP));
    expect(again.statusCode).toBe(200);
    expect(await ledgerCount()).toBe(after);
    const { rows } = await db.pool.query<{ source: Record<string, unknown> }>(
      `SELECT source FROM consent_ledger WHERE origin = 'feedback' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]!.source).toMatchObject({
      via: 'webhook',
      provider: 'twilio',
      eventId: INBOUND_STOP.MessageSid,
    });
  });

  it('a tampered body or a wrong token is 401 and writes nothing', async () => {
    const before = await ledgerCount();
    const signed = twilioForm('/webhooks/twilio/sms', { ...INBOUND_STOP, Body: 'HELLO' });
    const tampered = { ...signed, payload: new URLSearchParams(INBOUND_STOP).toString() };
    for (const req of [
      tampered,
      twilioForm('/webhooks/twilio/sms', INBOUND_STOP, 'another-token'),
      { ...signed, headers: { 'content-type': FORM } },
    ]) {
      const r = await app.inject(req);
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect(await ledgerCount()).toBe(before);
    expect(await statusOf('sms')).toBe('subscribed');
  });

  it('a status callback with error 21610 unsubscribes the number; other statuses change nothing', async () => {
    const delivered = {
      SmsSid: 'SM2',
      SmsStatus: 'delivered',
      MessageStatus: 'delivered',
      To: PHONE,
      MessageSid: 'SM2',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: '+15005550006',
      ApiVersion: '2010-04-01',
    };
    expect((await app.inject(twilioForm('/webhooks/twilio/status', delivered))).statusCode).toBe(204);
    expect(await statusOf('sms')).toBe('subscribed');
    const optedOut = {
      ...delivered,
      SmsStatus: 'undelivered',
      MessageStatus: 'undelivered',
      ErrorCode: '21610',
    };
    expect((await app.inject(twilioForm('/webhooks/twilio/status', optedOut))).statusCode).toBe(204);
    expect(await statusOf('sms')).toBe('unsubscribed');
  });

  it('a signed but malformed body (no MessageSid) is 400 naming the field', async () => {
    const { MessageSid: _drop, ...rest } = INBOUND_STOP;
    const r = await app.inject(twilioForm('/webhooks/twilio/sms', rest));
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toContain('MessageSid');
  });
});

function mailgunBody(eventData: Record<string, unknown>, key = MAILGUN_KEY) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0';
  return {
    signature: { timestamp, token, signature: mailgunSignature(key, timestamp, token) },
    'event-data': eventData,
  };
}
const MAILGUN_BOUNCE = {
  event: 'failed',
  severity: 'permanent',
  reason: 'bounce',
  recipient: EMAIL,
  id: 'G9Bn5sl1TC6nu79C8C0bwg',
  timestamp: Date.now() / 1000 - 60,
  'delivery-status': { code: 550, message: 'No such user' },
  message: { headers: { 'message-id': '20130503182626.18666.16540@example.com' } },
};

describe('Mailgun', () => {
  it('a signed permanent failure is a hard bounce, applied once however often it is delivered', async () => {
    const body = mailgunBody(MAILGUN_BOUNCE);
    expect((await app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: body })).statusCode).toBe(
      200,
    );
    expect(await statusOf('email')).toBe('hard_bounced');
    const after = await ledgerCount();
    expect((await app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: body })).statusCode).toBe(
      200,
    );
    expect(await ledgerCount()).toBe(after);
  });

  it('a tampered event or a foreign key is 401 and writes nothing', async () => {
    const before = await ledgerCount();
    const body = mailgunBody({ ...MAILGUN_BOUNCE, severity: 'temporary' });
    const tampered = { ...body, signature: { ...body.signature, timestamp: '1529006854' } };
    for (const payload of [tampered, mailgunBody(MAILGUN_BOUNCE, 'key-other')]) {
      expect((await app.inject({ method: 'POST', url: '/webhooks/mailgun', payload })).statusCode).toBe(401);
    }
    expect(await ledgerCount()).toBe(before);
    expect(await statusOf('email')).toBe('subscribed');
  });

  it('a body that is not JSON is a 400', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/webhooks/mailgun',
      headers: { 'content-type': 'application/json' },
      payload: '{"signature": ',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'bad_request', message: 'the body is not valid JSON' });
  });
});

function sendgridRequest(events: unknown[], tamper = false) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const payload = JSON.stringify(events);
  const signature = sign('sha256', Buffer.from(timestamp + payload), sendgrid.privateKey).toString('base64');
  return {
    method: 'POST' as const,
    url: '/webhooks/sendgrid',
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    payload: tamper ? payload.replace('processed', 'spamreport') : payload,
  };
}
const now = () => Math.floor(Date.now() / 1000) - 30;

describe('SendGrid', () => {
  it('a signed batch: the spam report is a complaint, other events change nothing; a redelivery changes nothing', async () => {
    const batch = [
      {
        email: EMAIL,
        timestamp: now(),
        'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
        event: 'processed',
        category: 'cat facts',
        sg_event_id: 'rbtnWrG1DVDGGGFHFyun0A==',
        sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000',
      },
      {
        email: EMAIL,
        timestamp: now(),
        event: 'spamreport',
        sg_event_id: 'Bkc3z8LY3T7BAzFDfpLvVQ==',
        sg_message_id: '14c5d75ce93.dfd.64b469.filter0001',
      },
    ];
    const r = await app.inject(sendgridRequest(batch));
    expect(r.statusCode).toBe(200);
    expect(await statusOf('email')).toBe('complainer');
    const after = await ledgerCount();
    expect((await app.inject(sendgridRequest(batch))).statusCode).toBe(200);
    expect(await ledgerCount()).toBe(after);
  });

  it('a body changed after signing is 401 and writes nothing', async () => {
    const before = await ledgerCount();
    const batch = [{ email: EMAIL, timestamp: now(), event: 'processed', sg_event_id: 'x1' }];
    expect((await app.inject(sendgridRequest(batch, true))).statusCode).toBe(401);
    expect(await ledgerCount()).toBe(before);
    expect(await statusOf('email')).toBe('subscribed');
  });
});

describe('Postmark', () => {
  const BOUNCE = {
    RecordType: 'Bounce',
    MessageStream: 'outbound',
    ID: 0, // replaced by Postmark's 64-bit id in the JSON text below
    Type: 'HardBounce',
    TypeCode: 1,
    Name: 'Hard bounce',
    MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
    Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
    Email: EMAIL,
    From: 'sender@shop.test',
    BouncedAt: new Date(Date.now() - 60_000).toISOString(),
    Inactive: true,
  };
  const POSTMARK_TEXT = JSON.stringify(BOUNCE).replace('"ID":0', '"ID":4323372036854775807');
  const auth = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('with the right credentials a hard bounce is applied once; wrong or missing credentials are 401', async () => {
    const before = await ledgerCount();
    for (const headers of [{}, { authorization: auth(POSTMARK.user, 'wrong') }]) {
      const r = await app.inject({
        method: 'POST',
        url: '/webhooks/postmark',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: POSTMARK_TEXT,
      });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Basic/);
    }
    expect(await ledgerCount()).toBe(before);
    const ok = {
      method: 'POST' as const,
      url: '/webhooks/postmark',
      headers: {
        authorization: auth(POSTMARK.user, POSTMARK.password),
        'content-type': 'application/json',
      },
      payload: POSTMARK_TEXT,
    };
    expect((await app.inject(ok)).statusCode).toBe(200);
    expect(await statusOf('email')).toBe('hard_bounced');
    const after = await ledgerCount();
    expect((await app.inject(ok)).statusCode).toBe(200);
    expect(await ledgerCount()).toBe(after);
  });

  it('two bounces whose 64-bit ids differ beyond 2^53 are two events: neither is dropped as a replay', async () => {
    await upsertContact(db.pool, {
      id: 'c-grace',
      email: 'grace.hopper@example.com',
      status: 'subscribed',
      email_status: 'subscribed',
    });
    // Both ids parse to the same double (9007199254740992): only their digits tell them apart.
    for (const [email, id] of [
      [EMAIL, '9007199254740993'],
      ['grace.hopper@example.com', '9007199254740992'],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/webhooks/postmark',
        headers: {
          authorization: auth(POSTMARK.user, POSTMARK.password),
          'content-type': 'application/json',
        },
        payload: JSON.stringify({ ...BOUNCE, Email: email }).replace('"ID":0', `"ID":${id}`),
      });
      expect(r.statusCode).toBe(200);
    }
    const { rows } = await db.pool.query<{ contact_id: string; status: string }>(
      `SELECT contact_id, status FROM subscriptions WHERE contact_id IN ('c-ada', 'c-grace') AND channel = 'email'
        ORDER BY contact_id`,
    );
    expect(rows).toEqual([
      { contact_id: 'c-ada', status: 'hard_bounced' },
      { contact_id: 'c-grace', status: 'hard_bounced' },
    ]);
  });
});

describe('configuration', () => {
  it('a provider without a configured secret is not enabled: 404 naming the variable, nothing written', async () => {
    const r = await bare.inject(twilioForm('/webhooks/twilio/sms', INBOUND_STOP));
    expect(r.statusCode).toBe(404);
    expect(r.json<{ message: string }>().message).toContain('TWILIO_AUTH_TOKEN');
    expect(await statusOf('sms')).toBe('subscribed');
  });
});
