// Date conditions in the contact's own time zone. Ages in minutes or hours compare instants ("subscribed more
// than 30 minutes ago"); ages in days or longer compare calendar dates on the contact's local calendar
// ("signed up more than 30 days ago" is true from the 31st local midnight on). A birthday is a date without
// a zone: it is read as the contact's local calendar date. Anniversaries of Feb 29 fall on Feb 28 in years
// without one (docs/segments.md).
import type { DateCondition, LedgerCondition } from './conditions';
import { definite, existsFor, type SqlBuilder } from './sql';

/** The store's form of a custom date value (db/contacts/custom-fields.ts): an RFC 3339 instant. */
const CUSTOM_DATE = String.raw`'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'`;

interface DateValue {
  /** The value as an instant (timestamptz); for a birthday, its local midnight. */
  instant(): string;
  /** The value on the contact's local calendar (date). */
  localDate(): string;
  /** The value on the contact's local wall clock (timestamp). */
  localTime(): string;
}

/**
 * A date field's SQL forms. Each form binds its parameters (the zone's, the custom field's name) only when a
 * comparison uses it: a bound parameter the SQL never mentions is an error in PostgreSQL.
 */
function dateValue(b: SqlBuilder, name: string): DateValue {
  if (name === 'birthday') {
    return {
      instant: () => `(c.birthday::timestamp AT TIME ZONE ${b.zone})`,
      localDate: () => 'c.birthday',
      localTime: () => 'c.birthday::timestamp',
    };
  }
  let instant: string | undefined;
  const asInstant = () => {
    if (instant) return instant;
    if (name === 'created_at' || name === 'updated_at') return (instant = `c.${name}`);
    const key = b.param(name.slice('custom.'.length), 'text');
    // CASE first: a cast of text that is not an instant would fail the whole query.
    return (instant = `(CASE WHEN (c.custom ->> ${key}) ~ ${CUSTOM_DATE} THEN (c.custom ->> ${key})::timestamptz END)`);
  };
  const localTime = () => `(${asInstant()} AT TIME ZONE ${b.zone})`;
  return { instant: asInstant, localTime, localDate: () => `(${localTime()})::date` };
}

/** "30 minutes" → amount, unit and whether it counts calendar days. */
export function parseAge(age: string): { interval: string; calendar: boolean } {
  const m = /^(\d+) ?([a-z]+?)s?$/.exec(age)!;
  const unit = m[2]!;
  return { interval: `${m[1]} ${unit}s`, calendar: unit !== 'minute' && unit !== 'hour' };
}

/** value is more (`older`) or less than `age` before the decision instant, and not after it. */
function ageSql(b: SqlBuilder, v: DateValue, age: string, older: boolean): string {
  const { interval, calendar } = parseAge(age);
  const span = b.param(interval, 'interval');
  if (calendar) {
    const edge = `(${b.localToday} - ${span})::date`;
    return older
      ? `${v.localDate()} < ${edge}`
      : `(${v.localDate()} > ${edge} AND ${v.localDate()} <= ${b.localToday})`;
  }
  const edge = `(${b.now} - ${span})`;
  return older ? `${v.instant()} < ${edge}` : `(${v.instant()} > ${edge} AND ${v.instant()} <= ${b.now})`;
}

/** before / after a calendar date (the contact's local midnight) or an instant. */
function boundSql(b: SqlBuilder, v: DateValue, bound: string, op: '<' | '>='): string {
  if (bound.length === 10) return `${v.localTime()} ${op} ${b.param(bound, 'timestamp')}`;
  return `${v.instant()} ${op} ${b.param(bound, 'timestamptz')}`;
}

export function dateSql(b: SqlBuilder, c: DateCondition): string {
  const v = dateValue(b, c.date);
  if (c.exists !== undefined) return `(${v.instant()} IS ${c.exists ? 'NOT ' : ''}NULL)`;
  const parts = [
    ...(c.olderThan ? [ageSql(b, v, c.olderThan, true)] : []),
    ...(c.newerThan ? [ageSql(b, v, c.newerThan, false)] : []),
    ...(c.before ? [boundSql(b, v, c.before, '<')] : []),
    ...(c.after ? [boundSql(b, v, c.after, '>=')] : []),
  ];
  return definite(`(${parts.join(' AND ')})`);
}

/**
 * The date's month and day are those of the contact's local today (+ inDays), in a year after the date's own.
 * Feb 29 matches Feb 28 in a year without Feb 29.
 */
export function anniversarySql(b: SqlBuilder, name: string, inDays: number): string {
  const vd = dateValue(b, name).localDate();
  // Most contacts have no such date: IS NOT NULL ends their test before the zone's day is looked up (NULL AND
  // would go on to the right-hand side, only to give false or NULL, which definite() makes false).
  return definite(
    `(${vd} IS NOT NULL AND ${vd} < ${b.localDay(inDays)} AND ((${b.zoneDay(inDays)}) -> 'md') ? to_char(${vd}, 'MM-DD'))`,
  );
}

/** Which member of a ledger row's `after` holds the state `to` compares with. */
const LEDGER_STATE: Record<LedgerCondition['ledger']['kind'], string> = {
  created: 'status',
  status: 'status',
  activity: 'active',
  subscription: 'status',
  category: 'status',
  blacklist: 'status',
};

/** A change of this contact in the consent ledger, at or before the decision instant. */
export function ledgerSql(b: SqlBuilder, { ledger: l }: LedgerCondition): string {
  const where = [
    'l.contact_id = c.id',
    `l.kind = ${b.param(l.kind, 'text')}`,
    ...(l.resource ? [`l.resource = ${b.param(l.resource, 'text')}`] : []),
    ...(l.channel ? [`l.channel = ${b.param(l.channel, 'text')}`] : []),
    ...(l.category ? [`l.category = ${b.param(l.category, 'text')}`] : []),
    ...(l.to !== undefined
      ? [
          `(l.after ->> '${LEDGER_STATE[l.kind]}') = ANY(${b.param(Array.isArray(l.to) ? l.to : [l.to], 'text[]')})`,
        ]
      : []),
    `l.at <= ${b.now}`,
    ...(l.olderThan ? [`l.at < ${b.now} - ${b.param(parseAge(l.olderThan).interval, 'interval')}`] : []),
    ...(l.newerThan ? [`l.at > ${b.now} - ${b.param(parseAge(l.newerThan).interval, 'interval')}`] : []),
  ];
  return existsFor(b, 'consent_ledger l', where.join(' AND '));
}
