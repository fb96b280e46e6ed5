// Every activity option and budget of the send step, in one place. Attempt counts are gone: a message has a
// business deadline instead (how long it is still worth sending), and outages or configuration errors are
// retried, loudly, until that deadline; then the step is recorded `expired`.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../activities/errors';
import messageTypes from '../rules/message-types.json';

/** Types that skip the marketing gates: those rules/message-types.json marks transactional. */
export const TRANSACTIONAL_TYPES: readonly string[] = messageTypes.types
  .filter((t) => 'transactional' in t && t.transactional === true)
  .map((t) => t.type);

/**
 * How long a message stays worth sending after its step first asks (defer waits excluded): a receipt is
 * still useful hours late; a cart reminder or a campaign two hours late is not what the marketer planned.
 */
export const DEADLINE_MS = { transactional: 24 * 3_600_000, marketing: 2 * 3_600_000 };

export function deadlineMs(type: string): number {
  return TRANSACTIONAL_TYPES.includes(type) ? DEADLINE_MS.transactional : DEADLINE_MS.marketing;
}

/** A send decision holds at most this long (the rules may make it shorter: quiet hours about to begin). */
export const DECISION_VALID_FOR_MS = 60_000;

/** Consecutive defers of one step before it is suppressed (a rule set that always defers must not loop). */
export const MAX_DEFERS = 5;

/** Decision rounds of one step (decide, deliver finds the rules changed, decide again...) before giving up. */
export const MAX_ROUNDS = 20;

/**
 * decideStep: a few milliseconds of PostgreSQL and rule evaluation, serialized per message: a local activity
 * saves the server two round trips per step (docs/benchmarks.md). Unlimited attempts within the deadline.
 */
export function decideOptions(scheduleToCloseMs: number): LocalActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(1_000, scheduleToCloseMs),
    localRetryThreshold: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  };
}

/**
 * deliver: a regular activity, so its retries and last failure show in the Web UI. The transport gives up
 * after its total timeout (15 s); the row lock may wait for a zombie attempt (30 s); heartbeats every 2 s
 * during the provider call let a dead worker's attempt be retried after 20 s instead of start-to-close.
 */
export function deliverOptions(scheduleToCloseMs: number): ActivityOptions {
  return {
    startToCloseTimeout: '90 seconds',
    heartbeatTimeout: '20 seconds',
    scheduleToCloseTimeout: Math.max(1_000, scheduleToCloseMs),
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
    },
  };
}

/** recordOutcome: the step's last word; retried without limit (it is the record of what happened). */
export const RECORD_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * isDoubleOptInConfirmed: one short read of the store, asked by the double opt-in workflow while it waits and
 * by a welcome series when its wait for the confirmation ends; retried until the store answers.
 */
export const CONFIRMATION_CHECK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
