// Workflow ids and what happens when an id is used again: one decision per automation, written down here and
// in docs/automations.md. Message keys are scoped to the run chain (or the event id), so a new run never finds
// an old run's messages; these policies decide whether a new run may start at all.
import type { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';

export interface IdPolicy {
  /** When a run with this id is still running. */
  conflict: WorkflowIdConflictPolicy;
  /** When a run with this id has closed. */
  reuse: WorkflowIdReusePolicy;
  why: string;
}

export const ID_POLICIES = {
  welcome: {
    conflict: 'USE_EXISTING',
    reuse: 'REJECT_DUPLICATE',
    why: 'One welcome series per contact: signing up again (a retried call, a second form) does not restart it.',
  },
  cart: {
    conflict: 'USE_EXISTING',
    reuse: 'ALLOW_DUPLICATE',
    why: 'A cart that changes after its automation ended (reminders done, emptied) is abandoned anew: a new run with its own message keys.',
  },
  order: {
    conflict: 'USE_EXISTING',
    reuse: 'REJECT_DUPLICATE',
    why: 'One confirmation run per order id, ever: a retried orderPlaced neither fails nor confirms twice.',
  },
  event: {
    conflict: 'USE_EXISTING',
    reuse: 'ALLOW_DUPLICATE',
    why: 'A new trigger event after the journey ended starts a new journey; the same event id again is recognised by its message keys and recorded as a duplicate.',
  },
  doubleOptIn: {
    conflict: 'USE_EXISTING',
    reuse: 'ALLOW_DUPLICATE',
    why: 'One confirmation email per pending sign-up: a retried call while it waits sends nothing more; a sign-up after the last one ended (confirmed or timed out) sends a new confirmation.',
  },
} satisfies Record<string, IdPolicy>;

export const workflowIds = {
  welcome: (contactId: string) => `welcome-${contactId}`,
  cart: (cartId: string) => `cart-${cartId}`,
  order: (orderId: string) => `order-${orderId}`,
  event: (definitionId: string, contactId: string) => `event-${definitionId}-${contactId}`,
  doubleOptIn: (contactId: string) => `doi-${contactId}`,
};
