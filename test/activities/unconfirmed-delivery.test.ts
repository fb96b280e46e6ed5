// A delivery attempt that may have reached the provider (it handed the message over and heard nothing, or the
// worker lost the answer before committing it), after which the step ends without another attempt: the record
// must say the message may be out (`unconfirmed`), never `suppressed`, `expired` or `stopped` as if it were not.
// Real PostgreSQL, the real rule files and the real SMTP sink.
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, type ConsentflowActivities, type DecideStepInput } from '../../activities';
import type { ActivityLogger } from '../../activities/context';
import {
  DeliveryError,
  createSmtpTransport,
  startSmtpSink,
  type EmailTransport,
  type SmtpSink,
} from '../../activities/transports';
import { createRuleSource, type RuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact, unsubscribeEmail } from './contacts';
import { failureOf, retry, run } from './activity-run';

const AT = '2026-03-04T11:00:00.000Z'; // midday in Berlin
const RUN = 'run-u';
const log: ActivityLogger = { info: () => undefined, warn: () => undefined };

let db: TestDatabase;
let smtp: SmtpSink;
let rules: RuleSource;
let real: EmailTransport;
/** What the next email send does after the sink took the message (or before, for `refuse`). */
let next: 'ok' | 'drop-after-accept' | 'lose-commit' | 'refuse' = 'ok';
let acts: ConsentflowActivities;

/** The SMTP sink behind a switch that loses the answer in the ways a real network and worker do. */
const flaky: EmailTransport = {
  async sendEmail(m) {
    const mode = next;
    next = 'ok';
    if (mode === 'refuse') throw new DeliveryError('451 4.3.0 try again later', 'transient');
    const receipt = await real.sendEmail(m);
    if (mode === 'drop-after-accept') {
      // What the SMTP transport reports when the socket drops after the whole message was sent.
      throw new DeliveryError('SMTP connection closed after the message was sent', 'transient', {
        maybeAccepted: true,
      });
    }
    if (mode === 'lose-commit') {
      // The provider answered, but the delivery's own database connection dies before `sent` is committed.
      await db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
      );
    }
    return receipt;
  },
};

function step(contactId: string, name = 'w0', over: Partial<DecideStepInput> = {}): DecideStepInput {
  const workflowId = `welcome-${contactId}`;
  return {
    workflowId,
    runChain: RUN,
    runId: RUN,
    step: name,
    messageKey: `${workflowId}/${RUN}/${name}`,
    contactId,
    message: { channel: 'email', type: 'welcome', template: 'welcome-1-email' },
    at: AT,
    ...over,
  };
}

const deliverInput = (messageKey: string) => ({
  messageKey,
  runId: RUN,
  clockOffsetMs: Date.parse(AT) - Date.now(),
});

async function outcomeOf(key: string) {
  const { rows } = await db.pool.query<{ outcome: string; verdict: string; reasons: { rule: string }[] }>(
    'SELECT outcome, verdict, reasons FROM step_outcomes WHERE message_key = $1',
    [key],
  );
  return rows[0];
}

async function attemptsOf(key: string) {
  const { rows } = await db.pool.query<{ result: string | null; maybe_accepted: boolean }>(
    'SELECT result, maybe_accepted FROM delivery_attempts WHERE message_key = $1 ORDER BY id',
    [key],
  );
  return rows;
}

/** A contact who gets a welcome email decided, one attempt in `mode`, then unsubscribes. */
async function attemptThenUnsubscribe(id: string, mode: typeof next) {
  const email = `${id}@example.com`;
  await seedContact(db.pool, { id, email, first_name: 'Uma' });
  const d = await run(acts.decideStep, step(id));
  expect(d.verdict).toBe('send');
  next = mode;
  // Retryable either way: a transport failure, or the connection error of a lost commit.
  await expect(run(acts.deliver, deliverInput(d.messageKey))).rejects.toThrow();
  await unsubscribeEmail(db.pool, email);
  // The retry asks the rules first and withdraws the row; the workflow then asks decideStep again.
  expect(await retry(acts.deliver, deliverInput(d.messageKey))).toMatchObject({ state: 'redecide' });
  const again = await run(acts.decideStep, step(id, 'w0', { round: 1 }));
  return { key: d.messageKey, again };
}

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
  rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
  real = createSmtpTransport({ url: smtp.url, from: 'Shop <hello@shop.test>' });
  const sms = { sendSms: () => Promise.reject(new Error('no SMS in these tests')) };
  acts = createActivities({ pool: db.pool, rules, transports: { email: flaky, sms }, log });
});

afterAll(async () => {
  rules?.close();
  await smtp?.close();
  await db?.drop();
});

beforeEach(() => {
  smtp.clear();
  next = 'ok';
});

