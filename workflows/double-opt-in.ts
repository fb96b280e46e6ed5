// Double opt-in: send the confirmation email the sign-up asked for (a consent message with a signed confirm
// link, rules/message-types.json `doi_confirmation`), then wait for the confirmation. The consent server
// signals `doubleOptInConfirmed` when the link is pressed. While it waits, the store is asked too, at growing
// intervals (STORE_CHECKS): a confirmation whose signal never came (the server could not reach Temporal, a
// confirmation through the CLI) counts within the interval, not only when the wait ends, by which time the
// welcome series waiting for it has given up. Once confirmed, that welcome series is released. Contact ids
// only; the link and address stay in the activities.
import {
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ConsentflowActivities } from '../activities';
import type { AutomationResult } from '../contracts/automation-result';
import { DOI_EXPIRES_VAR, DOI_MESSAGE_TYPE, DOI_STEP, DOI_TEMPLATE } from '../contracts/double-opt-in';
import { CONFIRMATION_CHECK_OPTIONS } from './activity-options';
import { msOf } from './duration';
import { StepRunner, type CommonInput } from './send-step';
import { doubleOptInConfirmedSignal } from './welcome';

export { doubleOptInConfirmedSignal } from './welcome';

export interface DoubleOptInInput extends CommonInput {
  /** How long the confirm link works and the workflow waits (the welcome definition's confirmationTimeout). */
  confirmationTimeout: string | number;
  /** The resource the sign-up was for; absent: every unconfirmed subscription of the contact. */
  resource?: string;
  /** The welcome series to release once confirmed (its workflow id), if one waits. */
  releases?: string;
}

/**
 * When the store is asked while the wait lasts, in the definition's time (scaled like its durations): a minute
 * after the email, then twice as long each time up to an hour; so a lost signal delays the welcome series by an
 * hour at most, for about 170 short checks over a 7-day wait. Never more often than once a second.
 */
export const STORE_CHECKS = { firstMs: 60_000, maxMs: 3_600_000, minRealMs: 1_000 } as const;

const { isDoubleOptInConfirmed } = proxyActivities<ConsentflowActivities>(CONFIRMATION_CHECK_OPTIONS);

export async function doubleOptInWorkflow(input: DoubleOptInInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  let confirmed = false;
  setHandler(doubleOptInConfirmedSignal, () => void (confirmed = true));
  const timeout = msOf(input.confirmationTimeout);
  const check = () =>
    isDoubleOptInConfirmed({
      contactId: input.contactId,
      ...(input.resource ? { resource: input.resource } : {}),
    });
  // Nothing to confirm (confirmed already, or subscribed without a sign-up form): no "please confirm" email.
  if (await check()) {
    await release(input.releases);
    runner.details.done('ended: already confirmed, no confirmation email sent');
    return { outcome: 'already-confirmed', steps: runner.records };
  }
  // Real (workflow) time, not the virtual clock: the server checks the link against its own clock.
  const expiresAt = new Date(Date.now() + timeout).toISOString();
  const record = await runner.send(
    DOI_STEP,
    {
      channel: 'email',
      type: DOI_MESSAGE_TYPE,
      template: DOI_TEMPLATE,
      // The link names the resource the decision chose the subscription for: it confirms only that.
      ...(input.resource ? { resource: input.resource } : {}),
    },
    { vars: { [DOI_EXPIRES_VAR]: expiresAt } },
  );
  if (record.outcome !== 'sent') {
    runner.details.done(`ended: the confirmation email was not sent (${record.outcome})`);
    return { outcome: `not-sent:${record.outcome}`, steps: runner.records };
  }
  const wait = `waiting for the double opt-in confirmation, at most ${runner.durationText(timeout)}`;
  runner.details.set('doi', wait);
  const summary = `${wait}${runner.paced(timeout)}`;
  // Runs started before the checks existed keep waiting as they did (their histories must replay).
  if (patched('doi-store-checks'))
    confirmed = await waitAsking(() => confirmed, check, timeout, input.timeScale ?? 1, summary);
  else await condition(() => confirmed, timeout, { summary });
  runner.details.clear('doi');
  if (!confirmed) confirmed = await check();
  if (!confirmed) {
    runner.details.done('ended: the double opt-in was not confirmed in time');
    return { outcome: 'not-confirmed', steps: runner.records };
  }
  await release(input.releases);
  runner.details.done('ended: confirmed');
  return { outcome: 'confirmed', steps: runner.records };
}

/** Waits up to `timeoutMs` for the signal, asking the store at STORE_CHECKS' intervals; true once confirmed. */
async function waitAsking(
  signalled: () => boolean,
  ask: () => Promise<boolean>,
  timeoutMs: number,
  scale: number,
  summary: string,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs; // workflow time: deterministic on replay
  let gap: number = STORE_CHECKS.firstMs;
  for (;;) {
    const left = deadline - Date.now();
    const interval = Math.min(left, Math.max(STORE_CHECKS.minRealMs, gap * scale));
    if (left <= 0 || (await condition(signalled, interval, { summary }))) return signalled();
    // The wait is over: the caller asks the store a last time.
    if (interval >= left) return false;
    if (await ask()) return true;
    gap = Math.min(gap * 2, STORE_CHECKS.maxMs);
  }
}

/** Lets a welcome series that waits for this confirmation start; one that ended or never ran is left alone. */
async function release(welcomeId: string | undefined): Promise<void> {
  if (!welcomeId) return;
  try {
    await getExternalWorkflowHandle(welcomeId).signal(doubleOptInConfirmedSignal);
  } catch {
    // The welcome series ended (timed out) or never ran: nothing waits for this confirmation.
  }
}
