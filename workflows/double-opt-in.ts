// Double opt-in: send the confirmation email the sign-up asked for (a consent message with a signed confirm
// link, rules/message-types.json `doi_confirmation`), then wait for the confirmation. The consent server
// signals `doubleOptInConfirmed` when the link is pressed; when the wait ends without a signal, the store is
// asked (a confirmation through the CLI, or a lost signal, counts too). Once confirmed, a welcome series
// waiting for this contact's confirmation is released. Contact ids only; the link and address stay in the
// activities.
import { condition, getExternalWorkflowHandle, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ConsentflowActivities } from '../activities';
import type { AutomationResult } from '../contracts/automation-result';
import { DOI_EXPIRES_VAR, DOI_MESSAGE_TYPE, DOI_STEP, DOI_TEMPLATE } from '../contracts/double-opt-in';
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

const { isDoubleOptInConfirmed } = proxyActivities<ConsentflowActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

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
  await condition(() => confirmed, timeout, { summary: `${wait}${runner.paced(timeout)}` });
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

/** Lets a welcome series that waits for this confirmation start; one that ended or never ran is left alone. */
async function release(welcomeId: string | undefined): Promise<void> {
  if (!welcomeId) return;
  try {
    await getExternalWorkflowHandle(welcomeId).signal(doubleOptInConfirmedSignal);
  } catch {
    // The welcome series ended (timed out) or never ran: nothing waits for this confirmation.
  }
}
