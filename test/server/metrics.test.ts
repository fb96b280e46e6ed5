// Feedback by kind for Prometheus: the consent server counts every event it applies (webhooks, unsubscribe
// links) and serves the counters at GET /admin/metrics behind the operator token; no address or contact id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { twilioSignature } from '../../server/webhooks/twilio';
import { createTestDatabase, type TestDatabase } from '../support/db';

const BASE = 'https://consent.shop.test';
const TWILIO_TOKEN = 'twilio-auth-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789';
const PHONE = '+4915112345679';

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: BASE, keys: ['k'.repeat(40)] },
    providers: { twilioAuthToken: TWILIO_TOKEN },
    operatorToken: OPERATOR,
  });
  await upsertContact(db.pool, {
    id: 'c-metrics',
    email: 'metrics@example.com',
    phone: PHONE,
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

function inbound(body: string, sid: string) {
  const path = '/webhooks/twilio/sms';
  const params = { MessageSid: sid, AccountSid: 'AC0123', From: PHONE, To: '+15005550006', Body: body };
  return {
    method: 'POST' as const,
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${BASE}${path}`, params),
    },
    payload: new URLSearchParams(params).toString(),
  };
}

const scrape = async () => {
  const r = await app.inject({
    method: 'GET',
    url: '/admin/metrics',
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  expect(r.statusCode).toBe(200);
  return r.body;
};
const value = (text: string, labels: string) =>
  Number(new RegExp(`^consentflow_feedback_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

describe('GET /admin/metrics', () => {
  it('counts feedback by kind, source and result, and needs the operator token', async () => {
    const labels = 'kind="inbound_sms",source="webhook:twilio",result="%"';
    const before = await scrape();
    const at = (text: string, result: string) => value(text, labels.replace('%', result));
    expect((await app.inject(inbound('STOP', 'SM0000000000000000000000000000m1'))).statusCode).toBe(200);
    expect((await app.inject(inbound('STOP', 'SM0000000000000000000000000000m1'))).statusCode).toBe(200);
    const after = await scrape();
    expect(at(after, 'changed') - at(before, 'changed')).toBe(1);
    expect(at(after, 'duplicate') - at(before, 'duplicate')).toBe(1);
    expect(after).toContain('# TYPE consentflow_feedback_total counter');
    expect(after).not.toContain(PHONE);
    expect(after).not.toContain('c-metrics');
    const anonymous = await app.inject({ method: 'GET', url: '/admin/metrics' });
    expect(anonymous.statusCode).toBe(401);
  });
});
