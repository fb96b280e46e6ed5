// Order confirmation: confirm on placement, then confirm each shipment (once per shipment id) and the
// cancellation as they are signalled. Ends when the order is delivered or cancelled, or `closeAfter` after it.
import { condition, defineSignal, patched, setHandler } from '@temporalio/workflow';
import type { AutomationResult } from '../contracts/automation-result';
import type { OrderDefinition, SendSpec } from './definitions';
import { msOf } from './duration';
import { StepRunner, type CommonInput, type SendOptions } from './send-step';

export type { AutomationResult } from '../contracts/automation-result';

export const orderShippedSignal = defineSignal<[{ shipmentId?: string }]>('orderShipped');
export const orderCancelledSignal = defineSignal<[{ reason?: string }]>('orderCancelled');
export const orderDeliveredSignal = defineSignal('orderDelivered');

export interface OrderConfirmationInput extends CommonInput {
  orderId: string;
  definition: OrderDefinition;
}

/**
 * The email and the SMS of one confirmation are independent messages: they are decided and delivered at the
 * same time (one workflow task schedules both deliveries). Runs started before this patch send them one after
 * the other when replayed, as they did.
 */
export const CONCURRENT_CONFIRMATIONS = 'concurrent-confirmations';

type OrderEvent = { kind: 'shipped'; shipmentId?: string } | { kind: 'cancelled' } | { kind: 'delivered' };

export async function orderConfirmationWorkflow(input: OrderConfirmationInput): Promise<AutomationResult> {
  const runner = new StepRunner(input);
  const vars = { order_id: input.orderId };
  const sendAll = async (
    specs: SendSpec[],
    name: (i: number, spec: SendSpec) => string,
    opts: SendOptions = {},
  ) => {
    if (patched(CONCURRENT_CONFIRMATIONS)) {
      await Promise.all(specs.map((spec, i) => runner.send(name(i, spec), spec, { vars, ...opts })));
    } else {
      for (const [i, spec] of specs.entries()) await runner.send(name(i, spec), spec, { vars, ...opts });
    }
  };
  const pending: OrderEvent[] = [];
  // A retried client call signals the same shipment twice: one confirmation per shipment id.
  const shipmentsSeen = new Set<string>();
  let cancelled = false;
  let shipments = 0;
  setHandler(orderShippedSignal, ({ shipmentId } = {}) => {
    if (shipmentId !== undefined) {
      if (shipmentsSeen.has(shipmentId)) return;
      shipmentsSeen.add(shipmentId);
    }
    pending.push({ kind: 'shipped', ...(shipmentId !== undefined ? { shipmentId } : {}) });
  });
  setHandler(orderCancelledSignal, () => {
    if (!cancelled) pending.push({ kind: 'cancelled' });
    cancelled = true;
  });
  setHandler(orderDeliveredSignal, () => void pending.push({ kind: 'delivered' }));

  const halted = () => ({ outcome: `stopped-after-failure:${runner.halted}`, steps: runner.records });
  await sendAll(input.definition.confirmation, (i, spec) => `confirmation-${i + 1}-${spec.channel}`);
  if (runner.halted) return halted();

  const closeAfter = msOf(input.definition.closeAfter);
  const deadline = Date.now() + closeAfter;
  const closes = `order ${input.orderId} closes ${runner.durationText(closeAfter)} after placement`;
  const timer = { summary: `${closes}${runner.paced(closeAfter)}` };
  const waiting = `waiting for a shipment, the delivery or a cancellation; ${closes}`;
  for (;;) {
    const remaining = deadline - Date.now();
    runner.details.set('order', waiting);
    if (remaining <= 0 || !(await condition(() => pending.length > 0, remaining, timer))) {
      runner.details.done(`ended: closed ${runner.durationText(closeAfter)} after placement`);
      return { outcome: 'closed-after-timeout', steps: runner.records };
    }
    runner.details.clear('order');
    const event = pending.shift()!;
    if (event.kind === 'delivered') {
      runner.details.done(`ended: order ${input.orderId} was delivered`);
      return { outcome: 'delivered', steps: runner.records };
    }
    if (event.kind === 'shipped') {
      shipments++;
      const id = event.shipmentId ?? String(shipments);
      await sendAll(input.definition.shipping, (i, spec) => `shipping-${id}-${i + 1}-${spec.channel}`);
      if (runner.halted) return halted();
      continue;
    }
    await sendAll(input.definition.cancellation, (i, spec) => `cancellation-${i + 1}-${spec.channel}`);
    runner.details.done(`ended: order ${input.orderId} was cancelled`);
    return { outcome: 'cancelled', steps: runner.records };
  }
}
