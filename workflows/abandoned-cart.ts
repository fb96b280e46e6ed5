// Abandoned cart: one workflow per cart (deterministic id), started or updated by signalWithStart on every
// cart change. A change restarts the wait; checkout switches to checkout reminders; an order ends it. Every
// wait ends early on the automation's stop condition, including a reminder deferred by quiet hours.
import { condition, continueAsNew, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AutomationResult, StepRecord } from '../contracts/automation-result';
import type { AbandonedCartDefinition, TimedSend } from './definitions';
import { msOf } from './duration';
import { StepRunner, type CommonInput } from './send-step';

/** Cart contents stay in the shop; the workflow only needs to know that the cart changed. */
export const cartUpdatedSignal = defineSignal<[{ itemCount: number }]>('cartUpdated');
export const checkoutStartedSignal = defineSignal('checkoutStarted');
export const orderPlacedSignal = defineSignal<[{ orderId: string }]>('orderPlaced');

export interface AbandonedCartInput extends CommonInput {
  cartId: string;
  definition: AbandonedCartDefinition;
  /** Carried across continue-as-new, with the steps already done so the result and query keep them. */
  state?: { phase: 'cart' | 'checkout'; nextReminder: number; itemCount: number; steps?: StepRecord[] };
  /** Roll over to a new run after this many cart changes (besides Temporal's own suggestion). */
  rolloverAfterChanges?: number;
}

export async function abandonedCartWorkflow(input: AbandonedCartInput): Promise<AutomationResult> {
  const runner = new StepRunner(input, { records: input.state?.steps ?? [] });
  let phase = input.state?.phase ?? 'cart';
  let next = input.state?.nextReminder ?? 0;
  let itemCount = input.state?.itemCount ?? 1;
  let changes = 0;
  let ordered = false;
  setHandler(cartUpdatedSignal, ({ itemCount: n }) => {
    itemCount = n;
    changes++;
  });
  setHandler(checkoutStartedSignal, () => {
    if (phase === 'cart') {
      phase = 'checkout';
      next = 0;
    }
    changes++;
  });
  setHandler(orderPlacedSignal, () => void (ordered = true));
  const end = (outcome: string): AutomationResult => {
    runner.details.done(`ended: ${outcome}`);
    return { outcome, steps: runner.records };
  };

  for (;;) {
    const reminders: TimedSend[] =
      phase === 'cart' ? input.definition.cartReminders : input.definition.checkoutReminders;
    if (ordered) return end('ordered');
    if (runner.halted) return end(`stopped-after-failure:${runner.halted}`);
    if (itemCount === 0) return end('cart-emptied');
    const reminder = reminders[next];
    if (!reminder) {
      // Nothing left to remind about in this phase: wait for a checkout or an order, then end.
      const seen = changes;
      const idle = msOf(input.definition.cartReminders[0]!.after) * 10;
      const summary = `no ${phase} reminder left: ends after ${runner.durationText(idle)} without an order or checkout${runner.paced(idle)}`;
      runner.details.set('cart', `waiting: ${summary}`);
      await condition(() => ordered || changes !== seen, idle, { summary });
      if (ordered || changes === seen) return end(ordered ? 'ordered' : 'reminders-done');
      continue;
    }
    const seen = changes;
    const due = `${phase}-reminder-${next + 1}-${reminder.channel} due after ${runner.durationText(msOf(reminder.after))} unless the cart changes or an order comes${runner.paced(msOf(reminder.after))}`;
    runner.details.set('cart', `waiting: ${due}`);
    const interrupted = await condition(() => ordered || changes !== seen, msOf(reminder.after), {
      summary: due,
    });
    runner.details.clear('cart');
    if (interrupted) {
      // A cart change restarts the wait for the same reminder; a long-lived cart rolls its history over.
      const rollover =
        workflowInfo().continueAsNewSuggested ||
        (input.rolloverAfterChanges !== undefined && changes >= input.rolloverAfterChanges);
      if (rollover && !ordered) {
        await continueAsNew<typeof abandonedCartWorkflow>({
          ...input,
          clockStart: runner.now().toISOString(),
          state: { phase, nextReminder: next, itemCount, steps: runner.records },
        });
      }
      continue;
    }
    const stepPhase = phase;
    const stepName = `${phase}-reminder-${next + 1}-${reminder.channel}`;
    next++;
    await runner.send(stepName, reminder, {
      vars: { cart_id: input.cartId, item_count: itemCount },
      stopWhen: () =>
        ordered
          ? 'The order was placed.'
          : itemCount === 0
            ? 'The cart was emptied.'
            : phase !== stepPhase
              ? 'Checkout started: checkout reminders take over.'
              : undefined,
    });
  }
}
