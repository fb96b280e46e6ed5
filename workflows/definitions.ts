// Declarative automation definitions (the JSON files in automations/). TypeBox is the single source of both the
// TypeScript types the workflows use and the JSON Schema the client validates files against. Pure data: safe to
// import from workflow code.
import { Type, type Static } from '@sinclair/typebox';
import { Channel, MessageType } from '../rules/model';

/** A duration as Temporal accepts it: `90s`, `15 minutes`, `2 days`, or milliseconds. */
export const Duration = Type.Union([
  Type.String({
    pattern: '^\\d+(\\.\\d+)?\\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$',
  }),
  Type.Integer({ minimum: 0 }),
]);
export type Duration = Static<typeof Duration>;

export const SendSpec = Type.Object(
  {
    channel: Channel,
    type: MessageType,
    template: Type.String({ minLength: 1, description: 'Template id in templates/.' }),
    resource: Type.Optional(Type.String({ minLength: 1 })),
    category: Type.Optional(Type.String({ minLength: 1 })),
    deadline: Type.Optional(
      Type.Union([Duration], {
        description:
          'How long the message stays worth sending (defer waits excluded); then the step is recorded expired. Default: 24 hours for transactional types, 2 hours for marketing.',
      }),
    ),
    onFailure: Type.Optional(
      Type.Union([Type.Literal('continue'), Type.Literal('stop')], {
        description:
          'What the automation does when this message fails (refused address, template error): go on with the next step (default) or stop.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SendSpec = Static<typeof SendSpec>;

export const TimedSend = Type.Composite([SendSpec, Type.Object({ after: Duration })], {
  additionalProperties: false,
});
export type TimedSend = Static<typeof TimedSend>;

const Versioned = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
  version: Type.Integer({ minimum: 1 }),
  description: Type.Optional(Type.String()),
  $schema: Type.Optional(Type.String()),
};

export const WelcomeDefinition = Type.Object(
  {
    ...Versioned,
    kind: Type.Literal('welcome'),
    /** With double opt-in the series waits for the confirmation, at most this long. */
    confirmationTimeout: Duration,
    steps: Type.Array(TimedSend, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type WelcomeDefinition = Static<typeof WelcomeDefinition>;

export const AbandonedCartDefinition = Type.Object(
  {
    ...Versioned,
    kind: Type.Literal('abandoned_cart'),
    /** Reminders while the contact only has a cart (type abandoned_cart). */
    cartReminders: Type.Array(TimedSend, { minItems: 1 }),
    /** Reminders once checkout has started but no order came (type abandoned_checkout). */
    checkoutReminders: Type.Array(TimedSend),
  },
  { additionalProperties: false },
);
export type AbandonedCartDefinition = Static<typeof AbandonedCartDefinition>;

export const OrderDefinition = Type.Object(
  {
    ...Versioned,
    kind: Type.Literal('order'),
    confirmation: Type.Array(SendSpec, { minItems: 1 }),
    shipping: Type.Array(SendSpec),
    cancellation: Type.Array(SendSpec),
    /** The workflow ends this long after the order if it was neither delivered nor cancelled. */
    closeAfter: Duration,
  },
  { additionalProperties: false },
);
export type OrderDefinition = Static<typeof OrderDefinition>;

export const Comparison = Type.Object(
  {
    property: Type.String({ minLength: 1, description: 'Dot path into the event properties.' }),
    op: Type.Union(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'exists', 'in'].map((o) => Type.Literal(o))),
    value: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type Comparison = Static<typeof Comparison>;

export interface SendStep {
  send: SendSpec;
}
export interface WaitStep {
  wait: Duration;
}
export interface WaitForEventStep {
  waitForEvent: { name: string; timeout: Duration; where?: Comparison[]; onTimeout?: EventStep[] };
}
export interface BranchStep {
  branch: { if: Comparison[]; then: EventStep[]; else?: EventStep[] };
}
export type EventStep = SendStep | WaitStep | WaitForEventStep | BranchStep;

export const EventStep = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object({ send: SendSpec }, { additionalProperties: false }),
      Type.Object({ wait: Duration }, { additionalProperties: false }),
      Type.Object(
        {
          waitForEvent: Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              timeout: Duration,
              where: Type.Optional(Type.Array(Comparison)),
              onTimeout: Type.Optional(Type.Array(Self)),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          branch: Type.Object(
            {
              if: Type.Array(Comparison, { minItems: 1 }),
              then: Type.Array(Self),
              else: Type.Optional(Type.Array(Self)),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ]),
  { $id: 'EventStep' },
);

export const EventAutomationDefinition = Type.Object(
  {
    ...Versioned,
    kind: Type.Literal('custom_event'),
    trigger: Type.Object(
      { event: Type.String({ minLength: 1 }), where: Type.Optional(Type.Array(Comparison)) },
      { additionalProperties: false },
    ),
    /**
     * Event properties that carry personal data (an email, a phone number): dropped by the client before the
     * event enters Temporal. Any other property that looks like an address is refused.
     */
    personalProperties: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    steps: Type.Array(EventStep, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type EventAutomationDefinition = Omit<Static<typeof EventAutomationDefinition>, 'steps'> & {
  steps: EventStep[];
};

export type AutomationDefinition =
  WelcomeDefinition | AbandonedCartDefinition | OrderDefinition | EventAutomationDefinition;

/** An event an app fires for a contact. Properties must not carry personal data (they land in histories). */
export interface AppEvent {
  id: string;
  name: string;
  contactId: string;
  properties: Record<string, unknown>;
  occurredAt: string;
}
