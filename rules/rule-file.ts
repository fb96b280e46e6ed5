// The shapes of the marketer-editable rule files. One TypeBox source gives the TypeScript types, the
// loader's ajv validation and the committed JSON Schema that editors use through each file's "$schema".
import { Type, type Static, type TLiteral, type TSchema } from '@sinclair/typebox';
import {
  Channel,
  MessageType,
  SUBSCRIPTION_STATUSES,
  GLOBAL_STATUSES,
  CHANNELS,
  SUBDIVISION_PATTERN,
} from './model';

export const MATRIX_COLUMNS = ['subscribed', 'non_subscribed', 'unsubscribed'] as const;
export type MatrixColumn = (typeof MATRIX_COLUMNS)[number];
export const KINDS = ['transactional', 'marketing'] as const;
export type Kind = (typeof KINDS)[number];

const literals = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- keeps the literal types for Static<>
    values.map((v) => Type.Literal(v)) as Array<TLiteral<T[number]>>,
    { description },
  );

export const MatrixColumnSchema = literals(MATRIX_COLUMNS, 'A column of the Omnisend table.');

const SchemaRef = Type.Optional(
  Type.String({
    description: 'Where the JSON Schema of this file lives; editors use it to complete and check.',
  }),
);
const Description = Type.Optional(
  Type.String({ description: 'Free text for people; ignored by the engine.' }),
);

const MATRIX_ID = '^[a-z][a-z0-9-]*(\\.[a-z0-9-]+)*$';
const REGION_ID = '^[a-z][a-z0-9-]*$';

export const MatrixRow = Type.Object(
  {
    type: MessageType,
    reaches: Type.Array(MatrixColumnSchema, {
      uniqueItems: true,
      description: 'The columns whose contacts this message type may reach; [] means nobody.',
    }),
    note: Description,
  },
  { additionalProperties: false, title: 'a row {"type", "reaches"}' },
);
export type MatrixRow = Static<typeof MatrixRow>;

export const MatrixFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('matrix'),
    id: Type.String({ pattern: MATRIX_ID, description: 'Matrix id that regions refer to, e.g. "sms.us".' }),
    channel: Channel,
    description: Description,
    rows: Type.Array(MatrixRow, {
      description: 'One row per message type. A type without a row is never sent on this channel.',
    }),
  },
  { additionalProperties: false, title: 'a matrix file' },
);
export type MatrixFile = Static<typeof MatrixFile>;

const Months = (what: string) =>
  Type.Integer({
    minimum: 1,
    maximum: 1200,
    description: `Calendar months ${what} gives implied consent for; valid through the same date that many months later.`,
  });
export const ImpliedConsentRule = Type.Object(
  {
    id: Type.String({
      pattern: '^casl:[a-z0-9-]+$',
      description: 'Stable rule id of the suppressions, e.g. "casl:implied-consent".',
    }),
    description: Description,
    months: Type.Object(
      { purchase: Months('a purchase'), inquiry: Months('an inquiry') },
      {
        additionalProperties: false,
        description: 'How long each basis lasts, e.g. {"purchase": 24, "inquiry": 6}.',
      },
    ),
  },
  {
    additionalProperties: false,
    title: 'implied consent {"id", "months"}',
    description:
      "Marketing reaches a contact whose subscription reads the non_subscribed column only while the contact's implied consent (a purchase or inquiry) lasts; otherwise it is suppressed. Express consent (subscribed) never expires.",
  },
);
export type ImpliedConsentRule = Static<typeof ImpliedConsentRule>;

