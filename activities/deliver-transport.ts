// The provider call of one delivery attempt, and what its failure means: permanent (the provider refused this
// address or message: recorded as failed), transient (outage, throttling, timeout) or configuration (our
// credentials or setup): both retried until the step's deadline, never recorded as a failed message.
import type { ApplicationFailure } from '@temporalio/common';
import { heartbeat } from './context';
import { ActivityErrorType, retryable } from './errors';
import { scrubAddresses } from './mask';
import type { RenderedMessage } from './templates';
import { DeliveryError, type FailureFeedback, type SendReceipt, type Transports } from './transports/types';
import type { OutboxEntry } from './store';

/** Provider answers are kept for operators, bounded: a provider that echoes a whole body must not fill a row. */
const MAX_DETAIL = 500;
const HEARTBEAT_EVERY_MS = 2_000;

export interface Classified {
  kind: 'permanent' | 'transient' | 'configuration';
  /** The provider's answer, address masked, bounded. */
  detail: string;
  feedback?: FailureFeedback;
  /**
   * The provider may have the message: the transport handed it over and heard nothing back, or the failure is
   * not one a transport classified (it says nothing, so nothing is ruled out).
   */
  maybeAccepted: boolean;
  toThrow(messageKey: string): ApplicationFailure;
}

export function classify(err: unknown, address: string): Classified {
  const raw = err instanceof Error ? err.message : String(err);
  const masked = scrubAddresses(raw, [address]);
  const detail = masked.length > MAX_DETAIL ? `${masked.slice(0, MAX_DETAIL)}…` : masked;
  const d = err as Partial<DeliveryError> & { kind?: string };
  const kind: Classified['kind'] =
    err instanceof DeliveryError || d?.name === 'DeliveryError'
      ? d.kind === 'configuration' || d.kind === 'permanent' || d.kind === 'transient'
        ? d.kind
        : d.permanent
          ? 'permanent'
          : 'transient'
      : 'transient';
  const feedback = kind === 'permanent' ? d.details?.feedback : undefined;
  const classified = err instanceof DeliveryError || d?.name === 'DeliveryError';
  return {
    kind,
    detail,
    maybeAccepted: kind === 'transient' && (!classified || d.details?.maybeAccepted === true),
    ...(feedback ? { feedback } : {}),
    toThrow: (messageKey) =>
      retryable(
        kind === 'configuration'
          ? ActivityErrorType.DeliveryConfigurationError
          : ActivityErrorType.TransientDeliveryFailure,
        `${detail} [${messageKey}]`,
      ),
  };
}

/**
 * Calls the transport, heartbeating while the provider answers. Temporal's cancellation (a paused or cancelled
 * campaign, a cancelled run, a worker shutting down, a timed-out attempt) is not passed on: a message handed
 * over may already be the provider's, and aborting the call would leave it delivered but recorded as pending,
 * so counted as unsent and handed over again by the next pass. The call is heard to its end instead, bounded by
 * the transport's own deadline (TRANSPORT_TOTAL_TIMEOUT_MS); callers stop making new calls when cancelled.
 */
export async function callTransport(
  transports: Transports,
  entry: OutboxEntry,
  message: RenderedMessage,
): Promise<SendReceipt> {
  const idempotencyKey = entry.idempotencyKey;
  const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    if (message.channel === 'email') {
      const email = {
        to: entry.address,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        ...(message.headers ? { headers: message.headers } : {}),
        idempotencyKey,
      };
      return await transports.email.sendEmail(email);
    }
    const sms = { to: entry.address, body: message.body, idempotencyKey };
    return await transports.sms.sendSms(sms);
  } finally {
    clearInterval(beat);
  }
}
