// Welcome series: a declarative list of timed sends. With double opt-in it first waits for the confirmation;
// each step asks the rules again, so an unsubscribe between steps stops the rest.
import { condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';
import type { WelcomeDefinition } from './definitions';
import { msOf } from './duration';
import type { AutomationResult } from '../contracts/automation-result';
import { StepRunner, type CommonInput } from './send-step';

export const doubleOptInConfirmedSignal = defineSignal('doubleOptInConfirmed');

export interface WelcomeInput extends CommonInput {
  definition: WelcomeDefinition;
  /** True when the contact signed up through a double opt-in form and has not confirmed yet. */
  awaitConfirmation: boolean;
}

export async function welcomeWorkflow(input: WelcomeInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  let confirmed = !input.awaitConfirmation;
  setHandler(doubleOptInConfirmedSignal, () => void (confirmed = true));
  if (!(await condition(() => confirmed, msOf(input.definition.confirmationTimeout)))) {
    return { outcome: 'not-confirmed', steps: runner.records };
  }
  for (const [i, step] of input.definition.steps.entries()) {
    const wait = msOf(step.after);
    if (wait > 0) await sleep(wait);
    await runner.send(`welcome-${i + 1}-${step.channel}`, step);
    if (runner.halted) return { outcome: `stopped-after-failure:${runner.halted}`, steps: runner.records };
  }
  return { outcome: 'completed', steps: runner.records };
}