export const Region = Type.Object(
  {
    id: Type.String({ pattern: REGION_ID, description: 'Lower-case region id, e.g. "us" or "ca".' }),
    description: Description,
    countries: Type.Array(
      Type.String({
        pattern: '^[A-Z]{2}$',
        description: 'ISO 3166-1 alpha-2 country code in capitals, e.g. "US".',
      }),
      { uniqueItems: true },
    ),
    matrices: Type.Object(
      {
        email: Type.Optional(Type.String({ pattern: MATRIX_ID, description: 'Id of the email matrix.' })),
        sms: Type.Optional(Type.String({ pattern: MATRIX_ID, description: 'Id of the SMS matrix.' })),
      },
      {
        additionalProperties: false,
        description:
          'Which matrix each channel uses here; a channel without one sends nothing in this region.',
      },
    ),
    impliedConsent: Type.Optional(ImpliedConsentRule),
  },
  { additionalProperties: false, title: 'a region {"id", "countries", "matrices"}' },
);
export type Region = Static<typeof Region>;

export const RegionsFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('regions'),
    description: Description,
    regions: Type.Array(Region),
    otherCountries: Type.Optional(
      Type.String({
        pattern: REGION_ID,
        description: 'Region for a country no region lists; without it such contacts get nothing.',
      }),
    ),
    missingCountry: Type.Optional(
      Type.String({
        pattern: REGION_ID,
        description: 'Region for a contact without a country; without it such contacts get nothing.',
      }),
    ),
  },
  { additionalProperties: false, title: 'a regions file' },
);
export type RegionsFile = Static<typeof RegionsFile>;

/** Facts a gate may test. All have a finite set of values, which is what lets the rules compile to tables. */
export const GATE_FACTS = {
  channel: CHANNELS,
  type: null, // message types come from message-types.json; checked semantically
  kind: KINDS,
  region: null, // region ids come from the regions files; checked semantically
  matrix: null,
  globalStatus: GLOBAL_STATUSES,
  active: [true, false],
  blacklisted: [true, false],
  subscriptionStatus: [...SUBSCRIPTION_STATUSES, 'none'],
  column: [...MATRIX_COLUMNS, 'none'],
  // no_category: the message has none; not_mentioned: it has one the subscription says nothing about.
  categoryState: ['subscribed', 'unsubscribed', 'not_mentioned', 'no_category'],
  category: null, // the message's category name: any string, or null when it has none
} as const;
export type GateFact = keyof typeof GATE_FACTS;
export const GATE_FACT_NAMES = Object.keys(GATE_FACTS) as GateFact[];
export const GATE_OPERATORS = ['equal', 'notEqual', 'in', 'notIn'] as const;

const Scalar = Type.Union([Type.String(), Type.Boolean(), Type.Null()]);
export const FactCondition = Type.Object(
  {
    fact: literals(GATE_FACT_NAMES, 'The fact to test.'),
    operator: literals(GATE_OPERATORS, 'equal/notEqual take one value, in/notIn a list.'),
    value: Type.Union([Scalar, Type.Array(Scalar)]),
  },
  { additionalProperties: false, title: 'a fact condition {"fact", "operator", "value"}' },
);
export type FactCondition = Static<typeof FactCondition>;

// json-rules-engine nests all/any/not freely; two levels cover every gate a marketer needs and keep the
// schema (and its error messages) flat.
const nested = (inner: TSchema, depth: string) => [
  Type.Object(
    { all: Type.Array(inner, { minItems: 1 }) },
    { additionalProperties: false, title: `{"all": [...]}${depth}` },
  ),
  Type.Object(
    { any: Type.Array(inner, { minItems: 1 }) },
    { additionalProperties: false, title: `{"any": [...]}${depth}` },
  ),
  Type.Object({ not: inner }, { additionalProperties: false, title: `{"not": ...}${depth}` }),
];
export type InnerCondition =
  FactCondition | { all: FactCondition[] } | { any: FactCondition[] } | { not: FactCondition };
export type GateCondition = { all: InnerCondition[] } | { any: InnerCondition[] } | { not: InnerCondition };
const InnerCondition = Type.Union([FactCondition, ...nested(FactCondition, '')]);
// Type.Unsafe keeps the generated schema and gives it the precise static type written above.
export const GateCondition = Type.Unsafe<GateCondition>(
  Type.Union(nested(InnerCondition, ''), {
    description: 'A json-rules-engine condition: all/any/not over fact conditions.',
  }),
);

