// decideStep and deliver against real PostgreSQL, the real rule files and the real local sinks: what lands in
// decision_log and outbox, what the SMTP/SMS servers receive, and what the results (Temporal history) carry.
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { failureOf, retry, run } from './activity-run';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

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
/** Recipients whose final reply the sink holds for 1.5 s after storing the message. */
const held = new Set<string>();
const log: ActivityLogger = {
  info: () => undefined,
  warn: (m, meta) => warnings.push(`${m} ${JSON.stringify(meta ?? {})}`),
};
const ADA = { id: 'c-ada', email: 'ada.lovelace@example.com', phone: '+4915112345678', first_name: 'Ada' };

const RUN = 'run-1';
const keyOf = (workflowId: string, name: string) => `${workflowId}/${RUN}/${name}`;

function step(name: string, over: Partial<DecideStepInput> = {}): DecideStepInput {
  const workflowId = over.workflowId ?? `welcome-${ADA.id}`;
  return {
    workflowId,
    runChain: RUN,
    runId: RUN,
    step: name,
    messageKey: keyOf(workflowId, name),
    contactId: ADA.id,
    message: { channel: 'email', type: 'welcome', template: 'welcome-1-email' },
    at: AT,
    ...over,
  };
}

/** deliver on the same virtual clock as the decisions (AT is in the past). */
const deliverInput = (messageKey: string, at = AT) => ({
  messageKey,
  runId: RUN,
  clockOffsetMs: Date.parse(at) - Date.now(),
});

