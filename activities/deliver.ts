// deliver: sends the message an outbox row describes, at most once per row as far as this database can tell,
// and with the row's key as the provider-side idempotency token for the one window it cannot see (the
// transport accepted the message, then the worker died before the row said 'sent'). See docs/delivery.md.
import type { ApplicationFailure } from '@temporalio/common';
import type { Channel } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';
import { loadTemplateFields } from '../db/contacts/profile';
import { applyFeedback } from '../db/contacts/feedback';
import { activityLogger, attemptNumber, type ActivityLogger } from './context';
import { ActivityErrorType, TemplateError, nonRetryable, retryable } from './errors';
import { maskAddress, scrubAddresses } from './mask';
import { renderTemplate, type RenderedMessage, type TemplateSource } from './templates';
import { DeliveryError, type SendReceipt, type Transports } from './transports/types';
import {
  countAttempt,
  markFailed,
  markFeedbackApplied,
  markSent,
  noteError,
  readOutbox,
  type OutboxEntry,
} from './store';

export interface DeliverInput {
  idempotencyKey: string;
}

export interface DeliveryResult {
  /** `failed` only when an earlier execution already reported the permanent failure (see docs/delivery.md). */
  state: 'sent' | 'failed';
  providerId?: string;
  channel: Channel;
}

export interface DeliverDependencies {
  pool: Pool;
  transports: Transports;
  templates: TemplateSource;
  log?: ActivityLogger;
  /** How long an attempt waits for another attempt holding the same row (a zombie after a timeout). */
  lockTimeoutMs?: number;
}

export function createDeliver(deps: DeliverDependencies) {
  const lockTimeoutMs = Math.max(1, Math.floor(deps.lockTimeoutMs ?? 30_000));

  return async function deliver(input: DeliverInput): Promise<DeliveryResult> {
    const key = input?.idempotencyKey;
    if (typeof key !== 'string' || !key) {
      throw nonRetryable(ActivityErrorType.InvalidActivityInput, 'deliver input needs an idempotencyKey.');
    }
    const log = deps.log ?? activityLogger();
    const entry = await readOutbox(deps.pool, key);
    if (!entry) {
      throw nonRetryable(
        ActivityErrorType.OutboxEntryMissing,
        `No outbox entry "${key}": deliver runs only after decideStep answered send with this idempotencyKey.`,
      );
    }
    if (entry.state !== 'pending') return settled(deps, entry, log);

    // Rendered before any lock is taken: loading fields needs a pool connection of its own.
    const rendered = await render(deps, entry);

    const outcome = await sendLocked(deps, entry, rendered, lockTimeoutMs, log);
    if (outcome.kind === 'sent') return outcome.result;
    if (outcome.kind === 'settled') return settled(deps, outcome.entry, log);
    // Feedback goes to the contact store after the row's connection is back in the pool.
    if (outcome.failure.nonRetryable) {
      const failed = await readOutbox(deps.pool, key);
      if (failed) await applyPendingFeedback(deps, failed, log);
    }
    throw outcome.failure;
  };
}

type LockedOutcome =
  | { kind: 'sent'; result: DeliveryResult }
  | { kind: 'settled'; entry: OutboxEntry }
  | { kind: 'failed'; failure: ApplicationFailure };

