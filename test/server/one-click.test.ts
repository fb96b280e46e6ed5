// The whole way of an unsubscribe click: a marketing email delivered to the SMTP sink carries RFC 8058
// headers and a visible link; POSTing the header's URL as a mailbox provider does unsubscribes the
// subscription (ledger row with origin, IP and user agent); GET shows a page and changes nothing. A
// transactional email carries no one-click header.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities, type ConsentflowActivities, type DecideStepInput } from '../../activities';
import {
  createSmtpTransport,
  startSmsSink,
  startSmtpSink,
  type SmsSink,
  type SmtpSink,
} from '../../activities/transports';
import { createHttpSmsTransport } from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import type { LinkConfig } from '../../contracts/link-config';
import { buildServer } from '../../server/app';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../activities/contacts';

const AT = '2026-03-04T11:00:00.000Z';
const ADA = { id: 'c-ada', email: 'ada.lovelace@example.com', first_name: 'Ada' };
const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run<A, R, typeof fn>(fn, ...args);

let db: TestDatabase;
let smtp: SmtpSink;
let sms: SmsSink;
let rules: RuleSource;
let acts: ConsentflowActivities;
let app: FastifyInstance;
const links: LinkConfig = { baseUrl: '', keys: ['k'.repeat(40)] };

function step(name: string, message: DecideStepInput['message']): DecideStepInput {
  const workflowId = `welcome-${ADA.id}`;
  return {
    workflowId,
    runChain: 'run-1',
    runId: 'run-1',
    step: name,
    messageKey: `${workflowId}/run-1/${name}`,
    contactId: ADA.id,
    message,
    at: AT,
  };
}

async function send(name: string, message: DecideStepInput['message'], vars?: Record<string, string>) {
  const d = await run(acts.decideStep, { ...step(name, message), ...(vars ? { vars } : {}) });
  expect(d.verdict).toBe('send');
  await run(acts.deliver, {
    messageKey: d.messageKey,
    runId: 'run-1',
    clockOffsetMs: Date.parse(AT) - Date.now(),
  });
  const mails = smtp.messages();
  return mails[mails.length - 1]!;
}

const ledger = async () =>
  (
    await db.pool.query<{ kind: string; origin: string; source: Record<string, unknown>; after: unknown }>(
      `SELECT kind, origin, source, after FROM consent_ledger WHERE contact_id = $1 AND kind <> 'created' ORDER BY id`,
      [ADA.id],
    )
  ).rows;
const emailStatus = async () =>
  (
    await db.pool.query<{ status: string }>(
      `SELECT status FROM subscriptions WHERE contact_id = $1 AND channel = 'email'`,
      [ADA.id],
    )
  ).rows[0]?.status;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
  sms = await startSmsSink();
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  app = await buildServer({ pool: db.pool, links, providers: {} });
  await app.listen({ host: '127.0.0.1', port: 0 });
  links.baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  acts = createActivities({
    pool: db.pool,
    rules,
    links,
    transports: {
      email: createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' }),
      sms: createHttpSmsTransport({
        baseUrl: sms.url,
        accountSid: 'AC',
        authToken: 't',
        from: '+15005550006',
      }),
    },
    log: { info: () => undefined, warn: () => undefined },
  });
  await seedContact(db.pool, ADA);
});

afterAll(async () => {
  await app?.close();
  rules?.close();
  await smtp?.close();
  await sms?.close();
  await db?.drop();
});

describe('one-click unsubscribe from a delivered email', () => {
  it('a transactional email has no List-Unsubscribe header', async () => {
    const mail = await send(
      'order',
      { channel: 'email', type: 'order_confirmation', template: 'order-confirmation-email' },
      { order_id: 'A-1' },
    );
    expect(mail.subject).toBe('Order A-1 confirmed');
    expect(mail.listUnsubscribe).toBeUndefined();
    expect(mail.listUnsubscribePost).toBeUndefined();
  });

  it('a marketing email has the headers and the visible link; GET changes nothing, the one-click POST unsubscribes', async () => {
    const mail = await send('welcome-0', { channel: 'email', type: 'welcome', template: 'welcome-1-email' });
    expect(mail.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
    const url = /^<(http[^>]+)>$/.exec(mail.listUnsubscribe ?? '')?.[1];
    expect(url).toMatch(new RegExp(`^${links.baseUrl}/u/v1\\.`));
    expect(mail.text).toContain(`Unsubscribe: ${url}`);
    expect(mail.text).toMatch(new RegExp(`${links.baseUrl}/p/v1\\.`));
    // The token names no address.
    expect(Buffer.from(url!.split('.')[1]!, 'base64url').toString()).not.toContain('ada');

    const before = await ledger();
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<button[^>]*>Unsubscribe<\/button>/);
    expect(await emailStatus()).toBe('subscribed');
    expect(await ledger()).toEqual(before);

    const post = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailboxProvider/1.0' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(200);
    expect(await emailStatus()).toBe('unsubscribed');
    const rows = (await ledger()).slice(before.length);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const sub = rows.find((r) => r.kind === 'subscription')!;
    expect(sub.origin).toBe('feedback');
    expect(sub.after).toMatchObject({ status: 'unsubscribed' });
    expect(sub.source).toMatchObject({
      via: 'one-click',
      ip: '127.0.0.1',
      userAgent: 'MailboxProvider/1.0',
      messageId: `welcome-${ADA.id}/run-1/welcome-0`,
    });
  });
});
