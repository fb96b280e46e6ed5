// Order confirmation: confirm on placement, then confirm shipping and cancellation as they are signalled.
// Ends when the order is delivered or cancelled, or `closeAfter` after the order.
import { condition, defineSignal, patched, setHandler } from '@temporalio/workflow';
import type { OrderDefinition, SendSpec } from './definitions';
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

/**
 * The email and the SMS of one confirmation are independent messages: they are decided and delivered at the
 * same time (one workflow task schedules both deliveries). Runs started before this patch send them one after
 * the other when replayed, as they did.
 */
export const CONCURRENT_CONFIRMATIONS = 'concurrent-confirmations';

export async function orderConfirmationWorkflow(input: OrderConfirmationInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  const vars = { order_id: input.orderId };
  const sendAll = async (specs: SendSpec[], name: (i: number, spec: SendSpec) => string) => {
    if (patched(CONCURRENT_CONFIRMATIONS)) {
      await Promise.all(specs.map((spec, i) => runner.send(name(i, spec), spec, vars)));
    } else {
      for (const [i, spec] of specs.entries()) await runner.send(name(i, spec), spec, vars);
    }
  };
  const pending: ('shipped' | 'cancelled' | 'delivered')[] = [];
  let shipments = 0;
  setHandler(orderShippedSignal, () => void pending.push('shipped'));
  setHandler(orderCancelledSignal, () => void pending.push('cancelled'));
  setHandler(orderDeliveredSignal, () => void pending.push('delivered'));

  await sendAll(input.definition.confirmation, (i, spec) => `confirmation-${i + 1}-${spec.channel}`);

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
      const n = shipments;
      await sendAll(input.definition.shipping, (i, spec) => `shipping-${n}-${i + 1}-${spec.channel}`);
      continue;
    }
    await sendAll(input.definition.cancellation, (i, spec) => `cancellation-${i + 1}-${spec.channel}`);
    return { outcome: 'cancelled', steps: runner.records };
  }
}