/** Counts the attempt, then calls the transport while holding the row lock, and records the outcome. */
async function sendLocked(
  deps: DeliverDependencies,
  entry: OutboxEntry,
  rendered: RenderedMessage,
  lockTimeoutMs: number,
  log: ActivityLogger,
): Promise<LockedOutcome> {
  const key = entry.idempotencyKey;
  const client = await deps.pool.connect();
  let broken = false;
  try {
    await inTransaction(client, lockTimeoutMs, () => countAttempt(client, key));
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
    // Held until the outcome is written: a second attempt for the same key waits here, then sees 'sent'.
    const locked = await readOutbox(client, key, true);
    if (!locked || locked.state !== 'pending') {
      await client.query('COMMIT');
      return { kind: 'settled', entry: locked ?? entry };
    }
    let receipt: SendReceipt;
    try {
      receipt = await send(deps.transports, locked, rendered);
    } catch (err) {
      const failure = await recordFailure(client, locked, err, log);
      await client.query('COMMIT');
      return { kind: 'failed', failure };
    }
    await markSent(client, key, receipt.providerId);
    await client.query('COMMIT');
    log.info('message delivered', {
      idempotencyKey: key,
      channel: locked.channel,
      providerId: receipt.providerId,
    });
    return {
      kind: 'sent',
      result: { state: 'sent', providerId: receipt.providerId, channel: locked.channel },
    };
  } catch (err) {
    broken = isConnectionError(err);
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The recorded outcome of a row that is no longer pending. */
async function settled(
  deps: DeliverDependencies,
  entry: OutboxEntry,
  log: ActivityLogger,
): Promise<DeliveryResult> {
  if (entry.state === 'sent') {
    return {
      state: 'sent',
      channel: entry.channel,
      ...(entry.providerId ? { providerId: entry.providerId } : {}),
    };
  }
  // A permanent failure whose feedback did not reach the contact store (the store was down): this is the retry
  // of the execution that found it, so finish the job and report the same non-retryable failure.
  if (entry.feedback && !entry.feedbackAppliedAt) {
    await applyPendingFeedback(deps, entry, log);
    throw nonRetryable(
      (entry.failureType as ActivityErrorType | null) ?? ActivityErrorType.PermanentDeliveryFailure,
      scrubAddresses(entry.error ?? 'delivery failed permanently', [entry.address]),
    );
  }
  return { state: 'failed', channel: entry.channel };
}

async function render(deps: DeliverDependencies, entry: OutboxEntry): Promise<RenderedMessage> {
  const fields = await loadTemplateFields(deps.pool, entry.contactId);
  const fail = async (type: ActivityErrorType, message: string): Promise<never> => {
    await markFailed(deps.pool, entry.idempotencyKey, { type, error: message });
    throw nonRetryable(type, message);
  };
  if (!fields) {
    return fail(
      ActivityErrorType.ContactNotFound,
      `Contact ${entry.contactId} no longer exists; message ${entry.idempotencyKey} was not sent.`,
    );
  }
  try {
    const template = deps.templates.get(entry.template);
    // Step values (order id...) win over contact fields of the same name: they are the more specific context.
    return renderTemplate(template, { ...fields, ...entry.templateVars }, entry.channel);
  } catch (err) {
    if (err instanceof TemplateError) return fail(ActivityErrorType.TemplateError, err.message);
    throw err;
  }
}

function send(transports: Transports, entry: OutboxEntry, message: RenderedMessage): Promise<SendReceipt> {
  const idempotencyKey = entry.idempotencyKey;
  if (message.channel === 'email') {
    return transports.email.sendEmail({
      to: entry.address,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
      idempotencyKey,
    });
  }
  return transports.sms.sendSms({ to: entry.address, body: message.body, idempotencyKey });
}

/** Writes what the failure means for the row and returns the failure to throw (address scrubbed). */
async function recordFailure(
  client: PoolClient,
  entry: OutboxEntry,
  err: unknown,
  log: ActivityLogger,
): Promise<ApplicationFailure> {
  const raw = err instanceof Error ? err.message : String(err);
  const text = scrubAddresses(raw, [entry.address]);
  const meta = {
    idempotencyKey: entry.idempotencyKey,
    channel: entry.channel,
    attempt: attemptNumber(),
    error: text,
  };
  if (err instanceof DeliveryError && err.permanent) {
    await markFailed(client, entry.idempotencyKey, {
      type: ActivityErrorType.PermanentDeliveryFailure,
      error: raw,
      ...(err.details.feedback ? { feedback: err.details.feedback } : {}),
    });
    log.warn('delivery failed permanently', { ...meta, feedback: err.details.feedback ?? 'none' });
    return nonRetryable(ActivityErrorType.PermanentDeliveryFailure, `${text} [${entry.idempotencyKey}]`);
  }
  await noteError(client, entry.idempotencyKey, raw);
  log.warn('delivery failed, will retry', meta);
  return retryable(ActivityErrorType.TransientDeliveryFailure, `${text} [${entry.idempotencyKey}]`);
}

/**
 * Tells the contact store what the provider said about the address. If the store is unreachable the error
 * propagates (retryable) and the next attempt finds the row failed with feedback not yet applied.
 */
async function applyPendingFeedback(
  deps: DeliverDependencies,
  entry: OutboxEntry,
  log: ActivityLogger,
): Promise<void> {
  if (!entry.feedback || entry.feedbackAppliedAt) return;
  const result = await applyFeedback(deps.pool, {
    kind: entry.feedback,
    channel: entry.channel,
    address: entry.address,
    at: new Date(),
    // The ledger is in PostgreSQL: the provider's full answer belongs there.
    source: { via: 'deliver', idempotencyKey: entry.idempotencyKey, providerAnswer: entry.error },
  });
  await markFeedbackApplied(deps.pool, entry.idempotencyKey);
  log.info('delivery feedback applied', {
    idempotencyKey: entry.idempotencyKey,
    kind: entry.feedback,
    address: maskAddress(entry.address),
    contacts: result.contactIds.length,
    changes: result.changes,
  });
}

async function inTransaction(
  client: PoolClient,
  lockTimeoutMs: number,
  fn: () => Promise<void>,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
    await fn();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNRESET' || code === '57P01' || code === 'EPIPE';
}