export const Gate = Type.Object(
  {
    id: Type.String({ pattern: '^gate:[a-z0-9-]+$', description: 'Stable rule id, e.g. "gate:blacklist".' }),
    description: Description,
    when: GateCondition,
    message: Type.String({
      minLength: 1,
      description:
        'Plain words stored with every decision. May use {channel} {type} {kind} {region} {matrix} ' +
        '{globalStatus} {subscriptionStatus} {column} {categoryState}; never an address.',
    }),
  },
  { additionalProperties: false, title: 'a gate {"id", "when", "message"}' },
);
export type Gate = Static<typeof Gate>;

export const GatesFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('gates'),
    description: Description,
    gates: Type.Array(Gate, { description: 'Each gate that matches suppresses the message.' }),
  },
  { additionalProperties: false, title: 'a gates file' },
);
export type GatesFile = Static<typeof GatesFile>;

// 24:00 is the end of the day: meaningful as "until", refused as "from" (checked with the other files).
const TIME = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
const From = Type.String({
  pattern: TIME,
  description: 'Earliest local sending time, HH:MM (24 h), e.g. "08:00".',
});
const Until = Type.String({
  pattern: TIME,
  description: 'Local time sending stops, HH:MM (24 h), e.g. "21:00"; "24:00" is the end of the day.',
});
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const DayWindow = Type.Union(
  [
    Type.Object({ from: From, until: Until }, { additionalProperties: false, title: '{"from", "until"}' }),
    Type.Null(),
  ],
  { description: "The hours of this weekday instead of the window's own; null: no marketing that day." },
);
export const QuietHoursWindow = Type.Object(
  {
    region: Type.String({ pattern: REGION_ID, description: 'Region id from a regions file.' }),
    channel: Channel,
    subdivisions: Type.Optional(
      Type.Array(Type.String({ pattern: SUBDIVISION_PATTERN, description: 'ISO 3166-2, e.g. "US-FL".' }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'States or provinces this window is for; the window without subdivisions applies everywhere else in the region.',
      }),
    ),
    from: From,
    until: Until,
    days: Type.Optional(
      Type.Object(Object.fromEntries(WEEKDAYS.map((d) => [d, Type.Optional(DayWindow)])), {
        additionalProperties: false,
        description:
          'Other hours on some weekdays (local), e.g. {"sun": {"from": "12:00", "until": "21:00"}}.',
      }),
    ),
    closedOn: Type.Optional(
      Type.Array(Type.String({ format: 'date', description: 'A local date, e.g. "2026-12-25".' }), {
        uniqueItems: true,
        description: 'Local dates without marketing (state holidays).',
      }),
    ),
    note: Description,
  },
  { additionalProperties: false, title: 'a window {"region", "channel", "from", "until"}' },
);
export type QuietHoursWindow = Static<typeof QuietHoursWindow>;

export const QuietHoursFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('quiet-hours'),
    description: Description,
    windows: Type.Array(QuietHoursWindow, {
      description: 'Marketing on the channel goes out only inside the window, in the contact time zone.',
    }),
  },
  { additionalProperties: false, title: 'a quiet-hours file' },
);
export type QuietHoursFile = Static<typeof QuietHoursFile>;

