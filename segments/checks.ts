// What the JSON Schema cannot say about a segment: one operator per comparison, operators that suit the field,
// real calendar dates, a date condition that compares something, and a size PostgreSQL can bind.
import { SEGMENT_BINDS, type SegmentBind } from '../db/contacts/columns';
import type { SchemaProblem } from '../rules/problems';
import {
  COMPARISONS,
  type ComparisonOp,
  type Condition,
  type CustomCondition,
  type FieldCondition,
  type ProfileField,
  type Segment,
} from './conditions';

/** Conditions of one segment at most, and how deep all/any/not may nest: a bound on the SQL and its params. */
export const MAX_CONDITIONS = 500;
export const MAX_DEPTH = 16;

type Kind = 'text' | 'number' | 'boolean';
/** A field's kind follows the type its values are bound as (db/contacts/columns.ts). */
const KIND_OF_BIND: Record<SegmentBind, Kind> = { text: 'text', numeric: 'number', boolean: 'boolean' };

/** Operators each kind of contact field allows. */
const OPS_FOR: Record<Kind, readonly ComparisonOp[]> = {
  text: ['eq', 'ne', 'in', 'notIn', 'exists', 'contains', 'startsWith'],
  number: ['eq', 'ne', 'in', 'notIn', 'exists', 'gt', 'gte', 'lt', 'lte'],
  boolean: ['eq', 'ne', 'exists'],
};

export const fieldKind = (field: ProfileField): Kind => KIND_OF_BIND[SEGMENT_BINDS[field]];

/** The one operator a comparison uses. */
export function operatorOf(c: FieldCondition | CustomCondition): ComparisonOp {
  return COMPARISONS.find((op) => c[op] !== undefined)!;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function comparison(c: FieldCondition | CustomCondition, at: string, out: SchemaProblem[]): void {
  const ops = COMPARISONS.filter((op) => c[op] !== undefined);
  const name = 'field' in c ? `field "${c.field}"` : `custom field "${c.custom}"`;
  if (ops.length !== 1) {
    out.push({
      pointer: at,
      message:
        ops.length === 0
          ? `the ${name} has no operator`
          : `the ${name} has ${ops.length} operators (${ops.join(', ')})`,
      hint: `use exactly one of ${COMPARISONS.join(', ')}; combine several with {"all": [...]}`,
    });
    return;
  }
  if (!('field' in c)) return;
  const kind = fieldKind(c.field) as Kind | undefined;
  const op = ops[0]!;
  if (!kind) return; // not a field: the schema says so
  if (!OPS_FOR[kind].includes(op)) {
    out.push({
      pointer: `${at}/${op}`,
      message: `"${op}" does not apply to the ${kind} field "${c.field}"`,
      hint: `use one of ${OPS_FOR[kind].join(', ')}`,
    });
    return;
  }
  const value = c[op];
  const values = Array.isArray(value) ? value : [value];
  const expected = kind === 'text' ? 'string' : kind;
  if (op !== 'exists' && values.some((v) => typeof v !== expected)) {
    out.push({
      pointer: `${at}/${op}`,
      message: `the ${name} holds ${kind === 'text' ? 'text' : `a ${kind}`}, but ${JSON.stringify(value)} is compared with it`,
      hint: `write ${kind === 'text' ? 'a string, e.g. "de"' : kind === 'number' ? 'a number, e.g. 1' : 'true or false'}`,
    });
  }
}

function walk(node: unknown, at: string, depth: number, out: SchemaProblem[], count: { n: number }): void {
  count.n++;
  // The file may have failed the schema too: look only at what has the expected shape.
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const c = node as Condition;
  if (depth > MAX_DEPTH) {
    out.push({
      pointer: at,
      message: `conditions nest more than ${MAX_DEPTH} levels deep`,
      hint: 'flatten nested "all" inside "all" (or "any" inside "any") into one list',
    });
    return;
  }
  if ('all' in c) return list(c.all).forEach((x, i) => walk(x, `${at}/all/${i}`, depth + 1, out, count));
  if ('any' in c) return list(c.any).forEach((x, i) => walk(x, `${at}/any/${i}`, depth + 1, out, count));
  if ('not' in c) return walk(c.not, `${at}/not`, depth + 1, out, count);
  if ('field' in c || 'custom' in c) return comparison(c, at, out);
  if ('date' in c) {
    const used = (['olderThan', 'newerThan', 'before', 'after', 'exists'] as const).filter(
      (k) => c[k] !== undefined,
    );
    if (used.length === 0)
      out.push({
        pointer: at,
        message: `the date "${c.date}" is compared with nothing`,
        hint: 'add "olderThan", "newerThan", "before", "after" or "exists", e.g. "olderThan": "30 days"',
      });
    if (c.exists !== undefined && used.length > 1)
      out.push({
        pointer: `${at}/exists`,
        message: '"exists" cannot be combined with another comparison of the same date',
        hint: 'a comparison already requires the date to be set: drop "exists", or use {"all": [...]}',
      });
    for (const k of ['before', 'after'] as const) {
      const v = c[k];
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) && !realDate(v))
        out.push({
          pointer: `${at}/${k}`,
          message: `"${v}" is not a calendar date`,
          hint: 'check the month and day',
        });
    }
  }
}

/** Problems beyond the schema, each with its JSON pointer. */
export function semanticProblems(segment: Segment): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const count = { n: 0 };
  walk(segment.where, '/where', 0, out, count);
  if (count.n > MAX_CONDITIONS)
    out.push({
      pointer: '/where',
      message: `${count.n} conditions; a segment may have at most ${MAX_CONDITIONS}`,
      hint: 'use "in" lists instead of one condition per value, or split the audience into several segments',
    });
  return out;
}
