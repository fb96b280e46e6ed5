// Twilio's signature modes, signed here independently of the server's code (the test signs exactly as
// Twilio's documentation and helper library say): HMAC-SHA1 with the auth token over URL + sorted form
// parameters (with or without the standard port), JSON bodies through the bodySHA256 query parameter, and a
// SharedKey with HMAC-SHA256 named in X-Twilio-Webhooks-Signature-Settings. Every tampered variant is a 401
// that writes nothing.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { loadServerConfig } from '../../server/config';
import { createTestDatabase, type TestDatabase } from '../support/db';

const BASE = 'https://consent.shop.test';
const AUTH_TOKEN = 'twilio-auth-token-0123456789abcdef';
const SHARED = { sid: 'KS0123456789abcdef0123456789abcdef', secret: 'shared-key-secret-fedcba9876543210' };
const PHONE = '+4915112345678';
const FORM = 'application/x-www-form-urlencoded';

/** Twilio's algorithm, written from its documentation: URL, then each name + value sorted by name. */
function sign(secret: string, url: string, params: Record<string, string>, hash: 'sha1' | 'sha256' = 'sha1') {
  let data = url;
  for (const key of Object.keys(params).sort()) data += key + params[key];
  return createHmac(hash, secret).update(data).digest('base64');
}

let db: TestDatabase;
let app: FastifyInstance;

const smsStatus = async () =>
  (
    await db.pool.query<{ status: string }>(
      `SELECT status FROM subscriptions WHERE contact_id = 'c-tw' AND channel = 'sms'`,
    )
  ).rows[0]?.status;
