// Failure vocabulary of the activities. Message-level problems (a refused address, a template error) are not
// failures any more: deliver returns them as recorded outcomes. What is thrown is either retryable (an outage,
// a configuration error) or a bug (non-retryable), which the send step records as a failed message.
import { ApplicationFailure } from '@temporalio/common';

export const ActivityErrorType = {
  /** The provider refused the message for good (SMTP 5xx, SMS 4xx): retrying cannot change the answer. */
  PermanentDeliveryFailure: 'PermanentDeliveryFailure',
  /** Unknown template, invalid template file, or a variable the contact has no value for. */
  TemplateError: 'TemplateError',
  /** `deliver` was asked for an idempotency key that `decideStep` never wrote: a workflow bug. */
  OutboxEntryMissing: 'OutboxEntryMissing',
  /** The contact was deleted between the decision and the delivery. */
  ContactNotFound: 'ContactNotFound',
  /** The activity input itself is malformed (empty workflow id, unparseable instant...). */
  InvalidActivityInput: 'InvalidActivityInput',
  /** Retryable: the provider or the network said "not now" (SMTP 4xx, SMS 5xx/429, connection errors). */
  TransientDeliveryFailure: 'TransientDeliveryFailure',
  /** Retryable and loud: our side is misconfigured (credentials refused, transport not set up). */
  DeliveryConfigurationError: 'DeliveryConfigurationError',
} as const;
export type ActivityErrorType = (typeof ActivityErrorType)[keyof typeof ActivityErrorType];

/** For `RetryPolicy.nonRetryableErrorTypes`. */
export const NON_RETRYABLE_ERROR_TYPES = [
  ActivityErrorType.PermanentDeliveryFailure,
  ActivityErrorType.TemplateError,
  ActivityErrorType.OutboxEntryMissing,
  ActivityErrorType.ContactNotFound,
  ActivityErrorType.InvalidActivityInput,
] as const;

export function nonRetryable(type: ActivityErrorType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

export function retryable(type: ActivityErrorType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false, cause });
}

/** Raised by templates.ts; turned into a non-retryable TemplateError failure by `deliver`. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}