async function outcomeOf(key: string) {
  const { rows } = await db.pool.query<{
    outcome: string;
    verdict: string;
    failure_kind: string | null;
    detail: string | null;
    defers: number;
  }>('SELECT outcome, verdict, failure_kind, detail, defers FROM step_outcomes WHERE message_key = $1', [
    key,
  ]);
  return rows[0];
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

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink({
    rejectRecipients: (r) => rejected.has(r),
    deferRecipients: (r) => {
      const left = deferredTimes.get(r) ?? 0;
      if (left > 0) deferredTimes.set(r, left - 1);
      return left > 0;
    },
    holdReplyMs: (r) => (held.has(r) ? 1_500 : 0),
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
    expect(first).toMatchObject({ verdict: 'send', messageKey: keyOf(`welcome-${ADA.id}`, 'welcome-0') });
    expect(first.outcome).toBeUndefined();
    expect(first.rulesHash).toBe(rules.current().hash);
    expect(again.messageKey).toBe(first.messageKey);

    const { rows: log } = await db.pool.query(
      `SELECT verdict, contact_id, channel, message_type, rules_hash, message_key, run_chain, run_id, attempt, at, valid_until
         FROM decision_log WHERE message_key = $1 ORDER BY id`,
      [first.messageKey],
    );
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      verdict: 'send',
      contact_id: ADA.id,
      channel: 'email',
      message_type: 'welcome',
      rules_hash: first.rulesHash,
      run_chain: RUN,
      run_id: RUN,
      attempt: 1,
    });
    expect((log[0] as { at: Date }).at.toISOString()).toBe(AT);
    // No time rule applies to a welcome email: valid for the full bound.
    expect((log[0] as { valid_until: Date }).valid_until.toISOString()).toBe(
      new Date(Date.parse(AT) + 60_000).toISOString(),
    );
    expect(await outboxRows(first.messageKey)).toEqual([
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

  it('a contact that does not exist is suppressed, recorded as the step outcome, and gets no outbox row', async () => {
    const input = step('ghost', { contactId: 'c-nobody', workflowId: 'welcome-c-nobody' });
    const result = await run(acts.decideStep, input);
    expect(result).toMatchObject({ verdict: 'suppress', outcome: 'suppressed' });
    expect(result.reasons.map((r) => r.rule)).toEqual(['contact-not-found']);
    const { rows } = await db.pool.query(
      `SELECT verdict, reasons FROM decision_log WHERE contact_id = 'c-nobody'`,
    );
    expect(rows).toEqual([{ verdict: 'suppress', reasons: result.reasons }]);
    expect(await outboxRows(input.messageKey)).toEqual([]);
    expect(await outcomeOf(input.messageKey)).toMatchObject({ outcome: 'suppressed', verdict: 'suppress' });
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
    const input = step('broken-rules');
    const result = await run(broken.decideStep, input);
    expect(result).toMatchObject({ verdict: 'suppress', rulesHash: 'unavailable' });
    expect(result.reasons[0]?.rule).toBe('rules-unavailable');
    expect(result.reasons[0]?.message).toContain('Unexpected token');
    expect(warnings.join('\n')).toContain('decision failed closed');
    expect(await outboxRows(input.messageKey)).toEqual([]);
  });

  it('rejects malformed input as non-retryable', async () => {
    const err = await failureOf(
      run(acts.decideStep, step('bad', { message: { channel: 'email', type: 'nope', template: 't' } })),
    );
    expect(err).toMatchObject({ type: 'InvalidActivityInput', nonRetryable: true });
    expect(err.message).toMatch(/message\.type "nope" is not one of/);
  });

  it('a retried decision after an unsubscribe withdraws the untouched outbox row', async () => {
    const bob = { id: 'c-bob', email: 'bob@example.com', first_name: 'Bob' };
    await seedContact(db.pool, bob);
    const input = step('welcome-0', { contactId: bob.id, workflowId: `welcome-${bob.id}` });
    expect((await run(acts.decideStep, input)).verdict).toBe('send');
    await unsubscribeEmail(db.pool, bob.email);
    const retried = await retry(acts.decideStep, input);
    expect(retried).toMatchObject({ verdict: 'suppress', outcome: 'suppressed' });
    expect(await outboxRows(input.messageKey)).toEqual([expect.objectContaining({ state: 'withdrawn' })]);
    expect(await run(acts.deliver, deliverInput(input.messageKey))).toMatchObject({ state: 'redecide' });
    expect(smtp.messages()).toHaveLength(0);
  });

  it('an older attempt that commits after a newer one cannot take its outbox row back (overlapping attempts)', async () => {
    const cy = { id: 'c-cy', email: 'cy@example.com', first_name: 'Cy' };
    await seedContact(db.pool, cy);
    const input = step('welcome-0', { contactId: cy.id, workflowId: `welcome-${cy.id}` });
    // Attempt 2 (the retry) decided send and wrote the row...
    expect((await retry(acts.decideStep, input)).verdict).toBe('send');
    // ...then attempt 1, stalled past its timeout, finishes after an unsubscribe: its write must lose.
    await unsubscribeEmail(db.pool, cy.email);
    // Its answer (discarded by Temporal) says so, and carries no reason of a decision it never committed.
    expect(await run(acts.decideStep, input)).toMatchObject({
      verdict: 'send',
      reasons: [{ rule: 'workflow:superseded' }],
      repeated: true,
    });
    expect(await outboxRows(input.messageKey)).toEqual([expect.objectContaining({ state: 'pending' })]);
    expect(warnings.join('\n')).toContain('superseded');
    // And the delivery, which asks again because the rules changed, does not send to the unsubscribed address.
    expect(await retry(acts.deliver, deliverInput(input.messageKey))).toMatchObject({ state: 'redecide' });
    expect(smtp.messages()).toHaveLength(0);
  });

  it('too many defers become a suppression recorded in PostgreSQL with the same reasons', async () => {
    const us = { id: 'c-night', email: 'night@example.com', phone: '+12025550143', first_name: 'Night' };
    await upsertUs(us);
    // 03:00 in New York: a marketing SMS is deferred by quiet hours.
    const night = '2026-03-04T08:00:00.000Z';
    const message = { channel: 'sms' as const, type: 'welcome' as const, template: 'welcome-sms' };
    const first = await run(
      acts.decideStep,
      step('sms', { contactId: us.id, workflowId: 'w-night', message, at: night, defers: 0 }),
    );
    expect(first).toMatchObject({ verdict: 'defer', outcome: 'deferred', defers: 1 });
    expect(await outcomeOf(first.messageKey)).toMatchObject({ outcome: 'deferred', defers: 1 });
    const last = await run(
      acts.decideStep,
      step('sms', {
        contactId: us.id,
        workflowId: 'w-night',
        message,
        at: night,
        defers: 5,
        maxDefers: 5,
        round: 5,
      }),
    );
    expect(last).toMatchObject({ verdict: 'suppress', outcome: 'suppressed', defers: 5 });
    expect(last.reasons.map((r) => r.rule)).toContain('workflow:max-defers');
    const { rows } = await db.pool.query<{ verdict: string; reasons: { rule: string }[] }>(
      'SELECT verdict, reasons FROM decision_log WHERE message_key = $1 ORDER BY id DESC LIMIT 1',
      [last.messageKey],
    );
    expect(rows[0]?.verdict).toBe('suppress');
    expect(rows[0]?.reasons).toEqual(last.reasons);
    expect(await outcomeOf(last.messageKey)).toMatchObject({
      outcome: 'suppressed',
      verdict: 'suppress',
      defers: 5,
    });
  });
});

describe('deliver', () => {
  it('sends once however often it is called, and returns the recorded result', async () => {
    const d = await run(acts.decideStep, step('once'));
    const key = d.messageKey;
    const first = await run(acts.deliver, deliverInput(key));
    const second = await run(acts.deliver, deliverInput(key));
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
    expect(await outcomeOf(key)).toMatchObject({ outcome: 'sent', verdict: 'send' });
    expect(JSON.stringify([first, second])).not.toContain(ADA.email);
  });

  it('cancelled while the provider holds its reply: the call is heard to its end and recorded sent, not re-sent', async () => {
    const d = await run(acts.decideStep, step('cancelled-in-flight'));
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
    held.add(ADA.email);
    try {
      const delivery = env.run(acts.deliver, deliverInput(d.messageKey));
      await smtp.waitFor(1, 10_000); // the sink has it; the sender has not heard so yet
      env.cancel();
      // A workflow cancelled, a worker shutting down: what the provider has is what the outbox says.
      expect(await delivery).toMatchObject({ state: 'sent', channel: 'email' });
    } finally {
      held.delete(ADA.email);
    }
    expect(await outboxRows(d.messageKey)).toEqual([expect.objectContaining({ state: 'sent', attempts: 1 })]);
    expect(await outcomeOf(d.messageKey)).toMatchObject({ outcome: 'sent' });
    await run(acts.deliver, deliverInput(d.messageKey));
    expect(smtp.messages()).toHaveLength(1);
  });

  it('concurrent attempts for one message send it once', async () => {
    const d = await run(acts.decideStep, step('concurrent'));
    const results = await Promise.all([1, 2, 3, 4].map(() => run(acts.deliver, deliverInput(d.messageKey))));
    expect(new Set(results.map((r) => r.providerId)).size).toBe(1);
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.duplicates()).toBe(0);
  });

  it('a crash after the provider accepted: the retry sends again under the same key, and every acceptance is recorded', async () => {
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
            if (crashes-- > 0) throw new Error('connection dropped after the provider accepted');
            return receipt;
          },
        },
      },
    });
    const d = await run(crashing.decideStep, step('crash-window'));
    const key = d.messageKey;
    const err = await failureOf(run(crashing.deliver, deliverInput(key)));
    expect(err.nonRetryable).toBe(false);
    expect(await outboxRows(key)).toEqual([expect.objectContaining({ state: 'pending', attempts: 1 })]);

    const retried = await retry(crashing.deliver, deliverInput(key));
    expect(retried.state).toBe('sent');
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.duplicates()).toBe(1); // same Message-ID: the receiving side can drop it
    expect(await outboxRows(key)).toEqual([expect.objectContaining({ state: 'sent', attempts: 2 })]);
    const { rows } = await db.pool.query<{ result: string }>(
      'SELECT result FROM delivery_attempts WHERE message_key = $1 ORDER BY id',
      [key],
    );
    expect(rows.map((r) => r.result)).toEqual(['transient', 'accepted']);
  });

  it('a 5xx rejection is a recorded failure, not a thrown one: hard_bounced, address masked, nothing retried', async () => {
    const gone = { id: 'c-gone', email: 'gone.away@example.com', first_name: 'Gone' };
    await seedContact(db.pool, gone);
    rejected.add(gone.email);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: gone.id, workflowId: `welcome-${gone.id}` }),
    );
    const key = d.messageKey;
    const result = await run(acts.deliver, deliverInput(key));
    expect(result).toMatchObject({ state: 'failed', failure: { kind: 'recipient-refused' } });
    expect(result.failure?.detail).toMatch(/550/);
    expect(JSON.stringify(result)).not.toContain(gone.email);
    expect(smtp.messages()).toHaveLength(0);

    const [row] = await outboxRows(key);
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row?.feedback_applied_at).toBeInstanceOf(Date);
    expect(await outcomeOf(key)).toMatchObject({ outcome: 'failed', failure_kind: 'recipient-refused' });
    expect((await outcomeOf(key))?.detail).not.toContain(gone.email);
    const profile = (await loadProfiles(db.pool, [gone.id])).get(gone.id);
    expect(profile?.subscriptions.find((s) => s.address === gone.email)?.status).toBe('hard_bounced');

    // A later call reports the recorded outcome and applies nothing twice.
    expect(await run(acts.deliver, deliverInput(key))).toMatchObject({ state: 'failed', channel: 'email' });
    expect((await outboxRows(key))[0]?.feedback_applied_at).toEqual(row?.feedback_applied_at);
    const next = await run(
      acts.decideStep,
      step('w1', { contactId: gone.id, workflowId: `welcome-${gone.id}` }),
    );
    expect(next.verdict).toBe('suppress');
  });

  it('feedback the contact store missed (it was down) is applied by the next call', async () => {
    const late = { id: 'c-late', email: 'late.bounce@example.com', first_name: 'Late' };
    await seedContact(db.pool, late);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: late.id, workflowId: `welcome-${late.id}` }),
    );
    const key = d.messageKey;
    await db.pool.query(
      `UPDATE outbox SET state = 'failed', attempts = 1, failure_type = 'PermanentDeliveryFailure',
              error = '550 5.1.1 <late.bounce@example.com>: mailbox unavailable', feedback = 'hard_bounce'
        WHERE idempotency_key = $1`,
      [key],
    );
    const result = await run(acts.deliver, deliverInput(key));
    expect(result).toMatchObject({ state: 'failed' });
    expect(JSON.stringify(result)).not.toContain(late.email);
    const profile = (await loadProfiles(db.pool, [late.id])).get(late.id);
    expect(profile?.subscriptions.find((s) => s.address === late.email)?.status).toBe('hard_bounced');
    expect((await outboxRows(key))[0]?.feedback_applied_at).toBeInstanceOf(Date);
    expect(smtp.messages()).toHaveLength(0);
  });

  it('a 4xx deferral is retryable and leaves the row pending; the retry asks the rules again, then sends', async () => {
    const busy = { id: 'c-busy', email: 'busy.mailbox@example.com', first_name: 'Busy' };
    await seedContact(db.pool, busy);
    deferredTimes.set(busy.email, 1);
    const d = await run(
      acts.decideStep,
      step('w0', { contactId: busy.id, workflowId: `welcome-${busy.id}` }),
    );
    const key = d.messageKey;
    const err = await failureOf(run(acts.deliver, deliverInput(key)));
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

    expect(await retry(acts.deliver, deliverInput(key))).toMatchObject({ state: 'sent' });
    expect(smtp.messages().map((m) => m.to)).toEqual([[busy.email]]);
    const { rows } = await db.pool.query<{ asked_by: string; verdict: string }>(
      'SELECT asked_by, verdict FROM decision_log WHERE message_key = $1 ORDER BY id',
      [key],
    );
    expect(rows).toEqual([
      { asked_by: 'decideStep', verdict: 'send' },
      { asked_by: 'deliver', verdict: 'send' },
    ]);
  });

  it('a retry after the contact unsubscribed does not send: the delivery asks the rules first', async () => {
    const dee = { id: 'c-dee', email: 'dee@example.com', first_name: 'Dee' };
    await seedContact(db.pool, dee);
    deferredTimes.set(dee.email, 1);
    const d = await run(acts.decideStep, step('w0', { contactId: dee.id, workflowId: `welcome-${dee.id}` }));
    await failureOf(run(acts.deliver, deliverInput(d.messageKey)));
    await unsubscribeEmail(db.pool, dee.email);
    expect(await retry(acts.deliver, deliverInput(d.messageKey))).toMatchObject({ state: 'redecide' });
    expect(smtp.messages()).toHaveLength(0);
    expect(await outboxRows(d.messageKey)).toEqual([expect.objectContaining({ state: 'withdrawn' })]);
  });

  it('a decision is valid only until quiet hours begin: delivered late, it is withdrawn instead of sent', async () => {
    const us = { id: 'c-eve', email: 'eve@example.com', phone: '+12025550144', first_name: 'Eve' };
    await upsertUs(us);
    // 20:59:30 in New York (EST, UTC-5): a marketing SMS may go now, but not at 21:00.
    const at = '2026-03-05T01:59:30.000Z';
    const message = { channel: 'sms' as const, type: 'welcome' as const, template: 'welcome-sms' };
    const d = await run(acts.decideStep, step('sms', { contactId: us.id, workflowId: 'w-eve', message, at }));
    expect(d.verdict).toBe('send');
    expect(d.validUntil).toBe('2026-03-05T01:59:59.000Z');
    // The delivery runs at 21:03 local (a slow queue, a retry...): first attempt, but too late.
    const late = await run(acts.deliver, deliverInput(d.messageKey, '2026-03-05T02:03:00.000Z'));
    expect(late).toMatchObject({ state: 'redecide' });
    expect(late.reasons?.[0]?.message).toMatch(/quiet hours|21:00/i);
    expect(sms.messages()).toHaveLength(0);
  });

  it('a template error is a recorded failure naming template and variable; step values fill it', async () => {
    const message = {
      channel: 'email' as const,
      type: 'order_confirmation' as const,
      template: 'order-confirmation-email',
    };
    const bare = await run(acts.decideStep, step('confirm', { workflowId: 'order-o-1', message }));
    const result = await run(acts.deliver, deliverInput(bare.messageKey));
    expect(result).toMatchObject({ state: 'failed', failure: { kind: 'template' } });
    expect(result.failure?.detail).toMatch(/Template "order-confirmation-email" uses \{\{order_id\}\}/);
    expect(await outboxRows(bare.messageKey)).toEqual([expect.objectContaining({ state: 'failed' })]);
    expect(await outcomeOf(bare.messageKey)).toMatchObject({ outcome: 'failed', failure_kind: 'template' });
    expect(smtp.messages()).toHaveLength(0);

    const filled = await run(
      acts.decideStep,
      step('confirm', { workflowId: 'order-o-2', message, vars: { order_id: 'A-1002' } }),
    );
    await run(acts.deliver, deliverInput(filled.messageKey));
    expect(smtp.messages()[0]?.subject).toBe('Order A-1002 confirmed');
  });

  it('delivers SMS with the message key as provider token, once', async () => {
    const d = await run(
      acts.decideStep,
      step('sms-0', { message: { channel: 'sms', type: 'welcome', template: 'welcome-sms' } }),
    );
    expect(d.verdict).toBe('send');
    const first = await run(acts.deliver, deliverInput(d.messageKey));
    await run(acts.deliver, deliverInput(d.messageKey));
    expect(first).toMatchObject({ state: 'sent', channel: 'sms' });
    expect(sms.messages()).toEqual([
      expect.objectContaining({ to: ADA.phone, idempotencyKey: d.messageKey, sid: first.providerId }),
    ]);
    expect(sms.duplicates()).toBe(0);
    expect(sms.messages()[0]?.body).toMatch(/^Hi Ada, welcome aboard!.*Reply STOP/);
  });

  it('a key with no pending row means "decide again", not a failure', async () => {
    expect(await run(acts.deliver, deliverInput('welcome-c-x/run-1/never'))).toMatchObject({
      state: 'redecide',
    });
  });
});

async function upsertUs(c: { id: string; email: string; phone: string; first_name: string }) {
  const { upsertContact } = await import('../../db/contacts');
  await upsertContact(db.pool, {
    id: c.id,
    email: c.email,
    phone: c.phone,
    first_name: c.first_name,
    country: 'US',
    timezone: 'America/New_York',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  });
}
