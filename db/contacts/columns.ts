// The contact's own columns (table contacts) that imports, the API and forms write, each named once with the
// places that use it. The lists those places need are derived below and keep this order, which is also the
// order COPY sends a staged contact to cf_stage: add a column at the end, never reorder (and add it to the
// cf_stage DDL in write-batch.ts). created_at and updated_at are the store's own; segments read them as dates.

/** The PostgreSQL type a segment binds a compared value as. */
export type SegmentBind = 'text' | 'numeric' | 'boolean';

interface ContactColumn {
  readonly name: string;
  /** A segment `field` condition may compare it; its values are bound as this type. */
  readonly segment?: SegmentBind;
  /** An import file may carry it under this name (STANDARD_COLUMNS). */
  readonly import: boolean;
  /** The batch writer stages it (STAGE_COLUMNS). */
  readonly stage: boolean;
}

export const CONTACT_COLUMNS = [
  { name: 'id', segment: 'text', import: true, stage: true },
  { name: 'email', segment: 'text', import: true, stage: true },
  { name: 'phone', segment: 'text', import: true, stage: true },
  { name: 'first_name', segment: 'text', import: true, stage: true },
  { name: 'last_name', segment: 'text', import: true, stage: true },
  { name: 'gender', segment: 'numeric', import: true, stage: true },
  { name: 'language', segment: 'text', import: true, stage: true },
  { name: 'country', segment: 'text', import: true, stage: true },
  { name: 'subdivision', segment: 'text', import: true, stage: true },
  { name: 'timezone', segment: 'text', import: true, stage: true },
  { name: 'birthday', import: true, stage: true },
  { name: 'source', segment: 'text', import: true, stage: true },
  { name: 'implied_consent_basis', import: true, stage: true },
  { name: 'implied_consent_at', import: true, stage: true },
  { name: 'status', segment: 'text', import: true, stage: true },
  { name: 'active', segment: 'boolean', import: true, stage: true },
  // A file names custom fields one by one (custom.NAME); segments compare them with `custom` conditions.
  { name: 'custom', import: false, stage: true },
] as const satisfies readonly ContactColumn[];

type Column = (typeof CONTACT_COLUMNS)[number];
type SegmentColumn = Extract<Column, { segment: SegmentBind }>;
type ImportColumn = Extract<Column, { import: true }>;
type StageColumn = Extract<Column, { stage: true }>;

/** Columns a segment `field` condition may compare, in table order. */
export const SEGMENT_COLUMNS: readonly SegmentColumn['name'][] = CONTACT_COLUMNS.filter(
  (c): c is SegmentColumn => 'segment' in c,
).map((c) => c.name);

/** The type each of SEGMENT_COLUMNS binds its values as. */
export const SEGMENT_BINDS = Object.fromEntries(
  CONTACT_COLUMNS.filter((c): c is SegmentColumn => 'segment' in c).map((c) => [c.name, c.segment]),
) as Readonly<Record<SegmentColumn['name'], SegmentBind>>;

/** Contact columns an import file may carry, in table order. */
export const IMPORT_COLUMNS: readonly ImportColumn['name'][] = CONTACT_COLUMNS.filter(
  (c): c is ImportColumn => c.import,
).map((c) => c.name);

/** Contact columns the batch writer stages, in COPY order. */
export const STAGED_CONTACT_COLUMNS: readonly StageColumn['name'][] = CONTACT_COLUMNS.filter(
  (c): c is StageColumn => c.stage,
).map((c) => c.name);
