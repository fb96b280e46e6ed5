// The static summary and details every automation run starts with: what the Web UI shows in the run list and
// the User Metadata tab. Automation, version, contact id and what the run will do, from the definition's own
// words: ids only, never an address (the details land in the workflow's history).
import type { AutomationDefinition, EventStep, SendSpec } from '../workflows/definitions';

export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
}

/** `subject`: the business id the run is about (`order O-1`, `cart C-7`, `event trial_started`). */
export function startMetadata(
  definition: AutomationDefinition,
  contactId: string,
  subject?: string,
): StartMetadata {
  const what = subject ? ` · ${subject}` : '';
  return {
    staticSummary: `${definition.id} v${definition.version} · contact ${contactId}${what}`,
    staticDetails: [
      `**${definition.id}** version ${definition.version} (${definition.kind.replace('_', ' ')}) for contact \`${contactId}\`${what}.`,
      '',
      definition.description ?? '',
      '',
      'Steps:',
      '',
      ...plan(definition).map((line) => `- ${line}`),
      '',
      'Every message asks the consent rules first; the `steps` query and the memo `steps` say what each got.',
    ].join('\n'),
  };
}

const send = (s: SendSpec): string => `${s.type} by ${s.channel} (template ${s.template})`;

function plan(d: AutomationDefinition): string[] {
  switch (d.kind) {
    case 'welcome':
      return d.steps.map((s, i) => `welcome-${i + 1}-${s.channel}: after ${s.after}, ${send(s)}`);
    case 'abandoned_cart':
      return [
        ...d.cartReminders.map((s, i) => `cart-reminder-${i + 1}-${s.channel}: after ${s.after}, ${send(s)}`),
        ...d.checkoutReminders.map(
          (s, i) => `checkout-reminder-${i + 1}-${s.channel}: after ${s.after}, ${send(s)}`,
        ),
        'a cart change restarts the wait; an order ends the run',
      ];
    case 'order':
      return [
        ...d.confirmation.map((s, i) => `confirmation-${i + 1}-${s.channel}: ${send(s)}`),
        ...d.shipping.map(
          (s, i) => `shipping-{shipment}-${i + 1}-${s.channel}: on each shipment, ${send(s)}`,
        ),
        ...d.cancellation.map((s, i) => `cancellation-${i + 1}-${s.channel}: on cancellation, ${send(s)}`),
        `closes ${d.closeAfter} after the order unless delivered or cancelled first`,
      ];
    case 'custom_event':
      return eventPlan(d.steps, 'step-');
  }
}

function eventPlan(steps: EventStep[], path: string): string[] {
  return steps.flatMap((step, i) => {
    const here = `${path}${i + 1}`;
    if ('send' in step) return [`${here}-send-${step.send.channel}: ${send(step.send)}`];
    if ('wait' in step) return [`${here}: wait ${step.wait}`];
    if ('waitForEvent' in step) {
      const w = step.waitForEvent;
      return [
        `${here}: wait for ${w.name}, at most ${w.timeout}`,
        ...eventPlan(w.onTimeout ?? [], `${here}.timeout.`),
      ];
    }
    return [
      `${here}: branch on ${step.branch.if.map((c) => c.property).join(', ')}`,
      ...eventPlan(step.branch.then, `${here}.then.`),
      ...eventPlan(step.branch.else ?? [], `${here}.else.`),
    ];
  });
}
