// The typed API apps call to start and steer automations. Every function takes ids, never personal data, and
// returns the id of the workflow it started or signalled.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import {
  abandonedCartWorkflow,
  cartUpdatedSignal,
  checkoutStartedSignal,
  orderPlacedSignal,
} from '../workflows/abandoned-cart';
import { appEventSignal, customEventWorkflow } from '../workflows/custom-event';
import { matches } from '../workflows/conditions';
import type {
  AppEvent,
  AutomationDefinition,
  EventAutomationDefinition,
  EventStep,
} from '../workflows/definitions';
import {
  orderCancelledSignal,
  orderConfirmationWorkflow,
  orderDeliveredSignal,
  orderShippedSignal,
} from '../workflows/order-confirmation';
import { doubleOptInConfirmedSignal, welcomeWorkflow } from '../workflows/welcome';
import { loadAutomations, scaleDurations, type AutomationCatalog } from './definitions';
import { AUTOMATION, CONTACT_ID, LAST_VERDICT } from './search-attributes';

export interface AutomationClientOptions {
  client: Client;
  taskQueue: string;
  /** Defaults to the definitions in automations/. */
  catalog?: AutomationCatalog;
  /** Multiplies every duration of every definition (the demo runs days in seconds). Default 1. */
  timeScale?: number;
  /** Virtual start instant for decisions (see CommonInput.clockStart). */
  clockStart?: () => string | undefined;
}

export const workflowIds = {
  welcome: (contactId: string) => `welcome-${contactId}`,
  cart: (cartId: string) => `cart-${cartId}`,
  order: (orderId: string) => `order-${orderId}`,
  event: (definitionId: string, contactId: string) => `event-${definitionId}-${contactId}`,
};

function waitsFor(steps: EventStep[], name: string): boolean {
  return steps.some((s) => {
    if ('waitForEvent' in s)
      return s.waitForEvent.name === name || waitsFor(s.waitForEvent.onTimeout ?? [], name);
    if ('branch' in s) return waitsFor(s.branch.then, name) || waitsFor(s.branch.else ?? [], name);
    return false;
  });
}

export function createAutomationClient(opts: AutomationClientOptions) {
  const { client, taskQueue } = opts;
  const catalog = opts.catalog ?? loadAutomations();
  const scale = <T>(d: T): T => scaleDurations(d, opts.timeScale ?? 1);
  const clock = (): { clockStart?: string } => {
    const at = opts.clockStart?.();
    return at ? { clockStart: at } : {};
  };
  const startOptions = (workflowId: string, contactId: string, definition: AutomationDefinition) => ({
    taskQueue,
    workflowId,
    typedSearchAttributes: [
      { key: CONTACT_ID, value: contactId },
      { key: AUTOMATION, value: definition.id },
      { key: LAST_VERDICT, value: 'none' },
    ] as SearchAttributePair[],
    memo: { automation: definition.id, version: definition.version, kind: definition.kind },
  });

  return {
    /** A contact signed up: start the welcome series (waiting for the confirmation under double opt-in). */
    async signUp(contactId: string, options: { doubleOptIn?: boolean } = {}): Promise<string> {
      const id = workflowIds.welcome(contactId);
      const definition = scale(catalog.welcome);
      await client.workflow.start(welcomeWorkflow, {
        ...startOptions(id, contactId, catalog.welcome),
        args: [{ contactId, definition, awaitConfirmation: options.doubleOptIn ?? false, ...clock() }],
      });
      return id;
    },

    /** The double opt-in was confirmed: release the waiting series, or start one if none is running. */
    async signUpConfirmed(contactId: string): Promise<string> {
      const id = workflowIds.welcome(contactId);
      await client.workflow.signalWithStart(welcomeWorkflow, {
        ...startOptions(id, contactId, catalog.welcome),
        args: [{ contactId, definition: scale(catalog.welcome), awaitConfirmation: false, ...clock() }],
        signal: doubleOptInConfirmedSignal,
        signalArgs: [],
      });
      return id;
    },

    /** Any change of a cart (items added or removed): starts the automation or restarts its wait. */
    async cartUpdated(cartId: string, contactId: string, change: { itemCount: number }): Promise<string> {
      const id = workflowIds.cart(cartId);
      await client.workflow.signalWithStart(abandonedCartWorkflow, {
        ...startOptions(id, contactId, catalog.abandonedCart),
        args: [{ cartId, contactId, definition: scale(catalog.abandonedCart), ...clock() }],
        signal: cartUpdatedSignal,
        signalArgs: [change],
      });
      return id;
    },

    async checkoutStarted(cartId: string, contactId: string): Promise<string> {
      const id = workflowIds.cart(cartId);
      await client.workflow.signalWithStart(abandonedCartWorkflow, {
        ...startOptions(id, contactId, catalog.abandonedCart),
        args: [{ cartId, contactId, definition: scale(catalog.abandonedCart), ...clock() }],
        signal: checkoutStartedSignal,
        signalArgs: [],
      });
      return id;
    },

    /** An order was placed: confirm it, and end the cart's reminders if the order came from a cart. */
    async orderPlaced(
      orderId: string,
      contactId: string,
      options: { cartId?: string } = {},
    ): Promise<string> {
      const id = workflowIds.order(orderId);
      await client.workflow.start(orderConfirmationWorkflow, {
        ...startOptions(id, contactId, catalog.order),
        args: [{ orderId, contactId, definition: scale(catalog.order), ...clock() }],
      });
      if (options.cartId) {
        try {
          await client.workflow
            .getHandle(workflowIds.cart(options.cartId))
            .signal(orderPlacedSignal, { orderId });
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return id;
    },

    async orderShipped(orderId: string, shipmentId?: string): Promise<string> {
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderShippedSignal, shipmentId ? { shipmentId } : {});
      return id;
    },

    async orderCancelled(orderId: string, reason?: string): Promise<string> {
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderCancelledSignal, reason ? { reason } : {});
      return id;
    },

    async orderDelivered(orderId: string): Promise<string> {
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderDeliveredSignal);
      return id;
    },

    /**
     * An app event for a contact: starts every custom-event automation it triggers, and is delivered to running
     * ones that wait for it. Returns the ids of the workflows it reached.
     */
    async sendEvent(event: {
      contactId: string;
      name: string;
      properties?: Record<string, unknown>;
      id?: string;
      occurredAt?: string;
    }): Promise<string[]> {
      const full: AppEvent = {
        id: event.id ?? randomUUID(),
        name: event.name,
        contactId: event.contactId,
        properties: event.properties ?? {},
        occurredAt: event.occurredAt ?? new Date().toISOString(),
      };
      const reached: string[] = [];
      for (const definition of catalog.events) {
        const id = workflowIds.event(definition.id, full.contactId);
        if (definition.trigger.event === full.name && matches(full.properties, definition.trigger.where)) {
          await client.workflow.signalWithStart(customEventWorkflow, {
            ...startOptions(id, full.contactId, definition),
            args: [
              {
                contactId: full.contactId,
                definition: scale<EventAutomationDefinition>(definition),
                trigger: full,
                ...clock(),
              },
            ],
            signal: appEventSignal,
            signalArgs: [full],
          });
          reached.push(id);
        } else if (waitsFor(definition.steps, full.name)) {
          try {
            await client.workflow.getHandle(id).signal(appEventSignal, full);
            reached.push(id);
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
        }
      }
      return reached;
    },
  };
}

export type AutomationClient = ReturnType<typeof createAutomationClient>;
