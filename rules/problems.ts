// Turns ajv's raw errors into problems a person can act on: where (JSON pointer), what, and how to fix.
// Unions (TypeBox anyOf) would otherwise yield one error per branch; we keep the branch the value was
// evidently meant to be, or say in one line which forms are allowed.
import type { ErrorObject } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { boundPointer, clip, quote } from './quote';
import { compileSchema } from './schema-compile';

export { compileSchema };

export interface SchemaProblem {
  pointer: string;
  message: string;
  hint: string;
}

export function validateAgainst(schema: TSchema, value: unknown): SchemaProblem[] {
  const fn = compileSchema(schema);
  if (fn(value)) return [];
  return describeErrors(fn.errors ?? []);
}

const SHAPE = new Set(['required', 'additionalProperties', 'type', 'const', 'enum']);

function branchOf(error: ErrorObject, parent: ErrorObject): string {
  return error.schemaPath.slice(parent.schemaPath.length + 1).split('/')[0] ?? '';
}

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

// An error belongs to a union when it is inside both its schema and its data: every item of an array shares
// the item schema's path, so the schema path alone would give item 3's union the errors of all items.
const inside = (e: ErrorObject, u: ErrorObject) =>
  e.schemaPath.startsWith(`${u.schemaPath}/`) && under(e.instancePath, u.instancePath);

/**
 * The errors inside each union, found through an index by data path instead of a scan of every error per
 * union: a request with thousands of wrong array items must take time linear in its errors, not quadratic.
 */
function errorsInside(errors: ErrorObject[], unions: ErrorObject[]): Map<ErrorObject, ErrorObject[]> {
  const order = errors
    .map((_, i) => i)
    .sort((a, b) => {
      const x = errors[a]!.instancePath;
      const y = errors[b]!.instancePath;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  const found = new Map<ErrorObject, ErrorObject[]>();
  for (const u of unions) {
    const base = u.instancePath;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (errors[order[mid]!]!.instancePath < base) lo = mid + 1;
      else hi = mid;
    }
    const hits: number[] = [];
    for (let k = lo; k < order.length && errors[order[k]!]!.instancePath.startsWith(base); k++) {
      const e = errors[order[k]!]!;
      if (e !== u && inside(e, u)) hits.push(order[k]!);
    }
    found.set(
      u,
      hits.sort((a, b) => a - b).map((i) => errors[i]!),
    );
  }
  return found;
}

function simplify(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  if (unions.length === 0) return errors;
  // A union is outer when no other union holds it; only unions at a prefix of its data path can.
  const byPath = new Map<string, ErrorObject[]>();
  for (const u of unions) byPath.set(u.instancePath, [...(byPath.get(u.instancePath) ?? []), u]);
  const outer = unions.filter((u) => {
    const path = u.instancePath;
    for (let cut = path.length; cut >= 0; cut = cut === 0 ? -1 : path.lastIndexOf('/', cut - 1)) {
      for (const o of byPath.get(path.slice(0, Math.max(cut, 0))) ?? [])
        if (o !== u && inside(u, o)) return false;
    }
    return true;
  });
  const held = errorsInside(errors, outer);
  const consumed = new Set<ErrorObject>(outer);
  for (const list of held.values()) for (const e of list) consumed.add(e);
  const out = errors.filter((e) => !consumed.has(e));
  for (const union of outer) {
    const branches = new Map<string, ErrorObject[]>();
    for (const e of held.get(union)!) {
      const key = branchOf(e, union);
      const list = branches.get(key);
      if (list) list.push(e);
      else branches.set(key, [e]);
    }
    const mismatch = (errs: ErrorObject[]) =>
      errs.filter((e) => e.instancePath === union.instancePath && SHAPE.has(e.keyword)).length;
    const ranked = [...branches.values()].sort((a, b) => mismatch(a) - mismatch(b) || a.length - b.length);
    const best = ranked[0];
    if (best && mismatch(best) === 0) {
      out.push(...simplify(best));
      continue;
    }
    const options = (union.parentSchema as { anyOf?: TSchema[] } | undefined)?.anyOf ?? [];
    if (options.length > 0 && options.every((o) => 'const' in o)) {
      out.push({
        ...union,
        keyword: 'enum',
        params: { allowedValues: options.map((o) => o.const as unknown) },
      });
    } else {
      const forms = options.map((o) => o.title ?? (o.type as string | undefined) ?? '?');
      out.push({ ...union, keyword: 'oneForm', params: { forms } });
    }
  }
  return out;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** "did you mean X?" when a near miss exists, for typos in ids and property names. */
export function suggest(value: unknown, options: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  let best: string | undefined;
  let bestDistance = Infinity;
  const allowed = Math.max(2, Math.floor(value.length / 3));
  for (const o of options) {
    // The distance is at least the difference in length: a long value is no typo of a short id.
    if (typeof o !== 'string' || Math.abs(o.length - value.length) > allowed) continue;
    const d = levenshtein(value.toLowerCase(), o.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return best !== undefined && bestDistance <= allowed ? ` Did you mean "${best}"?` : '';
}

const list = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

// Values and names from the input are quoted with quote()/clip(): a wrong value may be megabytes long or
// nested thousands of levels deep, and the problem must stay one short line.
function describe(e: ErrorObject): SchemaProblem {
  const pointer = boundPointer(e.instancePath);
  const schema = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'enum': {
      const allowed = p.allowedValues as unknown[];
      return {
        pointer,
        message: `${quote(e.data)} is not allowed here`,
        hint: `Use one of ${list(allowed)}.${suggest(e.data, allowed)}`,
      };
    }
    case 'oneForm':
      return {
        pointer,
        message: 'does not have any of the allowed forms',
        hint: `Write ${(p.forms as string[]).join(' or ')}.`,
      };
    case 'required':
      return {
        pointer,
        message: `"${String(p.missingProperty)}" is missing`,
        hint: `Add "${String(p.missingProperty)}".`,
      };
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys(schema.properties ?? {});
      return {
        pointer: boundPointer(`${e.instancePath}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`),
        message: `${quote(name)} is not a known property`,
        hint: `Remove it or fix its spelling; allowed here: ${allowed.join(', ') || 'none'}.${suggest(name, allowed)}`,
      };
    }
    case 'type':
      return {
        pointer,
        message: `must be ${String(p.type)}, found ${quote(e.data)}`,
        hint: `Write a ${String(p.type)} here.`,
      };
    case 'const':
      return {
        pointer,
        message: `must be ${JSON.stringify(p.allowedValue)}`,
        hint: `Write ${JSON.stringify(p.allowedValue)}.`,
      };
    case 'pattern':
    case 'format':
      return {
        pointer,
        message: `${quote(e.data)} is not in the expected form`,
        hint: schema.description ?? `It must match ${String(p.pattern ?? p.format)}.`,
      };
    case 'uniqueItems':
      return {
        pointer,
        message: 'has the same entry twice',
        hint: `Remove the repeated entry (items ${String(p.j)} and ${String(p.i)}).`,
      };
    case 'minItems':
      return { pointer, message: 'is empty', hint: 'List at least one entry, or remove the whole block.' };
    case 'minLength':
      return { pointer, message: 'is empty', hint: 'Write a value.' };
    default:
      return {
        pointer,
        message: clip(e.message ?? e.keyword, 200),
        hint: schema.description ?? 'See the schema in rules/schema.',
      };
  }
}

export function describeErrors(errors: ErrorObject[]): SchemaProblem[] {
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of simplify(errors)) {
    const problem = describe(e);
    const key = `${problem.pointer}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}
