// The domain vocabulary every room shares. These TypeBox schemas are the single source: the TypeScript
// types are derived from them, and the JSON Schemas that validate requests and rule files are generated from them.
import { Type, type Static } from '@sinclair/typebox';

export const CHANNELS = ['email', 'sms'] as const;
export const Channel = Type.Union(
  CHANNELS.map((c) => Type.Literal(c)),
  { description: 'Delivery channel.' },
);
export type Channel = Static<typeof Channel>;

/** Global profile status (Altcraft): anything but `subscribed` forbids marketing on every channel. */
export const GLOBAL_STATUSES = [
  'subscribed',
  'unsubscribed',
  'complainer',
  'hard_bounced',
  'unconfirmed',
  'suspended',
  'invalid',
] as const;
export const GlobalStatus = Type.Union(GLOBAL_STATUSES.map((s) => Type.Literal(s)));
export type GlobalStatus = Static<typeof GlobalStatus>;

/** A subscription may also be `non_subscribed` (Omnisend): known address, never opted in. */
export const SUBSCRIPTION_STATUSES = [...GLOBAL_STATUSES, 'non_subscribed'] as const;
export const SubscriptionStatus = Type.Union(SUBSCRIPTION_STATUSES.map((s) => Type.Literal(s)));
export type SubscriptionStatus = Static<typeof SubscriptionStatus>;

export const CATEGORY_STATES = ['subscribed', 'unsubscribed'] as const;
export const CategoryState = Type.Union(CATEGORY_STATES.map((s) => Type.Literal(s)));
export type CategoryState = Static<typeof CategoryState>;

/**
 * A message type id. Which types exist is rule data, not code: message-types.json lists them (ask a loaded
 * rule set with `ruleSet.messageTypes`). Shapes that carry a type accept any id of this form; the rule set
 * decides whether it knows it (an unknown type is never sent).
 */
export const MESSAGE_TYPE_PATTERN = '^[a-z][a-z0-9_]*$';
export const MessageType = Type.String({
  pattern: MESSAGE_TYPE_PATTERN,
  description:
    'Message type id from message-types.json: lower-case letters, digits and _, e.g. "abandoned_cart".',
});
export type MessageType = Static<typeof MessageType>;

export const Subscription = Type.Object(
  {
    resource: Type.String({ minLength: 1 }),
    channel: Channel,
    address: Type.String({ minLength: 1 }),
    status: SubscriptionStatus,
    priority: Type.Integer({ description: 'Lower number wins among eligible addresses.' }),
    categories: Type.Optional(Type.Record(Type.String(), CategoryState)),
  },
  { additionalProperties: false },
);
export type Subscription = Static<typeof Subscription>;

/** ISO 3166-2: the country code, a hyphen and one to three letters or digits. */
export const SUBDIVISION_PATTERN = '^[A-Z]{2}-[A-Z0-9]{1,3}$';

/** What gave a contact CASL implied consent: a purchase (valid 2 years) or an inquiry (valid 6 months). */
export const IMPLIED_CONSENT_BASES = ['purchase', 'inquiry'] as const;
export type ImpliedConsentBasis = (typeof IMPLIED_CONSENT_BASES)[number];
export const ImpliedConsent = Type.Object(
  {
    basis: Type.Union(
      IMPLIED_CONSENT_BASES.map((b) => Type.Literal(b)),
      { description: 'What gave the consent: "purchase" or "inquiry".' },
    ),
    at: Type.String({
      format: 'date',
      description: 'The calendar date of the purchase or inquiry, YYYY-MM-DD, e.g. "2026-03-15".',
    }),
  },
  {
    additionalProperties: false,
    description:
      "Implied consent (Canada, CASL): an existing business relationship that lets marketing reach a non-subscribed contact for a while (the region's rules say how long).",
  },
);
export type ImpliedConsent = Static<typeof ImpliedConsent>;

/**
 * The profile as the decision engine reads it and `contacts show --json` prints it. No names, no custom
 * fields: only what consent depends on (addresses are needed to say which one a send goes to).
 */
export const ContactProfile = Type.Object(
  {
    id: Type.Optional(Type.String()),
    status: GlobalStatus,
    active: Type.Optional(Type.Boolean({ default: true })),
    country: Type.Optional(
      Type.Union([
        Type.String({
          pattern: '^[A-Z]{2}$',
          description: 'ISO 3166-1 alpha-2 country code in capitals, e.g. "US".',
        }),
        Type.Null(),
      ]),
    ),
    subdivision: Type.Optional(
      Type.Union([
        Type.String({
          pattern: SUBDIVISION_PATTERN,
          description:
            'ISO 3166-2 code of the state or province, e.g. "US-FL"; it starts with the country code. Without it, a US contact\'s state is presumed from the area code of the SMS number.',
        }),
        Type.Null(),
      ]),
    ),
    timezone: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
    impliedConsent: Type.Optional(Type.Union([ImpliedConsent, Type.Null()])),
    blacklist: Type.Optional(
      Type.Object(
        { email: Type.Optional(Type.Boolean()), phone: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    subscriptions: Type.Array(Subscription),
  },
  { additionalProperties: false },
);
export type ContactProfile = Static<typeof ContactProfile>;

export const MessageSpec = Type.Object(
  {
    channel: Channel,
    type: MessageType,
    resource: Type.Optional(Type.String({ minLength: 1 })),
    category: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type MessageSpec = Static<typeof MessageSpec>;

/** One message already sent (or promised by a pending outbox row) to the contact; caps count these. */
export const HistoryEntry = Type.Object(
  {
    channel: Channel,
    type: MessageType,
    at: Type.String({
      format: 'date-time',
      description: 'When it was sent: an ISO-8601 instant with its offset, e.g. "2026-03-01T15:00:00Z".',
    }),
    category: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type HistoryEntry = Static<typeof HistoryEntry>;

export const VERDICTS = ['send', 'suppress', 'defer'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface DecisionReason {
  /** Stable id of the rule that produced this reason, e.g. `global-status` or `matrix:sms.us`. */
  rule: string;
  /** Plain words for operators and the demo table. */
  message: string;
}

export interface Decision {
  id?: string;
  verdict: Verdict;
  /** The chosen address, only when the verdict is `send`. */
  address?: string;
  /** UTC ISO instant, only when the verdict is `defer`. */
  notBefore?: string;
  /** Never empty for `suppress` and `defer`. */
  reasons: DecisionReason[];
  /** Version hash of the rule set that made this decision. */
  rules: string;
}
