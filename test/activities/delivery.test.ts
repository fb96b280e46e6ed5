// decideStep and deliver against real PostgreSQL, the real rule files and the real local sinks: what lands in
// decision_log and outbox, what the SMTP/SMS servers receive, and what the results (Temporal history) carry.
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type ConsentflowActivities, type DecideStepInput } from '../../activities';
import type { ActivityLogger } from '../../activities/context';
import {
  createHttpSmsTransport,
  createSmtpTransport,
  startSmsSink,
  startSmtpSink,
  type SmsSink,
  type SmtpSink,
  type Transports,
} from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import { loadProfiles } from '../../db/contacts/profile';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact, unsubscribeEmail } from './contacts';

// Midday in Berlin on a weekday: no quiet hours in the way of marketing SMS.
const AT = '2026-03-04T11:00:00.000Z';

let db: TestDatabase;
let smtp: SmtpSink;
let sms: SmsSink;
let rules: RuleSource;
let transports: Transports;
let acts: ConsentflowActivities;
const warnings: string[] = [];
const rejected = new Set<string>();
const deferredTimes = new Map<string, number>();
const log: ActivityLogger = {
  info: () => undefined,
  warn: (m, meta) => warnings.push(`${m} ${JSON.stringify(meta ?? {})}`),
};
// The SDK logs every failed activity; these tests fail activities on purpose.
const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
/** env.run with the activity's own result type. */
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run<A, R, typeof fn>(fn, ...args);

const ADA = { id: 'c-ada', email: 'ada.lovelace@example.com', phone: '+4915112345678', first_name: 'Ada' };

function step(name: string, over: Partial<DecideStepInput> = {}): DecideStepInput {
  return {
    workflowId: `welcome:${ADA.id}`,
    step: name,
    contactId: ADA.id,
    message: { channel: 'email', type: 'welcome', template: 'welcome-1-email' },
    at: AT,
    ...over,
  };
}

async function outboxRows(key: string) {
  const { rows } = await db.pool.query<{
    state: string;
    attempts: number;
    address: string;
    error: string | null;
    provider_id: string | null;
    feedback_applied_at: Date | null;
  }>(
    'SELECT state, attempts, address, error, provider_id, feedback_applied_at FROM outbox WHERE idempotency_key = $1',
    [key],
  );
  return rows;
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink({
    rejectRecipients: (r) => rejected.has(r),
    deferRecipients: (r) => {
      const left = deferredTimes.get(r) ?? 0;
      if (left > 0) deferredTimes.set(r, left - 1);
      return left > 0;
    },
  });
  sms = await startSmsSink();
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  transports = {
    email: createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' }),
    sms: createHttpSmsTransport({
      baseUrl: sms.url,
      accountSid: 'ACtest',
      authToken: 'token',
      from: '+15005550006',
    }),
  };
  acts = createActivities({ pool: db.pool, rules, transports, log });
  await seedContact(db.pool, ADA);
});

afterAll(async () => {
  rules?.close();
  await smtp?.close();
  await sms?.close();
  await db?.drop();
});

beforeEach(() => {
  smtp.clear();
  sms.clear();
  warnings.length = 0;
});

