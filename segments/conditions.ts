// The shape of a segment file (segments/*.json): who a campaign or a scheduled automation is for. One TypeBox
// source gives the TypeScript types, the validation and the committed JSON Schema editors use
// (segments/schema/segment.schema.json, written by scripts/generate-schemas.ts).
import { Type, type Static, type TLiteral, type TSchema } from '@sinclair/typebox';
import { SEGMENT_COLUMNS } from '../db/contacts/columns';
import { CATEGORY_STATES, CHANNELS, GLOBAL_STATUSES, SUBSCRIPTION_STATUSES } from '../rules/model';

const literals = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- keeps the literal types for Static<>
    values.map((v) => Type.Literal(v)) as Array<TLiteral<T[number]>>,
    { description },
  );

const oneOrMany = <T extends TSchema>(item: T, description: string) =>
  Type.Union([item, Type.Array(item, { minItems: 1, uniqueItems: true })], { description });

/** Contact columns a `field` condition may compare (contacts table; custom fields use `custom`). */
export const PROFILE_FIELDS = SEGMENT_COLUMNS;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Dates a date condition may read: contact columns, or a custom date field as "custom.<name>". */
export const DATE_FIELD_PATTERN = '^(created_at|updated_at|birthday|custom\\.[a-z][a-z0-9_]{0,62})$';
export const DateField = Type.String({
  pattern: DATE_FIELD_PATTERN,
  description:
    'created_at (signed up), updated_at, birthday, or a custom date field as "custom.<name>", e.g. "custom.last_purchase_at".',
});

/** An age: how long before the decision instant. Minutes and hours are exact; days and longer are calendar days in the contact's zone. */
export const AGE_PATTERN = '^[1-9][0-9]{0,5} ?(minute|hour|day|week|month|year)s?$';
export const Age = Type.String({
  pattern: AGE_PATTERN,
  description:
    'a whole number and a unit: "30 minutes", "2 hours", "30 days", "6 weeks", "3 months", "1 year" (days and longer count calendar days in the contact\'s time zone)',
});

/** A calendar date (the contact's local midnight) or an instant with its offset. */
export const DATE_OR_INSTANT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2}))?$';
export const DateOrInstant = Type.String({
  pattern: DATE_OR_INSTANT_PATTERN,
  description:
    'a date "2026-01-01" (midnight in the contact\'s own time zone) or an instant with its offset "2026-01-01T09:00:00Z"',
});

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** Comparison operators of `field` and `custom` conditions; exactly one per condition. */
export const COMPARISONS = [
  'eq',
  'ne',
  'in',
  'notIn',
  'exists',
  'contains',
  'startsWith',
  'gt',
  'gte',
  'lt',
  'lte',
] as const;
export type ComparisonOp = (typeof COMPARISONS)[number];

const comparisonProps = {
  eq: Type.Optional(Type.Union([Scalar], { description: 'equal to this value' })),
  ne: Type.Optional(Type.Union([Scalar], { description: 'set and not equal to this value' })),
  in: Type.Optional(Type.Array(Scalar, { minItems: 1, description: 'equal to one of these values' })),
  notIn: Type.Optional(
    Type.Array(Scalar, { minItems: 1, description: 'set and equal to none of these values' }),
  ),
  exists: Type.Optional(Type.Boolean({ description: 'true: the field has a value; false: it has none' })),
  contains: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'text containing this (case-insensitive), or a tags list holding this tag',
    }),
  ),
  startsWith: Type.Optional(Type.String({ minLength: 1, description: 'text starting with this' })),
  gt: Type.Optional(Type.Number({ description: 'a number greater than this' })),
  gte: Type.Optional(Type.Number({ description: 'a number greater than or equal to this' })),
  lt: Type.Optional(Type.Number({ description: 'a number less than this' })),
  lte: Type.Optional(Type.Number({ description: 'a number less than or equal to this' })),
};

const Resource = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'resource id, e.g. "shop"' });
const ChannelName = literals(CHANNELS, 'email or sms');
const obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export interface AllCondition {
  all: Condition[];
}
export interface AnyCondition {
  any: Condition[];
}
export interface NotCondition {
  not: Condition;
}

export const FieldCondition = obj(
  { field: literals(PROFILE_FIELDS, 'a contact field'), ...comparisonProps },
  'a contact field compared with one operator, e.g. {"field": "language", "in": ["de", "fr"]}',
);
export type FieldCondition = Static<typeof FieldCondition>;

export const CustomCondition = obj(
  {
    custom: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'a custom profile field name' }),
    ...comparisonProps,
  },
  'a custom field compared with one operator, e.g. {"custom": "plan", "eq": "pro"}',
);
export type CustomCondition = Static<typeof CustomCondition>;

export const StatusCondition = obj({
  status: oneOrMany(literals(GLOBAL_STATUSES, 'a global status'), 'the global status is one of these'),
});
export const CountryCondition = obj({
  country: oneOrMany(
    Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 in capitals, e.g. "US"' }),
    "the contact's country is one of these",
  ),
});
export const SubdivisionCondition = obj({
  subdivision: oneOrMany(
    Type.String({ pattern: '^[A-Z]{2}-[A-Z0-9]{1,3}$', description: 'ISO 3166-2, e.g. "US-FL"' }),
    "the contact's state or province is one of these",
  ),
});

