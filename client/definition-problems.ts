// Schema errors of an automation definition, as one line each a marketer can act on. ajv's flat error list
// cannot tell which branch of a union an error belongs to once the schema recurses (custom-event steps nest
// inside branches), so a typo came out as 18 "must be equal to constant" lines. TypeBox's own error tree keeps
// every union's branches apart: we follow the branch the value was evidently meant to be, or say in one line
// which values or forms are allowed.
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { suggest, type SchemaProblem } from '../rules/problems';
import { Duration } from '../workflows/definitions';

const DURATION_PATTERN = (Duration.anyOf[0] as { pattern: string }).pattern;
const DURATION_HINT =
  'write a number and a unit, e.g. "90s", "15 minutes", "2 days" (units: ms, s/sec/second, m/min/minute, ' +
  'h/hr/hour, d/day, singular or plural), or a whole number of milliseconds such as 5000';

/** Patterns of workflows/definitions.ts without a description, in words. */
const PATTERN_HINTS: Partial<Record<string, string>> = {
  '^[a-z0-9][a-z0-9-]*$':
    'use lowercase letters, digits and "-", starting with a letter or digit, e.g. "trial-started"',
};

const KIND_MISMATCH = new Set([
  ValueErrorType.Object,
  ValueErrorType.Array,
  ValueErrorType.String,
  ValueErrorType.Integer,
  ValueErrorType.Number,
  ValueErrorType.Boolean,
  ValueErrorType.Null,
  ValueErrorType.Literal,
]);