describe('decideStep', () => {
  it('records the decision and, on send, one outbox row with the chosen address; a retry adds no second row', async () => {
    const first = await run(acts.decideStep, step('welcome-0'));
    const again = await run(acts.decideStep, step('welcome-0'));
    expect(first).toMatchObject({ verdict: 'send', idempotencyKey: `welcome:${ADA.id}:welcome-0` });
    expect(first.rulesHash).toBe(rules.current().hash);
    expect(again.idempotencyKey).toBe(first.idempotencyKey);

    const { rows: log } = await db.pool.query(
      `SELECT verdict, contact_id, channel, message_type, rules_hash, workflow_id, step, reasons, at
         FROM decision_log WHERE workflow_id = $1 AND step = $2 ORDER BY id`,
      [`welcome:${ADA.id}`, 'welcome-0'],
    );
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      verdict: 'send',
      contact_id: ADA.id,
      channel: 'email',
      message_type: 'welcome',
      rules_hash: first.rulesHash,
    });
    expect((log[0] as { at: Date }).at.toISOString()).toBe(AT);
    expect(await outboxRows(first.idempotencyKey as string)).toEqual([
      expect.objectContaining({ state: 'pending', attempts: 0, address: ADA.email }),
    ]);
  });

  it('never puts an address in its result', async () => {
    for (const channel of ['email', 'sms'] as const) {
      const template = channel === 'email' ? 'welcome-1-email' : 'welcome-sms';
      const result = await run(
        acts.decideStep,
        step(`no-pii-${channel}`, { message: { channel, type: 'welcome', template } }),
      );
      const text = JSON.stringify(result);
      expect(text).not.toContain(ADA.email);
      expect(text).not.toContain(ADA.phone);
      expect(text).not.toContain(ADA.phone.slice(1));
    }
  });

  it('a contact that does not exist is suppressed, recorded, and gets no outbox row', async () => {
    const result = await run(
      acts.decideStep,
      step('ghost', { contactId: 'c-nobody', workflowId: 'welcome:c-nobody' }),
    );
    expect(result.verdict).toBe('suppress');
    expect(result.reasons.map((r) => r.rule)).toEqual(['contact-not-found']);
    expect(result.idempotencyKey).toBeUndefined();
    const { rows } = await db.pool.query(
      `SELECT verdict, reasons FROM decision_log WHERE contact_id = 'c-nobody'`,
    );
    expect(rows).toEqual([{ verdict: 'suppress', reasons: result.reasons }]);
    expect(await outboxRows('welcome:c-nobody:ghost')).toEqual([]);
  });

  it('fails closed when no rule set can be had, and says so', async () => {
    const broken = createActivities({
      pool: db.pool,
      rules: {
        current: () => {
          throw new Error('rules/gates.json: Unexpected token');
        },
      },
      transports,
      log,
    });
    const result = await run(broken.decideStep, step('broken-rules'));
    expect(result).toMatchObject({ verdict: 'suppress', rulesHash: 'unavailable' });
    expect(result.reasons[0]?.rule).toBe('rules-unavailable');
    expect(result.reasons[0]?.message).toContain('Unexpected token');
    expect(warnings.join('\n')).toContain('decision failed closed');
    expect(await outboxRows(`welcome:${ADA.id}:broken-rules`)).toEqual([]);
  });

  it('rejects malformed input as non-retryable', async () => {
    const err = await failureOf(
      run(
        acts.decideStep,
        step('bad', { message: { channel: 'email', type: 'nope' as 'welcome', template: 't' } }),
      ),
    );
    expect(err).toMatchObject({ type: 'InvalidActivityInput', nonRetryable: true });
    expect(err.message).toMatch(/message\.type "nope" is not one of/);
  });

  it('a retried decision after an unsubscribe withdraws the untouched outbox row', async () => {
    const bob = { id: 'c-bob', email: 'bob@example.com', first_name: 'Bob' };
    await seedContact(db.pool, bob);
    const input = step('welcome-0', { contactId: bob.id, workflowId: `welcome:${bob.id}` });
    expect((await run(acts.decideStep, input)).verdict).toBe('send');
    await unsubscribeEmail(db.pool, bob.email);
    const retried = await run(acts.decideStep, input);
    expect(retried.verdict).toBe('suppress');
    expect(await outboxRows(`welcome:${bob.id}:welcome-0`)).toEqual([]);
  });
});