const ledgerRows = async () =>
  Number(
    (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM consent_ledger WHERE origin = 'feedback'`))
      .rows[0]!.n,
  );

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: BASE, keys: ['k'.repeat(40)] },
    providers: { twilioAuthToken: AUTH_TOKEN, twilioSharedKeys: [SHARED] },
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query('DELETE FROM feedback_events');
  await db.pool.query('DELETE FROM feedback_clock');
  await upsertContact(db.pool, { id: 'c-tw', phone: PHONE, status: 'subscribed', sms_status: 'subscribed' });
  await db.pool.query(`UPDATE subscriptions SET status = 'subscribed' WHERE contact_id = 'c-tw'`);
});

const optedOut = (sid: string) => ({
  SmsSid: sid,
  SmsStatus: 'undelivered',
  MessageStatus: 'undelivered',
  ErrorCode: '21610',
  To: PHONE,
  MessageSid: sid,
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  From: '+15005550006',
  ApiVersion: '2010-04-01',
});

describe('Twilio signatures', () => {
  it("the test's signer reproduces Twilio's documented sample", () => {
    // twilio-samples/api-snippets security/signature_validation (auth token 12345).
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675310',
      Digits: '1234',
      From: '+14158675310',
      To: '+18005551212',
    };
    expect(sign('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
      'GvWf1cFY/Q7PnoempGyD5oXAezc=',
    );
  });

  it('HMAC-SHA1 with the auth token: accepted with the URL as configured and with the standard port', async () => {
    for (const [i, url] of [
      `${BASE}/webhooks/twilio/status`,
      'https://consent.shop.test:443/webhooks/twilio/status',
    ].entries()) {
      const params = optedOut(`SMsha1${i}`);
      const r = await app.inject({
        method: 'POST',
        url: '/webhooks/twilio/status',
        headers: { 'content-type': FORM, 'x-twilio-signature': sign(AUTH_TOKEN, url, params) },
        payload: new URLSearchParams(params).toString(),
      });
      expect(r.statusCode).toBe(204);
    }
    expect(await smsStatus()).toBe('unsubscribed');
  });

  it('a JSON body is checked through bodySHA256: the signed URL carries its hash', async () => {
    const body = JSON.stringify(optedOut('SMjson1'));
    const hash = createHash('sha256').update(body).digest('hex');
    const path = `/webhooks/twilio/status?bodySHA256=${hash}`;
    const good = {
      method: 'POST' as const,
      url: path,
      headers: {
        'content-type': 'application/json',
        'x-twilio-signature': sign(AUTH_TOKEN, `${BASE}${path}`, {}),
      },
      payload: body,
    };
    const before = await ledgerRows();
    // Tampered: another body under the same signed URL; JSON without bodySHA256; the hash of another body.
    const other = JSON.stringify({ ...optedOut('SMjson1'), To: '+4915100000000' });
    const otherHash = createHash('sha256').update(other).digest('hex');
    const otherPath = `/webhooks/twilio/status?bodySHA256=${otherHash}`;
    for (const bad of [
      { ...good, payload: other },
      {
        ...good,
        url: '/webhooks/twilio/status',
        headers: {
          ...good.headers,
          'x-twilio-signature': sign(AUTH_TOKEN, `${BASE}/webhooks/twilio/status`, {}),
        },
      },
      { ...good, url: otherPath },
    ]) {
      const r = await app.inject(bad);
      expect(r.statusCode).toBe(401);
    }
    expect(await ledgerRows()).toBe(before);
    expect(await smsStatus()).toBe('subscribed');
    expect((await app.inject(good)).statusCode).toBe(204);
    expect(await smsStatus()).toBe('unsubscribed');
  });

  it('a SharedKey with HMAC-SHA256, named in X-Twilio-Webhooks-Signature-Settings', async () => {
    const url = `${BASE}/webhooks/twilio/sms`;
    const params = {
      MessageSid: 'SMsha256',
      SmsSid: 'SMsha256',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: PHONE,
      To: '+15005550006',
      Body: 'STOP',
      NumMedia: '0',
    };
    const settings = `key=${SHARED.sid},algorithm=HMAC_SHA256`;
    const request = (signature: string, headerValue: string | null = settings, payload = params) => ({
      method: 'POST' as const,
      url: '/webhooks/twilio/sms',
      headers: {
        'content-type': FORM,
        'x-twilio-signature': signature,
        ...(headerValue === null ? {} : { 'x-twilio-webhooks-signature-settings': headerValue }),
      },
      payload: new URLSearchParams(payload).toString(),
    });
    const good = sign(SHARED.secret, url, params, 'sha256');
    const before = await ledgerRows();
    for (const bad of [
      request(good, settings, { ...params, Body: 'HELLO' }), // body changed after signing
      request(sign(AUTH_TOKEN, url, params, 'sha256')), // the auth token is not the shared key
      request(sign(SHARED.secret, url, params, 'sha1')), // the header says SHA-256
      request(good, `key=${SHARED.sid},algorithm=HMAC_MD5`), // unsupported algorithm
      request(good, 'key=KSffffffffffffffffffffffffffffffff,algorithm=HMAC_SHA256'), // a key we do not have
      request(good, null), // without the header the auth token and SHA-1 are expected
    ]) {
      const r = await app.inject(bad);
      expect(r.statusCode, bad.headers['x-twilio-signature']).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect(await ledgerRows()).toBe(before);
    expect(await smsStatus()).toBe('subscribed');
    const r = await app.inject(request(good));
    expect(r.statusCode).toBe(200);
    expect(await smsStatus()).toBe('unsubscribed');
  });

  it('TWILIO_WEBHOOK_SHARED_KEYS reads KeySid:secret pairs (and bare secrets) for rotation', () => {
    const config = loadServerConfig({
      TWILIO_WEBHOOK_SHARED_KEYS: `${SHARED.sid}:${SHARED.secret}, KSold:old-secret ,bare-secret`,
      CONSENTFLOW_LINK_SECRET: 'k'.repeat(40),
    });
    expect(config.providers.twilioSharedKeys).toEqual([
      SHARED,
      { sid: 'KSold', secret: 'old-secret' },
      { secret: 'bare-secret' },
    ]);
  });

  it('TWILIO_AUTH_TOKEN may list the secondary token while it is promoted (comma-separated)', async () => {
    const rotating = await buildServer({
      pool: db.pool,
      links: { baseUrl: BASE, keys: ['k'.repeat(40)] },
      providers: { twilioAuthToken: `${AUTH_TOKEN},secondary-token-0123456789abcdef` },
    });
    try {
      const params = optedOut('SMrotate');
      const url = `${BASE}/webhooks/twilio/status`;
      const send = (token: string) =>
        rotating.inject({
          method: 'POST',
          url: '/webhooks/twilio/status',
          headers: { 'content-type': FORM, 'x-twilio-signature': sign(token, url, params) },
          payload: new URLSearchParams(params).toString(),
        });
      expect((await send('secondary-token-0123456789abcdef')).statusCode).toBe(204);
      expect((await send('not-a-listed-token')).statusCode).toBe(401);
    } finally {
      await rotating.close();
    }
  });
});
