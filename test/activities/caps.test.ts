// Frequency caps in the send step, against real PostgreSQL: the history is the contact's outbox, read in the
// transaction that writes the new row under a per-contact lock, so N automations racing for one contact under
// the 3-a-day marketing SMS cap deliver exactly 3; a delivery that asks the rules again does not count itself.
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ConsentflowActivities, type DecideStepInput } from '../../activities';
import type { ActivityLogger } from '../../activities/context';
import {
  createHttpSmsTransport,
  startSmsSink,
  startSmtpSink,
  createSmtpTransport,
  type SmsSink,
  type SmtpSink,
} from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import { upsertContact } from '../../db/contacts';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Noon in New York on a Monday: inside every US window.
const AT = '2026-06-15T16:00:00.000Z';
const RUN = 'run-1';

let db: TestDatabase;
let sms: SmsSink;
let smtp: SmtpSink;
let rules: RuleSource;
let acts: ConsentflowActivities;
const log: ActivityLogger = { info: () => undefined, warn: () => undefined };
const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
const retryEnv = new MockActivityEnvironment({ attempt: 2 }, { logger: new DefaultLogger('ERROR') });
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run<A, R, typeof fn>(fn, ...args);
const retry = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  retryEnv.run<A, R, typeof fn>(fn, ...args);

let seq = 0;
async function newContact(): Promise<string> {
  const id = `c-cap-${++seq}`;
  await upsertContact(db.pool, {
    id,
    email: `${id}@example.com`,
    phone: `+1212555${String(1000 + seq).padStart(4, '0')}`,
    country: 'US',
    timezone: 'America/New_York',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  });
  return id;
}

function step(contactId: string, n: number, type = 'welcome', at = AT): DecideStepInput {
  const workflowId = `wf-${contactId}-${type}-${n}`;
  const template = type === 'welcome' ? 'welcome-sms' : 'order-confirmation-sms';
  return {
    workflowId,
    runChain: RUN,
    runId: RUN,
    step: 'sms',
    messageKey: `${workflowId}/${RUN}/sms`,
    contactId,
    message: { channel: 'sms', type, template },
    at,
    clockOffsetMs: Date.parse(at) - Date.now(),
    vars: { order_id: `o-${n}` },
  };
}
const deliverInput = (messageKey: string, at = AT) => ({
  messageKey,
  runId: RUN,
  clockOffsetMs: Date.parse(at) - Date.now(),
});

beforeAll(async () => {
  db = await createTestDatabase();
  sms = await startSmsSink();
  smtp = await startSmtpSink({});
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  acts = createActivities({
    pool: db.pool,
    rules,
    transports: {
      email: createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' }),
      sms: createHttpSmsTransport({
        baseUrl: sms.url,
        accountSid: 'ACtest',
        authToken: 'token',
        from: '+15005550006',
      }),
    },
    log,
  });
});

afterAll(async () => {
  rules?.close();
  await sms?.close();
  await smtp?.close();
  await db?.drop();
});

beforeEach(() => sms.clear());

/** decideStep, then deliver for a send: what one automation's send step does. */
async function sendStep(input: DecideStepInput) {
  const decided = await run(acts.decideStep, input);
  if (decided.verdict !== 'send' || decided.outcome) return decided;
  await run(acts.deliver, deliverInput(input.messageKey, input.at));
  return decided;
}

describe('the marketing SMS cap in the send step', () => {
  it('8 automations racing for one contact deliver exactly 3 marketing texts; the other 5 are capped', async () => {
    const id = await newContact();
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => sendStep(step(id, n))));
    const verdicts = results.map((r) => r.verdict).sort();
    expect(verdicts).toEqual([
      'send',
      'send',
      'send',
      'suppress',
      'suppress',
      'suppress',
      'suppress',
      'suppress',
    ]);
    for (const r of results.filter((x) => x.verdict === 'suppress'))
      expect(r.reasons.map((x) => x.rule)).toEqual(['cap:marketing-sms']);
    expect(sms.messages()).toHaveLength(3);
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE contact_id = $1 AND state = 'sent'`,
      [id],
    );
    expect(rows[0]!.n).toBe(3);
  });

  it('order confirmations are never capped and never fill the cap', async () => {
    const id = await newContact();
    for (let n = 0; n < 4; n++)
      expect((await sendStep(step(id, n, 'order_confirmation'))).verdict).toBe('send');
    const marketing = await Promise.all([0, 1, 2, 3].map((n) => sendStep(step(id, n))));
    expect(marketing.map((r) => r.verdict).sort()).toEqual(['send', 'send', 'send', 'suppress']);
    expect((await sendStep(step(id, 9, 'order_confirmation'))).verdict).toBe('send');
    expect(sms.messages()).toHaveLength(8);
  });

  it('the window rolls: 24 hours after the first text, a fourth goes out', async () => {
    const id = await newContact();
    for (let n = 0; n < 3; n++) await sendStep(step(id, n));
    expect((await sendStep(step(id, 3))).verdict).toBe('suppress');
    const later = new Date(Date.parse(AT) + 24 * 3_600_000 + 1000).toISOString();
    expect((await sendStep(step(id, 4, 'welcome', later))).verdict).toBe('send');
  });

  it('a delivery retry asks the rules again without counting its own row', async () => {
    const id = await newContact();
    const keys: string[] = [];
    for (let n = 0; n < 3; n++) {
      const input = step(id, n);
      expect((await run(acts.decideStep, input)).verdict).toBe('send');
      keys.push(input.messageKey);
    }
    // Three pending rows fill the cap; each retry (attempt 2 re-asks) sees only the other two.
    for (const key of keys) {
      const result = await retry(acts.deliver, deliverInput(key));
      expect(result.state).toBe('sent');
    }
    expect(sms.messages()).toHaveLength(3);
  });
});