describe('an attempt that may have reached the provider, then no further attempt', () => {
  it('connection dropped after the provider took it, then the contact unsubscribed: unconfirmed, not suppressed', async () => {
    const { key, again } = await attemptThenUnsubscribe('c-drop', 'drop-after-accept');
    expect(smtp.messages()).toHaveLength(1); // the provider has it
    expect(again).toMatchObject({ verdict: 'suppress', outcome: 'unconfirmed' });
    expect(again.reasons[0]?.rule).toBe('deliver:unconfirmed');
    // Then why no further attempt was made: the unsubscribe, as any suppression would say it.
    expect(
      again.reasons
        .slice(1)
        .map((r) => r.message)
        .join(' '),
    ).toMatch(/unsubscribed/i);
    expect(await outcomeOf(key)).toMatchObject({ outcome: 'unconfirmed', verdict: 'suppress' });
    expect(await attemptsOf(key)).toEqual([{ result: 'transient', maybe_accepted: true }]);
  });

  it('the worker died during the call (its attempt has no result), then the contact unsubscribed: unconfirmed', async () => {
    const id = 'c-killed';
    const email = `${id}@example.com`;
    await seedContact(db.pool, { id, email });
    const d = await run(acts.decideStep, step(id));
    // What a SIGKILL during the provider call leaves: the attempt row, committed before the call, and nothing else.
    await db.pool.query('INSERT INTO delivery_attempts (message_key, attempt) VALUES ($1, 1)', [
      d.messageKey,
    ]);
    await unsubscribeEmail(db.pool, email);
    expect(await retry(acts.deliver, deliverInput(d.messageKey))).toMatchObject({ state: 'redecide' });
    const again = await run(acts.decideStep, step(id, 'w0', { round: 1 }));
    expect(again).toMatchObject({ verdict: 'suppress', outcome: 'unconfirmed' });
    expect(await outcomeOf(d.messageKey)).toMatchObject({ outcome: 'unconfirmed' });
  });

  it('the database connection broke after the provider accepted: recorded sent on a fresh connection, sent once', async () => {
    const id = 'c-lost';
    await seedContact(db.pool, { id, email: `${id}@example.com` });
    const d = await run(acts.decideStep, step(id));
    next = 'lose-commit';
    expect(await run(acts.deliver, deliverInput(d.messageKey))).toMatchObject({ state: 'sent' });
    expect(await attemptsOf(d.messageKey)).toEqual([{ result: 'accepted', maybe_accepted: false }]);
    expect(await outcomeOf(d.messageKey)).toMatchObject({ outcome: 'sent' });
    // A retry of the activity (its completion was lost too) finds it sent and calls nobody.
    expect(await retry(acts.deliver, deliverInput(d.messageKey))).toMatchObject({ state: 'sent' });
    expect(smtp.messages()).toHaveLength(1);
  });

  it('a refusal the provider answered, then the contact unsubscribed: suppressed (nothing can be out)', async () => {
    const { key, again } = await attemptThenUnsubscribe('c-refused', 'refuse');
    expect(smtp.messages()).toHaveLength(0);
    expect(again).toMatchObject({ verdict: 'suppress', outcome: 'suppressed' });
    expect(await outcomeOf(key)).toMatchObject({ outcome: 'suppressed' });
    expect(await attemptsOf(key)).toEqual([{ result: 'transient', maybe_accepted: false }]);
  });

  it('the deadline passes after an unanswered attempt: unconfirmed, not expired', async () => {
    const id = 'c-late';
    await seedContact(db.pool, { id, email: `${id}@example.com` });
    const d = await run(acts.decideStep, step(id));
    next = 'drop-after-accept';
    await failureOf(run(acts.deliver, deliverInput(d.messageKey)));
    const r = await run(acts.recordOutcome, {
      ...step(id),
      message: { channel: 'email', type: 'welcome' },
      outcome: 'expired',
      verdict: 'send',
      reasons: [{ rule: 'workflow:deadline', message: 'Not delivered within the deadline; not sent.' }],
    });
    expect(r.outcome).toBe('unconfirmed');
    expect(r.reasons.map((x) => x.rule)).toEqual(['deliver:unconfirmed', 'workflow:deadline']);
    expect(await outcomeOf(d.messageKey)).toMatchObject({ outcome: 'unconfirmed' });
  });

  it('a stop condition after an attempt the provider refused: stopped', async () => {
    const id = 'c-stop';
    await seedContact(db.pool, { id, email: `${id}@example.com` });
    const d = await run(acts.decideStep, step(id));
    next = 'refuse';
    await failureOf(run(acts.deliver, deliverInput(d.messageKey)));
    const r = await run(acts.recordOutcome, {
      ...step(id),
      message: { channel: 'email', type: 'welcome' },
      outcome: 'stopped',
      verdict: 'send',
      reasons: [{ rule: 'workflow:stopped', message: 'The order was placed.' }],
    });
    expect(r.outcome).toBe('stopped');
  });
});
