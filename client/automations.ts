// The typed API apps call to start and steer automations. Every function takes ids, never personal data, is
// safe to retry (a retried call after a lost answer neither fails nor acts twice), and returns the id of the
// workflow it started or signalled. Id reuse and conflict policies: client/id-policies.ts.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
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
import type { AppEvent, AutomationDefinition, EventAutomationDefinition } from '../workflows/definitions';
import {
  orderCancelledSignal,
  orderConfirmationWorkflow,
  orderDeliveredSignal,
  orderShippedSignal,
} from '../workflows/order-confirmation';
import { doubleOptInConfirmedSignal, welcomeWorkflow } from '../workflows/welcome';
import { startDoubleOptInRun } from './double-opt-in-start';
import { AUTOMATION, CONTACT_ID, LAST_VERDICT } from '../contracts/search-attributes';
import { checkBusinessId, checkContactId, checkEventProperties } from './automation-input';
import { loadAutomations, scaleDurations, type AutomationCatalog } from './definitions';
import { waitsFor } from './event-match';
import { ID_POLICIES, workflowIds, type IdPolicy } from './id-policies';
import { startMetadata } from './start-metadata';

export { workflowIds } from './id-policies';
export { AutomationInputError } from './automation-input';

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

/** A start that finds the run already there (running, or closed under REJECT_DUPLICATE) is not an error. */
async function idempotent(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** A signal to a run that is gone (ended, or never started) is dropped: there is nothing left to steer. */
async function signalIfRunning(send: () => Promise<void>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export function createAutomationClient(opts: AutomationClientOptions) {
  const { client, taskQueue } = opts;
  const catalog = opts.catalog ?? loadAutomations();
  const scale = <T>(d: T): T => scaleDurations(d, opts.timeScale ?? 1);
  const clock = (): { clockStart?: string; timeScale?: number } => {
    const at = opts.clockStart?.();
    const pace = opts.timeScale !== undefined && opts.timeScale !== 1 ? { timeScale: opts.timeScale } : {};
    return at ? { clockStart: at, ...pace } : pace;
  };
  const startOptions = (
    workflowId: string,
    contactId: string,
    definition: AutomationDefinition,
    policy: IdPolicy,
    subject?: string,
  ) => ({
    ...startMetadata(definition, contactId, subject),
    taskQueue,
    workflowId,
    workflowIdConflictPolicy: policy.conflict,
    workflowIdReusePolicy: policy.reuse,
    typedSearchAttributes: [
      { key: CONTACT_ID, value: contactId },
      { key: AUTOMATION, value: definition.id },
      { key: LAST_VERDICT, value: 'none' },
    ] as SearchAttributePair[],
    memo: { automation: definition.id, version: definition.version, kind: definition.kind },
  });

  const startDoubleOptIn = (
    contactId: string,
    confirmationTimeout: string | number,
    resource: string | undefined,
    releases?: string,
  ) =>
    startDoubleOptInRun(client, taskQueue, {
      contactId,
      confirmationTimeout,
      ...(resource ? { resource } : {}),
      ...(releases ? { releases } : {}),
      ...clock(),
    });

  return {
    /**
     * A contact signed up: start the welcome series (waiting for the confirmation under double opt-in). With
     * `confirmationEmail` as well, the double opt-in workflow sends the confirmation email with its signed
     * confirm link (docs/consent-http.md) and releases the series once confirmed; without it the app sends
     * its own confirmation and calls signUpConfirmed.
     */
    async signUp(
      contactId: string,
      options: { doubleOptIn?: boolean; confirmationEmail?: boolean; resource?: string } = {},
    ): Promise<string> {
      checkContactId(contactId);
      if (options.resource !== undefined) checkBusinessId('resource', options.resource);
      const id = workflowIds.welcome(contactId);
      const definition = scale(catalog.welcome);
      await idempotent(() =>
        client.workflow.start(welcomeWorkflow, {
          ...startOptions(id, contactId, catalog.welcome, ID_POLICIES.welcome),
          args: [{ contactId, definition, awaitConfirmation: options.doubleOptIn ?? false, ...clock() }],
        }),
      );
      if (options.doubleOptIn && options.confirmationEmail)
        await startDoubleOptIn(contactId, definition.confirmationTimeout, options.resource, id);
      return id;
    },

    /**
     * Only the double opt-in: send the confirmation email and wait for the confirmation (no welcome series).
     * Returns the id of the double opt-in workflow.
     */
    async requestConfirmation(contactId: string, options: { resource?: string } = {}): Promise<string> {
      checkContactId(contactId);
      if (options.resource !== undefined) checkBusinessId('resource', options.resource);
      return startDoubleOptIn(contactId, scale(catalog.welcome).confirmationTimeout, options.resource);
    },

    /**
     * The consent server saw a confirm link pressed (the store is already confirmed): end the double opt-in
     * workflow's wait, which releases the welcome series. Nothing waits: nothing to do.
     */
    async doubleOptInConfirmed(contactId: string): Promise<string> {
      checkContactId(contactId);
      const id = workflowIds.doubleOptIn(contactId);
      await signalIfRunning(() => client.workflow.getHandle(id).signal(doubleOptInConfirmedSignal));
      return id;
    },

    /** The double opt-in was confirmed: release the waiting series, or start one if none ever ran. */
    async signUpConfirmed(contactId: string): Promise<string> {
      checkContactId(contactId);
      const id = workflowIds.welcome(contactId);
      await idempotent(() =>
        client.workflow.signalWithStart(welcomeWorkflow, {
          ...startOptions(id, contactId, catalog.welcome, ID_POLICIES.welcome),
          args: [{ contactId, definition: scale(catalog.welcome), awaitConfirmation: false, ...clock() }],
          signal: doubleOptInConfirmedSignal,
          signalArgs: [],
        }),
      );
      const doi = client.workflow.getHandle(workflowIds.doubleOptIn(contactId));
      await signalIfRunning(() => doi.signal(doubleOptInConfirmedSignal));
      return id;
    },

    /** Any change of a cart (items added or removed): starts the automation or restarts its wait. */
    async cartUpdated(cartId: string, contactId: string, change: { itemCount: number }): Promise<string> {
      checkBusinessId('cartId', cartId);
      checkContactId(contactId);
      const id = workflowIds.cart(cartId);
      await client.workflow.signalWithStart(abandonedCartWorkflow, {
        ...startOptions(id, contactId, catalog.abandonedCart, ID_POLICIES.cart, `cart ${cartId}`),
        args: [{ cartId, contactId, definition: scale(catalog.abandonedCart), ...clock() }],
        signal: cartUpdatedSignal,
        signalArgs: [change],
      });
      return id;
    },

    async checkoutStarted(cartId: string, contactId: string): Promise<string> {
      checkBusinessId('cartId', cartId);
      checkContactId(contactId);
      const id = workflowIds.cart(cartId);
      await client.workflow.signalWithStart(abandonedCartWorkflow, {
        ...startOptions(id, contactId, catalog.abandonedCart, ID_POLICIES.cart, `cart ${cartId}`),
        args: [{ cartId, contactId, definition: scale(catalog.abandonedCart), ...clock() }],
        signal: checkoutStartedSignal,
        signalArgs: [],
      });
      return id;
    },

    /**
     * An order was placed: confirm it (once per order id, however often this is called), and end the cart's
     * reminders if the order came from a cart. A retry after a lost answer still reaches the cart.
     */
    async orderPlaced(
      orderId: string,
      contactId: string,
      options: { cartId?: string } = {},
    ): Promise<string> {
      checkBusinessId('orderId', orderId);
      checkContactId(contactId);
      if (options.cartId !== undefined) checkBusinessId('cartId', options.cartId);
      const id = workflowIds.order(orderId);
      await idempotent(() =>
        client.workflow.start(orderConfirmationWorkflow, {
          ...startOptions(id, contactId, catalog.order, ID_POLICIES.order, `order ${orderId}`),
          args: [{ orderId, contactId, definition: scale(catalog.order), ...clock() }],
        }),
      );
      if (options.cartId) {
        const cart = client.workflow.getHandle(workflowIds.cart(options.cartId));
        await signalIfRunning(() => cart.signal(orderPlacedSignal, { orderId }));
      }
      return id;
    },

    /** A shipment left: one shipping confirmation per shipment id (pass it: a retry is then harmless). */
    async orderShipped(orderId: string, shipmentId?: string): Promise<string> {
      checkBusinessId('orderId', orderId);
      if (shipmentId !== undefined) checkBusinessId('shipmentId', shipmentId);
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderShippedSignal, shipmentId ? { shipmentId } : {});
      return id;
    },

    async orderCancelled(orderId: string, reason?: string): Promise<string> {
      checkBusinessId('orderId', orderId);
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderCancelledSignal, reason ? { reason } : {});
      return id;
    },

    async orderDelivered(orderId: string): Promise<string> {
      checkBusinessId('orderId', orderId);
      const id = workflowIds.order(orderId);
      await client.workflow.getHandle(id).signal(orderDeliveredSignal);
      return id;
    },

    /**
     * An app event for a contact: starts every custom-event automation it triggers, and is delivered to running
     * ones that wait for it. Pass the app's own event id: the same id sent twice is processed once. Returns the
     * ids of the workflows it reached.
     */
    async sendEvent(event: {
      contactId: string;
      name: string;
      properties?: Record<string, unknown>;
      id?: string;
      occurredAt?: string;
    }): Promise<string[]> {
      checkContactId(event.contactId);
      if (event.id !== undefined) checkBusinessId('event id', event.id);
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
        const triggers = definition.trigger.event === full.name;
        if (!triggers && !waitsFor(definition.steps, full.name)) continue;
        // Checked per definition: a property it declares personal is dropped before Temporal sees it.
        const safe = { ...full, properties: checkEventProperties(full.properties, definition) };
        if (triggers && matches(safe.properties, definition.trigger.where)) {
          await client.workflow.signalWithStart(customEventWorkflow, {
            ...startOptions(
              id,
              full.contactId,
              definition,
              ID_POLICIES.event,
              `event ${full.name} ${full.id}`,
            ),
            args: [
              {
                contactId: full.contactId,
                definition: scale<EventAutomationDefinition>(definition),
                trigger: safe,
                ...clock(),
              },
            ],
            signal: appEventSignal,
            signalArgs: [safe],
          });
          reached.push(id);
        } else if (waitsFor(definition.steps, full.name)) {
          if (await signalIfRunning(() => client.workflow.getHandle(id).signal(appEventSignal, safe)))
            reached.push(id);
        }
      }
      return reached;
    },
  };
}

export type AutomationClient = ReturnType<typeof createAutomationClient>;
