// Amazon SES notifications through SNS, verified as AWS specifies, with a certificate generated here and
// served by an injected fetcher (the only part that would otherwise reach an SNS host): SignatureVersion 1
// (SHA1) and 2 (SHA256), the topic allow-list, the certificate host check, subscription confirmation, and
// the same notification delivered twice changing the ledger once.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { snsStringToSign, type SnsMessage } from '../../server/webhooks/sns-verify';
import { createTestDatabase, type TestDatabase } from '../support/db';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-feedback';
const CERT_URL =
  'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem';
const EMAIL = 'ada.lovelace@example.com';

let db: TestDatabase;
let app: FastifyInstance;
let privateKeyPem: string;
let certificatePem: string;
const fetched: string[] = [];
const confirmed: string[] = [];

function generateCertificate() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-sns-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=sns.amazonaws.com',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  privateKeyPem = readFileSync(path.join(dir, 'key.pem'), 'utf8');
  certificatePem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
}

function signed(
  fields: Omit<SnsMessage, 'Signature' | 'SignatureVersion' | 'SigningCertURL'>,
  version: '1' | '2',
  key = privateKeyPem,
): SnsMessage {
  const m: SnsMessage = { ...fields, SignatureVersion: version, SigningCertURL: CERT_URL, Signature: '' };
  m.Signature = sign(
    version === '1' ? 'sha1' : 'sha256',
    Buffer.from(snsStringToSign(m)),
    createPrivateKey(key),
  ).toString('base64');
  return m;
}

// Shaped like AWS's documented SES bounce and complaint notifications.
const bounce = (id: string) => ({
  Type: 'Notification',
  MessageId: id,
  TopicArn: TOPIC,
  Message: JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      feedbackId: '0100016e3f2ab5d2-b6c8e2b3-6b4d-4f1f-a0b3-ae7f1ea2f5b4-000000',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [
        {
          emailAddress: EMAIL,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 user unknown',
        },
      ],
      timestamp: new Date(Date.now() - 60_000).toISOString(),
      reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com',
    },
    mail: {
      timestamp: new Date(Date.now() - 120_000).toISOString(),
      source: 'hello@shop.test',
      messageId: '00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000',
      destination: [EMAIL],
    },
  }),
  Timestamp: new Date().toISOString(),
});

const ledgerCount = async () =>
  Number(
    (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM consent_ledger WHERE origin = 'feedback'`))
      .rows[0]!.n,
  );
const emailStatus = async () =>
  (
    await db.pool.query<{ status: string }>(
      `SELECT status FROM subscriptions WHERE contact_id = 'c-ada' AND channel = 'email'`,
    )
  ).rows[0]?.status;
const post = (payload: unknown) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/ses',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    payload: JSON.stringify(payload),
  });

beforeAll(async () => {
  generateCertificate();
  db = await createTestDatabase();
  app = await buildServer({
    pool: db.pool,
    links: { baseUrl: 'https://x.test', keys: ['k'.repeat(40)] },
    providers: {},
    sns: {
      topics: [TOPIC],
      fetchCertificate: (url) => {
        fetched.push(url);
        return Promise.resolve(certificatePem);
      },
      confirmSubscription: (url) => {
        confirmed.push(url);
        return Promise.resolve();
      },
    },
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query('DELETE FROM feedback_events');
  await db.pool.query('DELETE FROM feedback_clock');
  await upsertContact(db.pool, {
    id: 'c-ada',
    email: EMAIL,
    status: 'subscribed',
    email_status: 'subscribed',
  });
});

describe('SES via SNS', () => {
  it('a SignatureVersion 1 bounce is a hard bounce, applied once however often SNS delivers it', async () => {
    const m = signed(bounce('a1b2c3d4-0001'), '1');
    const r = await post(m);
    expect(r.statusCode).toBe(200);
    expect(fetched).toContain(CERT_URL);
    expect(await emailStatus()).toBe('hard_bounced');
    const after = await ledgerCount();
    expect((await post(m)).statusCode).toBe(200);
    expect(await ledgerCount()).toBe(after);
  });

  it('a SignatureVersion 2 complaint is a complaint', async () => {
    const m = signed(
      {
        Type: 'Notification',
        MessageId: 'a1b2c3d4-0002',
        TopicArn: TOPIC,
        Subject: 'Amazon SES Email Event Notification',
        Message: JSON.stringify({
          notificationType: 'Complaint',
          complaint: {
            complainedRecipients: [{ emailAddress: EMAIL }],
            timestamp: new Date(Date.now() - 60_000).toISOString(),
            feedbackId: 'f-1',
            complaintFeedbackType: 'abuse',
          },
          mail: { messageId: 'm-1' },
        }),
        Timestamp: new Date().toISOString(),
      },
      '2',
    );
    expect((await post(m)).statusCode).toBe(200);
    expect(await emailStatus()).toBe('complainer');
  });

  it('a tampered message, a foreign signer and a certificate off SNS hosts are 401 and write nothing', async () => {
    const before = await ledgerCount();
    const good = signed(bounce('a1b2c3d4-0003'), '2');
    const tampered = {
      ...good,
      Message: good.Message.replace('Permanent', 'Transient').replace(EMAIL, 'bob@example.com'),
    };
    const otherKey = createPrivateKey({
      key: execFileSync('openssl', ['genrsa', '2048'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
      format: 'pem',
    })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const foreign = signed(bounce('a1b2c3d4-0004'), '2', otherKey);
    const count = fetched.length;
    const offHost = { ...good, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem' };
    const plainHttp = { ...good, SigningCertURL: CERT_URL.replace('https:', 'http:') };
    for (const m of [tampered, foreign, offHost, plainHttp, { ...good, SignatureVersion: '3' }]) {
      const r = await post(m);
      expect(r.statusCode).toBe(401);
      expect(r.json<{ error: string }>().error).toBe('unauthorized');
    }
    expect(fetched.length).toBe(count); // nothing fetched from a host that is not SNS
    expect(await ledgerCount()).toBe(before);
    expect(await emailStatus()).toBe('subscribed');
  });

  it('a correctly signed message from a topic not on the allow-list is 403 and writes nothing', async () => {
    const m = signed(
      { ...bounce('a1b2c3d4-0005'), TopicArn: 'arn:aws:sns:eu-west-1:999999999999:other' },
      '2',
    );
    const r = await post(m);
    expect(r.statusCode).toBe(403);
    expect(await emailStatus()).toBe('subscribed');
  });

  it('a subscription confirmation is confirmed by visiting its SubscribeURL; a malformed body is 400', async () => {
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37`;
    const m = signed(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
        Token: '2336412f37',
        TopicArn: TOPIC,
        Message: `You have chosen to subscribe to the topic ${TOPIC}.`,
        SubscribeURL: subscribeUrl,
        Timestamp: new Date().toISOString(),
      },
      '1',
    );
    const r = await post(m);
    expect(r.statusCode).toBe(200);
    expect(confirmed).toEqual([subscribeUrl]);
    const malformed = await app.inject({
      method: 'POST',
      url: '/webhooks/ses',
      headers: { 'content-type': 'text/plain' },
      payload: '{"Type": ',
    });
    expect(malformed.statusCode).toBe(400);
  });
});
