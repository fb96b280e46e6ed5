// The generic interpreter for custom-event automations. The definition travels in the input, so a running
// workflow keeps the version it started with even after the file changes.
//
// One rule for timeouts, wherever the wait is: a `waitForEvent` that times out runs its `onTimeout` steps and
// then the journey ends (outcome `timed-out-waiting-for:<name>`); steps after the wait, in its branch or
// above it, do not run.
import { condition, defineSignal, patched, setHandler, sleep } from '@temporalio/workflow';
import type { AutomationResult } from '../contracts/automation-result';
import type { AppEvent, EventAutomationDefinition, EventStep } from './definitions';
import { matches } from './conditions';
import { msOf } from './duration';
import { StepRunner, type CommonInput } from './send-step';

export const appEventSignal = defineSignal<[AppEvent]>('appEvent');

export interface CustomEventInput extends CommonInput {
  definition: EventAutomationDefinition;
  trigger: AppEvent;
}

/** Runs before this patch ended only the innermost steps on a nested timeout. */
export const TIMEOUT_ENDS_JOURNEY = 'timeout-ends-journey';

/**
 * Runs before this patch named their steps `<trigger id>/step-1-send-email`; now `step-1-send-email`. The
 * message key keeps the trigger id in its scope either way; a running journey keeps the names (and so the
 * message keys) it started with.
 */
export const READABLE_STEP_NAMES = 'readable-step-names';

export async function customEventWorkflow(input: CustomEventInput): Promise<AutomationResult> {
  // The trigger's id scopes the message keys: the same event sent again (a retried call, a replayed
  // webhook) reaches the same keys, even in a new run, and is recorded as a duplicate instead of sent twice.
  const runner = new StepRunner(input, { scope: `event:${input.trigger.id}` });
  const inbox: AppEvent[] = [];
  const seen = new Set<string>([input.trigger.id]);
  setHandler(appEventSignal, (event) => {
    if (seen.has(event.id)) return; // a retried signal: one event, processed once
    seen.add(event.id);
    inbox.push(event);
  });
  // Properties of the triggering event, plus those of every awaited event, under its name.
  const context: Record<string, unknown> = { ...input.trigger.properties, event: input.trigger.properties };
  const outcome = { value: 'completed' };
  const timeoutEndsJourney = patched(TIMEOUT_ENDS_JOURNEY);
  let ended = false;

  async function run(steps: EventStep[], path: string): Promise<void> {
    for (const [i, step] of steps.entries()) {
      if (ended) return;
      if (runner.halted) {
        outcome.value = `stopped-after-failure:${runner.halted}`;
        return;
      }
      const here = `${path}${i + 1}`;
      if ('send' in step) {
        await runner.send(`${here}-send-${step.send.channel}`, step.send);
      } else if ('wait' in step) {
        const ms = msOf(step.wait);
        const summary = `${here} waits ${runner.durationText(ms)}${runner.paced(ms)}`;
        runner.details.set(here, `waiting: ${summary}`);
        if (ms > 0) await sleep(ms, { summary });
        runner.details.clear(here);
      } else if ('waitForEvent' in step) {
        const { name, timeout, where, onTimeout } = step.waitForEvent;
        const found = (): AppEvent | undefined =>
          inbox.find((e) => e.name === name && matches(e.properties, where));
        const summary = `${here} waits for event ${name}, at most ${runner.durationText(msOf(timeout))}${runner.paced(msOf(timeout))}`;
        runner.details.set(here, `waiting: ${summary}`);
        const arrived = await condition(() => found() !== undefined, msOf(timeout), { summary });
        runner.details.clear(here);
        if (arrived) {
          const event = found()!;
          inbox.splice(inbox.indexOf(event), 1);
          context[name] = event.properties;
        } else {
          outcome.value = `timed-out-waiting-for:${name}`;
          if (onTimeout) await run(onTimeout, `${here}.timeout.`);
          if (timeoutEndsJourney) ended = true;
          return;
        }
      } else {
        const taken = matches(context, step.branch.if);
        await run((taken ? step.branch.then : step.branch.else) ?? [], `${here}.${taken ? 'then' : 'else'}.`);
      }
    }
  }

  await run(input.definition.steps, patched(READABLE_STEP_NAMES) ? 'step-' : `${input.trigger.id}/step-`);
  runner.details.done(`ended: ${outcome.value}`);
  return { outcome: outcome.value, steps: runner.records };
}