const parentOf = (pointer: string) => pointer.slice(0, pointer.lastIndexOf('/'));
const lastToken = (pointer: string) =>
  pointer
    .slice(pointer.lastIndexOf('/') + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');

/** rules/problems' suggestion ("Did you mean …?") inside a sentence. */
export const lower = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

const propertyNames = (schema: TSchema): string[] =>
  Object.keys((schema.properties ?? {}) as Record<string, unknown>);

/** A value as it appears in a message: JSON, at most 60 characters. */
export function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** "type " for /steps/0/send/type; nothing for an array index. */
const named = (pointer: string) => {
  const token = lastToken(pointer);
  return token && !/^\d+$/.test(token) ? `${token} ` : '';
};

const isDuration = (schema: TSchema) =>
  Array.isArray(schema.anyOf) &&
  (schema.anyOf as TSchema[]).some((o) => o.type === 'string' && o.pattern === DURATION_PATTERN);

/** Errors of one branch that say the value is not of that branch's shape at all (vs. a detail inside it). */
function shapeMismatches(errors: ValueError[], at: string): number {
  return errors.filter((e) =>
    e.type === ValueErrorType.ObjectRequiredProperty || e.type === ValueErrorType.ObjectAdditionalProperties
      ? parentOf(e.path) === at
      : e.path === at && (KIND_MISMATCH.has(e.type) || e.type === ValueErrorType.Union),
  ).length;
}

/** How a union's forms read: `{ "send": … }` for a one-key object, else its type. */
function formOf(schema: TSchema): string {
  if (schema.type === 'object') {
    const keys = (schema.required as string[] | undefined) ?? propertyNames(schema);
    return `{ ${keys.map((k) => `"${k}": …`).join(', ')} }`;
  }
  if ('const' in schema) return JSON.stringify(schema.const);
  return String(schema.type ?? 'a value');
}

function union(e: ValueError): SchemaProblem[] {
  const options = (e.schema.anyOf ?? []) as TSchema[];
  if (isDuration(e.schema)) {
    return [
      {
        pointer: e.path,
        message: `${named(e.path)}${shown(e.value)} is not a duration`,
        hint: DURATION_HINT,
      },
    ];
  }
  // A single value where "one value or a list of them" is allowed: say which values, not which forms.
  const values = options.find(
    (o) => Array.isArray(o.anyOf) && (o.anyOf as TSchema[]).every((x) => 'const' in x),
  );
  if (values && !Array.isArray(e.value)) return union({ ...e, schema: values });
  if (options.length > 0 && options.every((o) => 'const' in o)) {
    const allowed = options.map((o) => o.const as unknown);
    const near = suggest(e.value, allowed).trim();
    return [
      {
        pointer: e.path,
        message: `${named(e.path)}${shown(e.value)} is not one of: ${allowed.map(String).join(', ')}`,
        hint: near ? lower(near) : 'use one of these',
      },
    ];
  }
  const branches = e.errors.map((it) => [...it]);
  const ranked = branches
    .map((errors) => ({ errors, shape: shapeMismatches(errors, e.path) }))
    .sort((a, b) => a.shape - b.shape || a.errors.length - b.errors.length);
  const best = ranked[0];
  if (best && best.shape === 0) return explain(best.errors);
  const keys = e.value && typeof e.value === 'object' && !Array.isArray(e.value) ? Object.keys(e.value) : [];
  const known = options.flatMap((o) => (o.type === 'object' ? propertyNames(o) : []));
  const near = keys.map((k) => (known.includes(k) ? '' : suggest(k, known).trim())).find(Boolean);
  return [
    {
      pointer: e.path,
      message: `${named(e.path)}${shown(e.value)} has none of the allowed forms`,
      hint: `write ${options.map(formOf).join(' or ')}${near ? `; ${lower(near)}` : ''}`,
    },
  ];
}

function single(e: ValueError): SchemaProblem {
  const value = shown(e.value);
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return {
        pointer: parentOf(e.path),
        message: `"${lastToken(e.path)}" is missing`,
        hint: `add "${lastToken(e.path)}"${e.schema.description ? ` (${String(e.schema.description)})` : ''}`,
      };
    case ValueErrorType.ObjectAdditionalProperties: {
      const name = lastToken(e.path);
      const allowed = propertyNames(e.schema);
      const near = suggest(name, allowed).trim();
      return {
        pointer: e.path,
        message: `unknown property "${name}"`,
        hint: near
          ? `${lower(near)} (allowed here: ${allowed.join(', ')})`
          : `remove it or fix its spelling; allowed here: ${allowed.join(', ')}`,
      };
    }
    case ValueErrorType.StringPattern:
      return {
        pointer: e.path,
        message: `${named(e.path)}${value} is not in the expected form`,
        hint: e.schema.description
          ? String(e.schema.description)
          : (PATTERN_HINTS[String(e.schema.pattern)] ??
            `it must match the pattern ${String(e.schema.pattern)}`),
      };
    case ValueErrorType.StringMinLength:
      return { pointer: e.path, message: `${named(e.path)}is empty`, hint: 'write a value' };
    case ValueErrorType.ArrayMinItems:
      return {
        pointer: e.path,
        message: `${named(e.path)}needs at least ${String(e.schema.minItems)} entr${e.schema.minItems === 1 ? 'y' : 'ies'}`,
        hint: 'add one',
      };
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return {
        pointer: e.path,
        message: `${named(e.path)}${value} is too small`,
        hint: `write ${String(e.schema.minimum)} or more`,
      };
    case ValueErrorType.Literal:
      return {
        pointer: e.path,
        message: `${named(e.path)}${value} is not allowed here`,
        hint: `write ${JSON.stringify(e.schema.const)}`,
      };
    default:
      if (KIND_MISMATCH.has(e.type)) {
        const type = String(e.schema.type);
        return {
          pointer: e.path,
          message: `${named(e.path)}must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}, found ${value}`,
          hint: `write ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} here`,
        };
      }
      return {
        pointer: e.path,
        message: `${named(e.path)}${value}: ${e.message}`,
        hint: 'see docs/automations.md',
      };
  }
}

function explain(errors: ValueError[]): SchemaProblem[] {
  // A missing property is also reported as "undefined is not an object" at its own path: once is enough.
  const missing = new Set(
    errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path),
  );
  // "stpes" unknown and "steps" missing is one typo: report the unknown property with the fix only.
  const misspelt = new Set<string>();
  for (const e of errors) {
    if (e.type !== ValueErrorType.ObjectAdditionalProperties) continue;
    const siblings = [...missing].filter((m) => parentOf(m) === parentOf(e.path)).map(lastToken);
    const near = /"(.*)"/.exec(suggest(lastToken(e.path), siblings))?.[1];
    if (near !== undefined) misspelt.add(`${parentOf(e.path)}/${near}`);
  }
  return errors
    .filter((e) =>
      e.type === ValueErrorType.ObjectRequiredProperty ? !misspelt.has(e.path) : !missing.has(e.path),
    )
    .flatMap((e) => (e.type === ValueErrorType.Union ? union(e) : [single(e)]));
}

/** Every problem of `value` against `schema`, one per thing to fix. */
export function explainSchemaErrors(schema: TSchema, value: unknown): SchemaProblem[] {
  const seen = new Set<string>();
  return explain([...Value.Errors(schema, value)]).filter((p) => {
    const key = `${p.pointer}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
