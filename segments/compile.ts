// A segment as one SQL boolean expression over `contacts c`, with bound parameters numbered after the
// caller's own: `SELECT c.id FROM contacts c WHERE c.id > $1 AND (<where>) ORDER BY c.id LIMIT $2` with
// paramOffset 2. Values are never written into the SQL text; only column names and operators from the fixed
// tables below are. Every leaf is true or false, never NULL, so `not` means what it says.
import type {
  CategoryCondition,
  Condition,
  CustomCondition,
  FieldCondition,
  ProfileField,
  Segment,
  SubscriptionCondition,
} from './conditions';
import { SEGMENT_BINDS } from '../db/contacts/columns';
import { operatorOf } from './checks';
import { anniversarySql, dateSql, ledgerSql } from './compile-dates';
import { definite, existsFor, SqlBuilder, type PageWindow } from './sql';

export interface CompiledSegment {
  where: string;
  params: unknown[];
}

/** The PostgreSQL type each profile field's values are bound as; the field is the contacts column of that name. */
const CASTS: Readonly<Record<ProfileField, string>> = SEGMENT_BINDS;

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const ORDER = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function field(b: SqlBuilder, c: FieldCondition): string {
  // The lookup also keeps the column name out of reach of unparsed input: only a listed field becomes SQL.
  const cast = Object.hasOwn(CASTS, c.field) ? CASTS[c.field] : undefined;
  if (cast === undefined) throw new Error(`not a profile field: ${JSON.stringify(c.field)}`);
  const column = `c.${c.field}`;
  const op = operatorOf(c);
  switch (op) {
    case 'eq':
      return definite(`${column} = ${b.param(c.eq, cast)}`);
    case 'ne':
      return definite(`${column} <> ${b.param(c.ne, cast)}`);
    case 'in':
      return definite(`${column} = ANY(${b.param(c.in, `${cast}[]`)})`);
    case 'notIn':
      return definite(`${column} <> ALL(${b.param(c.notIn, `${cast}[]`)})`);
    case 'exists':
      return `(${column} IS ${c.exists ? 'NOT ' : ''}NULL)`;
    case 'contains':
      return definite(`strpos(lower(${column}), lower(${b.param(c.contains, 'text')})) > 0`);
    case 'startsWith':
      return definite(`starts_with(${column}, ${b.param(c.startsWith, 'text')})`);
    default:
      return definite(`${column} ${ORDER[op]} ${b.param(c[op], 'numeric')}`);
  }
}

/** Custom fields are JSON values of any kind: each comparison first checks the value's JSON type. */
function custom(b: SqlBuilder, c: CustomCondition): string {
  const x = `(c.custom -> ${b.param(c.custom, 'text')})`;
  const scalar = `jsonb_typeof(${x}) IN ('string', 'number', 'boolean')`;
  const op = operatorOf(c);
  switch (op) {
    case 'eq':
      return definite(`${x} = ${b.param(JSON.stringify(c.eq), 'jsonb')}`);
    case 'ne':
      return definite(`(${scalar} AND ${x} <> ${b.param(JSON.stringify(c.ne), 'jsonb')})`);
    case 'in':
      return definite(`(${scalar} AND ${b.param(JSON.stringify(c.in), 'jsonb')} @> jsonb_build_array(${x}))`);
    case 'notIn':
      return definite(
        `(${scalar} AND NOT ${b.param(JSON.stringify(c.notIn), 'jsonb')} @> jsonb_build_array(${x}))`,
      );
    case 'exists':
      return c.exists
        ? definite(`jsonb_typeof(${x}) <> 'null'`)
        : `(${x} IS NULL OR jsonb_typeof(${x}) = 'null')`;
    case 'contains': {
      const v = b.param(c.contains, 'text');
      return definite(
        `CASE jsonb_typeof(${x}) WHEN 'array' THEN ${x} @> jsonb_build_array(${v})
           WHEN 'string' THEN strpos(lower(${x} #>> '{}'), lower(${v})) > 0 ELSE false END`,
      );
    }
    case 'startsWith':
      return definite(
        `CASE WHEN jsonb_typeof(${x}) = 'string' THEN starts_with(${x} #>> '{}', ${b.param(c.startsWith, 'text')}) ELSE false END`,
      );
    default:
      // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and a cast of text fails.
      return definite(
        `CASE WHEN jsonb_typeof(${x}) = 'number' THEN (${x} #>> '{}')::numeric ${ORDER[op]} ${b.param(c[op], 'numeric')} ELSE false END`,
      );
  }
}

/** The contact's live (not deleted) subscriptions on the resource and channel, if given. */
function subscriptionScope(b: SqlBuilder, s: { resource?: string; channel?: string }): string {
  return [
    's.contact_id = c.id',
    's.deleted_at IS NULL',
    ...(s.resource ? [`s.resource = ${b.param(s.resource, 'text')}`] : []),
    ...(s.channel ? [`s.channel = ${b.param(s.channel, 'text')}`] : []),
  ].join(' AND ');
}

function subscription(b: SqlBuilder, { subscription: s }: SubscriptionCondition): string {
  return existsFor(
    b,
    'subscriptions s',
    `${subscriptionScope(b, s)} AND s.status = ANY(${b.param(list(s.status), 'text[]')})`,
  );
}

function category(b: SqlBuilder, { category: s }: CategoryCondition): string {
  const name = b.param(s.category, 'text');
  const state =
    s.state === 'unset'
      ? `NOT (s.categories ? ${name})`
      : `(s.categories ->> ${name}) = ${b.param(s.state, 'text')}`;
  return existsFor(b, 'subscriptions s', `${subscriptionScope(b, s)} AND ${state}`);
}

function condition(b: SqlBuilder, c: Condition): string {
  if ('all' in c) return `(${c.all.map((x) => condition(b, x)).join(' AND ')})`;
  if ('any' in c) return `(${c.any.map((x) => condition(b, x)).join(' OR ')})`;
  if ('not' in c) return `(NOT ${condition(b, c.not)})`;
  if ('field' in c) return field(b, c);
  if ('custom' in c) return custom(b, c);
  if ('status' in c) return `(c.status = ANY(${b.param(list(c.status), 'text[]')}))`;
  if ('country' in c) return definite(`c.country = ANY(${b.param(list(c.country), 'text[]')})`);
  if ('subdivision' in c) return definite(`c.subdivision = ANY(${b.param(list(c.subdivision), 'text[]')})`);
  if ('subscription' in c) return subscription(b, c);
  if ('category' in c) return category(b, c);
  if ('date' in c) return dateSql(b, c);
  if ('anniversary' in c) return anniversarySql(b, c.anniversary, c.inDays ?? 0);
  if ('birthday' in c) return anniversarySql(b, 'birthday', 0);
  if ('ledger' in c) return ledgerSql(b, c);
  throw new Error(`unknown segment condition ${JSON.stringify(c).slice(0, 80)}`);
}

/**
 * The segment as a boolean SQL expression over `contacts c` at the instant `opts.at`, its values bound as
 * `$paramOffset+1`, `$paramOffset+2`... in `params`. The segment must have passed parseSegment. `paged`: it is
 * read in keyset pages, or in the id window given (see existsFor).
 */
export function compileSegment(
  segment: Segment,
  opts: { at: Date; paramOffset?: number; paged?: boolean | PageWindow },
): CompiledSegment {
  const b = new SqlBuilder(opts.paramOffset ?? 0, opts.at, segment.timezone ?? 'UTC', opts.paged);
  const where = condition(b, segment.where);
  return { where, params: b.params };
}