export const SubscriptionCondition = obj({
  subscription: obj(
    {
      resource: Type.Optional(Resource),
      channel: Type.Optional(ChannelName),
      status: oneOrMany(
        literals(SUBSCRIPTION_STATUSES, 'a subscription status'),
        'its status is one of these',
      ),
    },
    'the contact has a (not deleted) subscription on this resource and channel with one of these statuses',
  ),
});
export type SubscriptionCondition = Static<typeof SubscriptionCondition>;

export const CATEGORY_CONDITION_STATES = [...CATEGORY_STATES, 'unset'] as const;
export const CategoryCondition = obj({
  category: obj(
    {
      category: Type.String({ minLength: 1, maxLength: 64, description: 'category id, e.g. "promo"' }),
      resource: Type.Optional(Resource),
      channel: Type.Optional(ChannelName),
      state: literals(
        CATEGORY_CONDITION_STATES,
        'subscribed, unsubscribed, or unset (the subscription names no state for the category)',
      ),
    },
    'the contact has a (not deleted) subscription on this resource and channel whose category is in this state',
  ),
});
export type CategoryCondition = Static<typeof CategoryCondition>;

export const DateCondition = obj(
  {
    date: DateField,
    olderThan: Type.Optional(Type.Union([Age], { description: 'more than this long before the instant' })),
    newerThan: Type.Optional(Type.Union([Age], { description: 'less than this long before the instant' })),
    before: Type.Optional(
      Type.Union([DateOrInstant], { description: 'strictly before this date or instant' }),
    ),
    after: Type.Optional(Type.Union([DateOrInstant], { description: 'at or after this date or instant' })),
    exists: Type.Optional(Type.Boolean({ description: 'true: the date is set; false: it is not' })),
  },
  'a date compared in the contact\'s own time zone, e.g. {"date": "created_at", "olderThan": "30 days"}',
);
export type DateCondition = Static<typeof DateCondition>;

export const AnniversaryCondition = obj(
  {
    anniversary: DateField,
    inDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 366,
        description: 'the anniversary is this many days after today (0, the default: today)',
      }),
    ),
  },
  "the date's month and day fall on today (or today + inDays) in the contact's own time zone; Feb 29 counts as Feb 28 in other years",
);
export type AnniversaryCondition = Static<typeof AnniversaryCondition>;

export const BirthdayCondition = obj({
  birthday: Type.Literal('today', { description: "the contact's birthday is today in their own time zone" }),
});

export const LEDGER_KINDS = [
  'created',
  'status',
  'activity',
  'subscription',
  'category',
  'blacklist',
] as const;
export const LedgerCondition = obj({
  ledger: obj(
    {
      kind: literals(
        LEDGER_KINDS,
        'what changed: created, status, activity, subscription, category or blacklist',
      ),
      resource: Type.Optional(Resource),
      channel: Type.Optional(ChannelName),
      category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      to: Type.Optional(
        oneOrMany(
          Type.String({ minLength: 1, maxLength: 64 }),
          'the status after the change, e.g. "subscribed" (for activity: "true" or "false")',
        ),
      ),
      olderThan: Type.Optional(
        Type.Union([Age], { description: 'the change happened more than this long ago' }),
      ),
      newerThan: Type.Optional(
        Type.Union([Age], { description: 'the change happened less than this long ago' }),
      ),
    },
    'the consent ledger holds such a change of this contact, e.g. subscribed to "shop" more than 30 minutes ago',
  ),
});
export type LedgerCondition = Static<typeof LedgerCondition>;

export type LeafCondition =
  | FieldCondition
  | CustomCondition
  | Static<typeof StatusCondition>
  | Static<typeof CountryCondition>
  | Static<typeof SubdivisionCondition>
  | SubscriptionCondition
  | CategoryCondition
  | DateCondition
  | AnniversaryCondition
  | Static<typeof BirthdayCondition>
  | LedgerCondition;
export type Condition = AllCondition | AnyCondition | NotCondition | LeafCondition;

export const Condition = Type.Recursive(
  (Self) =>
    Type.Union([
      obj({ all: Type.Array(Self, { minItems: 1, description: 'every condition holds' }) }),
      obj({ any: Type.Array(Self, { minItems: 1, description: 'at least one condition holds' }) }),
      obj({ not: Self }),
      FieldCondition,
      CustomCondition,
      StatusCondition,
      CountryCondition,
      SubdivisionCondition,
      SubscriptionCondition,
      CategoryCondition,
      DateCondition,
      AnniversaryCondition,
      BirthdayCondition,
      LedgerCondition,
    ]),
  { $id: 'SegmentCondition' },
);

export const SegmentSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Where the JSON Schema of this file lives.' })),
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'segment id: lowercase letters, digits and "-", e.g. "birthday-today"',
    }),
    description: Type.Optional(Type.String({ description: 'Free text for people; ignored by the engine.' })),
    timezone: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'IANA zone for contacts without a (known) time zone of their own, e.g. "Europe/Berlin"; default UTC',
      }),
    ),
    where: Condition,
  },
  { additionalProperties: false },
);

export type Segment = Omit<Static<typeof SegmentSchema>, 'where'> & { where: Condition };
