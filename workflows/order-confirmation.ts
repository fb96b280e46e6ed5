// Order confirmation: confirm on placement, then confirm shipping and cancellation as they are signalled.
// Ends when the order is delivered or cancelled, or `closeAfter` after the order.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import type { OrderDefinition } from './definitions';
import { msOf } from './duration';
import { StepRunner, type CommonInput, type StepRecord } from './send-step';

export const orderShippedSignal = defineSignal<[{ shipmentId?: string }]>('orderShipped');
export const orderCancelledSignal = defineSignal<[{ reason?: string }]>('orderCancelled');
export const orderDeliveredSignal = defineSignal('orderDelivered');

export interface OrderConfirmationInput extends CommonInput {
  orderId: string;
  definition: OrderDefinition;
}

export interface AutomationResult {
  outcome: string;
  steps: StepRecord[];
}

export async function orderConfirmationWorkflow(input: OrderConfirmationInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  const vars = { order_id: input.orderId };
  const pending: ('shipped' | 'cancelled' | 'delivered')[] = [];
  let shipments = 0;
  setHandler(orderShippedSignal, () => void pending.push('shipped'));
  setHandler(orderCancelledSignal, () => void pending.push('cancelled'));
  setHandler(orderDeliveredSignal, () => void pending.push('delivered'));

  for (const [i, spec] of input.definition.confirmation.entries()) {
    await runner.send(`confirmation-${i + 1}-${spec.channel}`, spec, vars);
  }

  const deadline = Date.now() + msOf(input.definition.closeAfter);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || !(await condition(() => pending.length > 0, remaining))) {
      return { outcome: 'closed-after-timeout', steps: runner.records };
    }
    const event = pending.shift()!;
    if (event === 'delivered') return { outcome: 'delivered', steps: runner.records };
    if (event === 'shipped') {
      shipments++;
      for (const [i, spec] of input.definition.shipping.entries()) {
        await runner.send(`shipping-${shipments}-${i + 1}-${spec.channel}`, spec, vars);
      }
      continue;
    }
    for (const [i, spec] of input.definition.cancellation.entries()) {
      await runner.send(`cancellation-${i + 1}-${spec.channel}`, spec, vars);
    }
    return { outcome: 'cancelled', steps: runner.records };
  }
}
