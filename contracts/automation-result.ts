// What an automation run reports, per step and as a whole: the workflow query `steps`, the workflow result and
// the `step_outcomes` table say the same thing (docs/delivery.md). Ids, verdicts and reasons only: no address.
import type { Channel, DecisionReason, Verdict } from '../rules/model';

/**
 * The final (or, while `deferred`, the current) outcome of one message:
 * - `sent`: a provider accepted it;
 * - `suppressed`: the rules (or the defer limit) said no;
 * - `deferred`: waiting for `notBefore` to ask again (not final);
 * - `failed`: it could not be delivered (provider refused it, template error...), see `failure`;
 * - `expired`: its business deadline passed before it could be decided or delivered;
 * - `stopped`: the automation's stop condition came true while it waited (order placed, cart emptied...);
 * - `duplicate`: another run of the same business event already owns this message (a replayed event id);
 * - `unconfirmed`: an attempt handed the message to the provider and never heard back (timeout, dropped
 *   connection, a crash during the call), then the rules, the deadline or the stop condition ended the step
 *   before another attempt: the message may have been delivered. Never reported as `suppressed`, which would
 *   claim it was not.
 */
export type StepOutcome =
  'sent' | 'suppressed' | 'deferred' | 'failed' | 'expired' | 'stopped' | 'duplicate' | 'unconfirmed';

export const FINAL_OUTCOMES: readonly StepOutcome[] = [
  'sent',
  'suppressed',
  'failed',
  'expired',
  'stopped',
  'duplicate',
  'unconfirmed',
];

/** Why a message could not be delivered (`outcome: failed`). */
export type FailureKind =
  | 'recipient-refused' // the provider refused this address or message for good (SMTP 5xx, SMS 4xx)
  | 'template' // unknown template, or a variable the contact has no value for
  | 'internal'; // a bug: malformed activity input, a workflow asking for a message it never decided

export interface StepRecord {
  step: string;
  /** The message's idempotency key: outbox row, decision log, step_outcomes, Message-ID header. */
  messageKey: string;
  channel: Channel;
  type: string;
  outcome: StepOutcome;
  /** The last verdict asked for this step (`suppress` after too many defers, even if the rules said defer). */
  verdict: Verdict;
  reasons: DecisionReason[];
  rulesHash: string;
  /** The instant of the last decision (virtual clock). */
  decidedAt: string;
  /** How many times the step was deferred (as many as `deferrals` lists, for records written since). */
  defers: number;
  /** Every deferral of the step, oldest first: kept after the step settles. */
  deferrals?: Deferral[];
  /** While deferred: when the step asks again. */
  notBefore?: string;
  /** Kept for readers of the first version: `sent` / `failed` when a delivery was attempted. */
  delivery?: 'sent' | 'failed';
  failure?: { kind: FailureKind; detail: string };
}

/** One deferral of a step: asked at `decidedAt` (virtual clock), told to wait until `notBefore`, and why. */
export interface Deferral {
  decidedAt: string;
  notBefore: string;
  reasons: DecisionReason[];
}

export interface AutomationResult {
  outcome: string;
  steps: StepRecord[];
}
