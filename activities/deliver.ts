// deliver: sends the message an outbox row describes, at most once per row as far as this database can tell,
// and with the row's key as the provider-side idempotency token for the one window it cannot see (the provider
// accepted the message, then the answer or the commit was lost). Before a late or retried attempt it asks the
// rules again. A message-level problem is a recorded outcome, returned, never thrown; only outages and
// configuration errors throw (retryable), so Temporal retries them until the step's business deadline.
// See docs/delivery.md.
import type { Channel, DecisionReason } from '../rules/model';
import type { FailureKind } from '../contracts/automation-result';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { loadTemplateFields } from '../db/contacts/template-fields';
import { activityLogger, attemptNumber, heartbeat, type ActivityLogger } from './context';
import { ActivityErrorType, TemplateError, nonRetryable } from './errors';
import { maskAddress } from './mask';
import { applyPendingFeedback } from './deliver-feedback';
import { renderTemplate, type RenderedMessage, type TemplateSource } from './templates';
import type { Transports } from './transports/types';
import { finishAttempt, startAttempt, stepRefOf, writeOutcome } from './outcomes';
import { countAttempt, markFailed, noteError, readOutbox, type OutboxEntry } from './store';
import { askAgain } from './deliver-recheck';
import { consentLinksFor } from './consent-links';
import type { LinkConfig } from '../contracts/link-config';
import { callTransport, classify, type Classified } from './deliver-transport';
import { recordAccepted, recordAcceptedAfresh, type Acceptance } from './deliver-accepted';

export interface DeliverInput {
  messageKey: string;
  /** The run that asks (recorded with the outcome). */
  runId?: string;
  /** The workflow's virtual clock offset (CommonInput.clockStart); 0 in production. */
  clockOffsetMs?: number;
  /** Accepted from workflows started before the redesign. */
  idempotencyKey?: string;
}

export interface DeliveryResult {
  /**
   * `sent`: a provider accepted it; `failed`: it cannot be delivered (see `failure`); `redecide`: the rules no
   * longer allow it now (withdrawn), the workflow asks decideStep again; `expired`: too late (recorded).
   */
  state: 'sent' | 'failed' | 'redecide' | 'expired';
  channel?: Channel;
  providerId?: string;
  failure?: { kind: FailureKind; detail: string };
  reasons?: DecisionReason[];
}

export interface DeliverDependencies {
  pool: Pool;
  rules: { current(): import('../rules').RuleSet };
  transports: Transports;
  templates: TemplateSource;
  log?: ActivityLogger;
  /** How long an attempt waits for another attempt holding the same row (a zombie after a timeout). */
  lockTimeoutMs?: number;
  /** Unsubscribe / preference links (activities/consent-links.ts); default from the environment. */
  links?: LinkConfig;
}

export function createDeliver(deps: DeliverDependencies) {
  const lockTimeoutMs = Math.max(1, Math.floor(deps.lockTimeoutMs ?? 30_000));

  return async function deliver(input: DeliverInput): Promise<DeliveryResult> {
    const key = input?.messageKey ?? input?.idempotencyKey;
    if (typeof key !== 'string' || !key) {
      throw nonRetryable(ActivityErrorType.InvalidActivityInput, 'deliver input needs a messageKey.');
    }
    const log = deps.log ?? activityLogger();
    const entry = await readOutbox(deps.pool, key);
    if (!entry || entry.state === 'withdrawn') {
      // No promise to keep (a newer decision withdrew it, or a zombie attempt raced): decide again.
      return {
        state: 'redecide',
        reasons: [
          {
            rule: 'deliver:no-pending-message',
            message: 'Nothing to deliver under this key any more; asking the rules again.',
          },
        ],
      };
    }
    if (entry.state === 'failed' && entry.feedback && !entry.feedbackAppliedAt) {
      // A permanent failure whose feedback did not reach the contact store (it was down): finish the job.
      await applyPendingFeedback(deps.pool, key, log);
    }
    if (entry.state !== 'pending') return settled(entry);
    heartbeat();

    const now = new Date(Date.now() + (input.clockOffsetMs ?? 0));
    const attempt = attemptNumber() ?? 1;
    if (attempt > 1 || !entry.validUntil || now.getTime() > entry.validUntil.getTime()) {
      const again = await askAgain(deps, entry, now, attempt, input.runId, log);
      if (again) return again;
    }

    const rendered = await render(deps, entry, input.runId);
    if ('state' in rendered) return rendered;
    return sendOnce(deps, entry, rendered, lockTimeoutMs, input.runId, log);
  };
}