export const Cap = Type.Object(
  {
    id: Type.String({
      pattern: '^cap:[a-z0-9-]+$',
      description: 'Stable rule id, e.g. "cap:marketing-sms".',
    }),
    description: Description,
    channel: Type.Optional(Channel),
    kinds: Type.Optional(
      Type.Array(literals(KINDS, 'transactional or marketing'), {
        minItems: 1,
        uniqueItems: true,
        description: 'The kinds of message the cap limits and counts (give kinds or types).',
      }),
    ),
    types: Type.Optional(
      Type.Array(MessageType, {
        minItems: 1,
        uniqueItems: true,
        description: 'The message types the cap limits and counts (give kinds or types).',
      }),
    ),
    category: Type.Optional(
      Type.String({ minLength: 1, description: 'Only messages of this category are limited and counted.' }),
    ),
    sameCategory: Type.Optional(
      Type.Boolean({
        description:
          'true: a message with a category counts only earlier messages of the same category (a limit per subject).',
      }),
    ),
    regions: Type.Optional(
      Type.Array(Type.String({ pattern: REGION_ID }), {
        minItems: 1,
        uniqueItems: true,
        description: 'Only contacts in these regions; default every region.',
      }),
    ),
    windowHours: Type.Integer({
      minimum: 1,
      maximum: 8784,
      description: 'Length of the rolling window in hours, e.g. 24.',
    }),
    limit: Type.Integer({ minimum: 1, description: 'How many messages the window may hold.' }),
    over: Type.Optional(
      Type.Union([Type.Literal('suppress'), Type.Literal('defer')], {
        description:
          'What happens to a message over the limit: suppress (default), or defer until the window frees up.',
      }),
    ),
  },
  { additionalProperties: false, title: 'a cap {"id", "windowHours", "limit", ...}' },
);
export type Cap = Static<typeof Cap>;

export const CapsFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('caps'),
    description: Description,
    caps: Type.Array(Cap, { description: 'Each cap a message is over suppresses or defers it.' }),
  },
  { additionalProperties: false, title: 'a caps file' },
);
export type CapsFile = Static<typeof CapsFile>;

export const MessageTypeEntry = Type.Object(
  {
    type: MessageType,
    description: Description,
    transactional: Type.Optional(
      Type.Boolean({
        description:
          'true for order, shipping or cancellation confirmations and the like: no marketing gates, no quiet hours. Default false: marketing.',
      }),
    ),
    follows: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9_]*$',
        description:
          'Another type whose matrix row this type uses in every matrix that has no row of its own for it, e.g. "campaign".',
      }),
    ),
  },
  { additionalProperties: false, title: 'a message type {"type", "follows"?, "transactional"?}' },
);
export type MessageTypeEntry = Static<typeof MessageTypeEntry>;

export const MessageTypesFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('message-types'),
    description: Description,
    types: Type.Array(MessageTypeEntry, {
      minItems: 1,
      description: 'Every message type the rules know; a type not listed here is never sent.',
    }),
  },
  { additionalProperties: false, title: 'a message-types file' },
);
export type MessageTypesFile = Static<typeof MessageTypesFile>;

export const SubscriptionColumnsFile = Type.Object(
  {
    $schema: SchemaRef,
    kind: Type.Literal('subscription-columns'),
    description: Description,
    columns: Type.Object(
      Object.fromEntries(SUBSCRIPTION_STATUSES.map((s) => [s, MatrixColumnSchema])) as Record<
        (typeof SUBSCRIPTION_STATUSES)[number],
        typeof MatrixColumnSchema
      >,
      {
        additionalProperties: false,
        description: 'Which matrix column each subscription status reads.',
      },
    ),
  },
  { additionalProperties: false, title: 'a subscription-columns file' },
);
export type SubscriptionColumnsFile = Static<typeof SubscriptionColumnsFile>;

export const RULE_FILE_KINDS = {
  matrix: MatrixFile,
  regions: RegionsFile,
  gates: GatesFile,
  'quiet-hours': QuietHoursFile,
  caps: CapsFile,
  'message-types': MessageTypesFile,
  'subscription-columns': SubscriptionColumnsFile,
} as const;
export type RuleFileKind = keyof typeof RULE_FILE_KINDS;
export const RULE_FILE_KIND_NAMES = Object.keys(RULE_FILE_KINDS) as RuleFileKind[];

export const RuleFile = Type.Union(Object.values(RULE_FILE_KINDS), {
  $id: 'https://consentflow.dev/schema/rule-file.schema.json',
  title: 'consentflow rule file',
  description: 'One file of a consentflow rule set; "kind" says which part of the rules it governs.',
});
export type RuleFile = Static<typeof RuleFile>;