describe('deliver', () => {
  it('sends once however often it is called, and returns the recorded result', async () => {
    const d = await run(acts.decideStep, step('once'));
    const key = d.idempotencyKey as string;
    const first = await run(acts.deliver, { idempotencyKey: key });
    const second = await run(acts.deliver, { idempotencyKey: key });
    expect(first).toEqual({ state: 'sent', channel: 'email', providerId: expect.any(String) as string });
    expect(second).toEqual(first);
    const [mail] = await smtp.waitFor(1);
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.duplicates()).toBe(0); // the outbox stopped the second call, not the sink's dedupe
    expect(mail).toMatchObject({ to: [ADA.email], subject: 'Welcome, Ada!', idempotencyKey: key });
    expect(mail?.text).toContain('Hi Ada,');
    expect(await outboxRows(key)).toEqual([
      expect.objectContaining({ state: 'sent', attempts: 1, provider_id: first.providerId }),
    ]);
    expect(JSON.stringify([first, second])).not.toContain(ADA.email);
  });

  it('concurrent attempts for one message send it once', async () => {
    const d = await run(acts.decideStep, step('concurrent'));
    const key = d.idempotencyKey as string;
    const results = await Promise.all([1, 2, 3, 4].map(() => run(acts.deliver, { idempotencyKey: key })));
    expect(new Set(results.map((r) => r.providerId)).size).toBe(1);
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.duplicates()).toBe(0);
  });

  it('a crash after the provider accepted the message does not produce a second message', async () => {
    // The provider call succeeds, then the attempt dies before the outbox says 'sent'.
    let crashes = 1;
    const crashing = createActivities({
      pool: db.pool,
      rules,
      log,
      transports: {
        ...transports,
        email: {
          async sendEmail(m) {
            const receipt = await transports.email.sendEmail(m);
            if (crashes-- > 0) throw new Error('worker lost its database connection');
            return receipt;
          },
        },
      },
    });
    const d = await run(crashing.decideStep, step('crash-window'));
    const key = d.idempotencyKey as string;
    const err = await failureOf(run(crashing.deliver, { idempotencyKey: key }));
    expect(err.nonRetryable).toBe(false);
    expect(await outboxRows(key)).toEqual([expect.objectContaining({ state: 'pending', attempts: 1 })]);

    const retried = await run(crashing.deliver, { idempotencyKey: key });
    expect(retried.state).toBe('sent');
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.duplicates()).toBe(1);
    expect(retried.providerId).toBe(smtp.messages()[0]?.queueId);
    expect(await outboxRows(key)).toEqual([expect.objectContaining({ state: 'sent', attempts: 2 })]);
  });

  it('a 5xx rejection is not retried, marks the address hard_bounced, and keeps the address out of the failure', async () => {
    const gone = { id: 'c-gone', email: 'gone.away@example.com', first_name: 'Gone' };
    await seedContact(db.pool, gone);
    rejected.add(gone.email);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: gone.id, workflowId: `welcome:${gone.id}` }),
    );
    const key = d.idempotencyKey as string;
    const err = await failureOf(run(acts.deliver, { idempotencyKey: key }));
    expect(err).toMatchObject({ type: 'PermanentDeliveryFailure', nonRetryable: true });
    expect(err.message).toMatch(/550/);
    expect(err.message).not.toContain(gone.email);
    expect(smtp.messages()).toHaveLength(0);

    const [row] = await outboxRows(key);
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row?.error).toContain(gone.email); // operators see the provider's answer in full
    expect(row?.feedback_applied_at).toBeInstanceOf(Date);
    const profile = (await loadProfiles(db.pool, [gone.id])).get(gone.id);
    expect(profile?.subscriptions.find((s) => s.address === gone.email)?.status).toBe('hard_bounced');

    // A later call reports the recorded outcome and applies nothing twice.
    expect(await run(acts.deliver, { idempotencyKey: key })).toEqual({
      state: 'failed',
      channel: 'email',
    });
    expect((await outboxRows(key))[0]?.feedback_applied_at).toEqual(row?.feedback_applied_at);
    // And the next decision for this contact's email sees the bounce.
    const next = await run(
      acts.decideStep,
      step('w1', { contactId: gone.id, workflowId: `welcome:${gone.id}` }),
    );
    expect(next.verdict).toBe('suppress');
  });

  it('feedback the contact store missed (it was down) is applied by the retry, which fails the same way', async () => {
    const late = { id: 'c-late', email: 'late.bounce@example.com', first_name: 'Late' };
    await seedContact(db.pool, late);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: late.id, workflowId: `welcome:${late.id}` }),
    );
    const key = d.idempotencyKey as string;
    // What a bounce leaves behind when applyFeedback could not reach the store: failed, feedback owed.
    await db.pool.query(
      `UPDATE outbox SET state = 'failed', attempts = 1, failure_type = 'PermanentDeliveryFailure',
              error = '550 5.1.1 <late.bounce@example.com>: mailbox unavailable', feedback = 'hard_bounce'
        WHERE idempotency_key = $1`,
      [key],
    );
    const err = await failureOf(run(acts.deliver, { idempotencyKey: key }));
    expect(err).toMatchObject({ type: 'PermanentDeliveryFailure', nonRetryable: true });
    expect(err.message).not.toContain(late.email);
    const profile = (await loadProfiles(db.pool, [late.id])).get(late.id);
    expect(profile?.subscriptions.find((s) => s.address === late.email)?.status).toBe('hard_bounced');
    expect((await outboxRows(key))[0]?.feedback_applied_at).toBeInstanceOf(Date);
    expect(await run(acts.deliver, { idempotencyKey: key })).toEqual({ state: 'failed', channel: 'email' });
    expect(smtp.messages()).toHaveLength(0);
  });

  it('a 4xx deferral is retryable and leaves the row pending; the next attempt sends', async () => {
    const busy = { id: 'c-busy', email: 'busy.mailbox@example.com', first_name: 'Busy' };
    await seedContact(db.pool, busy);
    deferredTimes.set(busy.email, 1);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: busy.id, workflowId: `welcome:${busy.id}` }),
    );
    const key = d.idempotencyKey as string;
    const err = await failureOf(run(acts.deliver, { idempotencyKey: key }));
    expect(err).toMatchObject({ type: 'TransientDeliveryFailure', nonRetryable: false });
    expect(err.message).toMatch(/451/);
    expect(err.message).not.toContain(busy.email);
    expect(await outboxRows(key)).toEqual([
      expect.objectContaining({
        state: 'pending',
        attempts: 1,
        error: expect.stringContaining('451') as string,
      }),
    ]);

    expect(await run(acts.deliver, { idempotencyKey: key })).toMatchObject({ state: 'sent' });
    expect(smtp.messages().map((m) => m.to)).toEqual([[busy.email]]);
    expect(await outboxRows(key)).toEqual([
      expect.objectContaining({ state: 'sent', attempts: 2, error: null }),
    ]);
  });

  it('a missing template variable is a non-retryable error naming template and variable; step values fill it', async () => {
    const message = {
      channel: 'email' as const,
      type: 'order_confirmation' as const,
      template: 'order-confirmation-email',
    };
    const bare = await run(acts.decideStep, step('confirm', { workflowId: 'order:o-1', message }));
    const err = await failureOf(run(acts.deliver, { idempotencyKey: bare.idempotencyKey as string }));
    expect(err).toMatchObject({ type: 'TemplateError', nonRetryable: true });
    expect(err.message).toMatch(/Template "order-confirmation-email" uses \{\{order_id\}\}/);
    expect(await outboxRows('order:o-1:confirm')).toEqual([expect.objectContaining({ state: 'failed' })]);
    expect(smtp.messages()).toHaveLength(0);

    const filled = await run(
      acts.decideStep,
      step('confirm', { workflowId: 'order:o-2', message, vars: { order_id: 'A-1002' } }),
    );
    await run(acts.deliver, { idempotencyKey: filled.idempotencyKey as string });
    expect(smtp.messages()[0]?.subject).toBe('Order A-1002 confirmed');
  });

  it('delivers SMS with the idempotency key as provider token, once', async () => {
    const d = await run(
      acts.decideStep,
      step('sms-0', { message: { channel: 'sms', type: 'welcome', template: 'welcome-sms' } }),
    );
    expect(d.verdict).toBe('send');
    const key = d.idempotencyKey as string;
    const first = await run(acts.deliver, { idempotencyKey: key });
    await run(acts.deliver, { idempotencyKey: key });
    expect(first).toMatchObject({ state: 'sent', channel: 'sms' });
    expect(sms.messages()).toEqual([
      expect.objectContaining({ to: ADA.phone, idempotencyKey: key, sid: first.providerId }),
    ]);
    expect(sms.duplicates()).toBe(0);
    expect(sms.messages()[0]?.body).toMatch(/^Hi Ada, welcome aboard!.*Reply STOP/);
  });

  it('refuses a key decideStep never wrote', async () => {
    const err = await failureOf(run(acts.deliver, { idempotencyKey: 'welcome:c-x:never' }));
    expect(err).toMatchObject({ type: 'OutboxEntryMissing', nonRetryable: true });
  });
});