/** Holds the row lock from the last check through the provider call to the recorded outcome. */
async function sendOnce(
  deps: DeliverDependencies,
  entry: OutboxEntry,
  rendered: RenderedMessage,
  lockTimeoutMs: number,
  runId: string | undefined,
  log: ActivityLogger,
): Promise<DeliveryResult> {
  const key = entry.idempotencyKey;
  const ref = stepRefOf(entry, runId);
  const message = { channel: entry.channel, type: entry.messageType };
  let failure: Classified | undefined;
  // Set once the provider accepted: from then on its answer must not be lost with the connection.
  let accepted: Acceptance | undefined;
  // Counted on its own connection, committed before the row lock is taken (the lock holder would otherwise
  // wait for itself), so it survives a crash during the provider call.
  await countAttempt(deps.pool, key);
  const result = await inTransaction(
    deps.pool,
    async (client): Promise<DeliveryResult> => {
      // A second attempt for the same key waits here, then sees 'sent'.
      const locked = await readOutbox(client, key, true);
      if (!locked || locked.state !== 'pending') return locked ? settled(locked) : { state: 'redecide' };
      // Committed on its own connection right before the call: if the answer is lost with this transaction
      // (worker killed, connection terminated), the row stays without a result and says "may have been sent".
      const attemptId = await startAttempt(deps.pool, key, attemptNumber());
      let providerId: string;
      try {
        providerId = (await callTransport(deps.transports, locked, rendered)).providerId;
      } catch (err) {
        failure = classify(err, locked.address);
        await finishAttempt(client, attemptId, failure.kind, {
          detail: failure.detail,
          maybeAccepted: failure.maybeAccepted,
        });
        if (failure.kind === 'permanent') {
          await markFailed(client, key, {
            type: ActivityErrorType.PermanentDeliveryFailure,
            error: failure.detail,
            ...(failure.feedback ? { feedback: failure.feedback } : {}),
          });
          await writeOutcome(client, ref, message, {
            outcome: 'failed',
            verdict: 'send',
            reasons: [
              { rule: 'deliver:refused', message: `The provider refused the message: ${failure.detail}` },
            ],
            failureKind: 'recipient-refused',
            detail: failure.detail,
            decisionId: locked.decisionId,
          });
          return {
            state: 'failed',
            channel: locked.channel,
            failure: { kind: 'recipient-refused', detail: failure.detail },
          };
        }
        await noteError(client, key, failure.detail);
        return { state: 'redecide' }; // not returned: the failure is thrown below, after the commit
      }
      accepted = { ref, message, attemptId, providerId, decisionId: locked.decisionId };
      return recordAccepted(client, accepted);
    },
    { lockTimeoutMs },
  ).catch((err: unknown) => {
    if (!accepted) throw err;
    return recordAcceptedAfresh(deps.pool, accepted, err, log);
  });
  if (failure && failure.kind !== 'permanent') {
    const meta = { messageKey: key, channel: entry.channel, attempt: attemptNumber(), error: failure.detail };
    // Loud: an operator must see an outage or a bad credential long before any deadline runs out.
    if (failure.kind === 'configuration')
      log.warn('delivery blocked by a configuration error, will retry', meta);
    else log.warn('delivery failed, will retry', meta);
    throw failure.toThrow(key);
  }
  if (result.state === 'sent')
    log.info('message delivered', { messageKey: key, channel: entry.channel, providerId: result.providerId });
  if (failure?.kind === 'permanent' && failure.feedback) await applyPendingFeedback(deps.pool, key, log);
  return result;
}

/** The recorded outcome of a row that is no longer pending. */
function settled(entry: OutboxEntry): DeliveryResult {
  if (entry.state === 'sent')
    return {
      state: 'sent',
      channel: entry.channel,
      ...(entry.providerId ? { providerId: entry.providerId } : {}),
    };
  if (entry.state === 'expired') return { state: 'expired', channel: entry.channel };
  if (entry.state === 'withdrawn') return { state: 'redecide', channel: entry.channel };
  const kind: FailureKind =
    entry.failureType === ActivityErrorType.TemplateError ? 'template' : 'recipient-refused';
  return { state: 'failed', channel: entry.channel, failure: { kind, detail: maskedError(entry) } };
}

function maskedError(entry: OutboxEntry): string {
  return (entry.error ?? 'delivery failed').split(entry.address).join(maskAddress(entry.address));
}

async function render(
  deps: DeliverDependencies,
  entry: OutboxEntry,
  runId: string | undefined,
): Promise<RenderedMessage | DeliveryResult> {
  const fields = await loadTemplateFields(deps.pool, entry.contactId);
  if (!fields) return { state: 'redecide' }; // the contact was erased: the rules will say so and suppress
  try {
    const template = deps.templates.get(entry.template);
    const links = await consentLinksFor(deps, entry);
    // Step values (order id...) win over contact fields of the same name: they are the more specific context.
    // The signed links win over both: no field or step value may replace where "unsubscribe" leads.
    const rendered = renderTemplate(
      template,
      { ...fields, ...entry.templateVars, ...links?.vars },
      entry.channel,
    );
    return links && rendered.channel === 'email' ? { ...rendered, headers: links.headers } : rendered;
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const detail = err.message;
    await inTransaction(deps.pool, async (client) => {
      await markFailed(client, entry.idempotencyKey, {
        type: ActivityErrorType.TemplateError,
        error: detail,
      });
      await writeOutcome(
        client,
        stepRefOf(entry, runId),
        { channel: entry.channel, type: entry.messageType },
        {
          outcome: 'failed',
          verdict: 'send',
          reasons: [{ rule: 'deliver:template', message: `The template could not be rendered: ${detail}` }],
          failureKind: 'template',
          detail,
          decisionId: entry.decisionId,
        },
      );
    });
    return { state: 'failed', channel: entry.channel, failure: { kind: 'template', detail } };
  }
}
