// The generic interpreter for custom-event automations. The definition travels in the input, so a running
// workflow keeps the version it started with even after the file changes.
import { condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';
import type { AppEvent, EventAutomationDefinition, EventStep } from './definitions';
import { matches } from './conditions';
import { msOf } from './duration';
import type { AutomationResult } from './order-confirmation';
import { StepRunner, type CommonInput } from './send-step';

export const appEventSignal = defineSignal<[AppEvent]>('appEvent');

export interface CustomEventInput extends CommonInput {
  definition: EventAutomationDefinition;
  trigger: AppEvent;
}

export async function customEventWorkflow(input: CustomEventInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  const inbox: AppEvent[] = [];
  setHandler(appEventSignal, (event) => void inbox.push(event));
  // Properties of the triggering event, plus those of every awaited event, under its name.
  const context: Record<string, unknown> = { ...input.trigger.properties, event: input.trigger.properties };
  const outcome = { value: 'completed' };

  async function run(steps: EventStep[], path: string): Promise<void> {
    for (const [i, step] of steps.entries()) {
      const here = `${path}${i + 1}`;
      if ('send' in step) {
        await runner.send(`${here}-send-${step.send.channel}`, step.send);
      } else if ('wait' in step) {
        const ms = msOf(step.wait);
        if (ms > 0) await sleep(ms);
      } else if ('waitForEvent' in step) {
        const { name, timeout, where, onTimeout } = step.waitForEvent;
        const found = (): AppEvent | undefined =>
          inbox.find((e) => e.id !== input.trigger.id && e.name === name && matches(e.properties, where));
        if (await condition(() => found() !== undefined, msOf(timeout))) {
          const event = found()!;
          inbox.splice(inbox.indexOf(event), 1);
          context[name] = event.properties;
        } else {
          outcome.value = `timed-out-waiting-for:${name}`;
          if (onTimeout) await run(onTimeout, `${here}.timeout.`);
          return;
        }
      } else {
        const taken = matches(context, step.branch.if);
        await run((taken ? step.branch.then : step.branch.else) ?? [], `${here}.${taken ? 'then' : 'else'}.`);
      }
    }
  }

  // The trigger's id scopes the step names, so the outbox dedupes a re-sent event (same id) but a new event
  // of the same kind for the same contact gets its own messages.
  await run(input.definition.steps, `${input.trigger.id}/step-`);
  return { outcome: outcome.value, steps: runner.records };
}
