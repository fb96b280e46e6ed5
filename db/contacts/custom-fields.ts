// Typed custom fields, the eight kinds of the Altcraft profile page. A field is defined once (name, kind,
// enum options); every write of a value is checked against its definition.
import { DateTime } from 'luxon';
import type { Pool, PoolClient } from '../pool';
import { ContactFieldError } from './errors';

export const CUSTOM_FIELD_KINDS = [
  'number',
  'float',
  'line',
  'date',
  'boolean',
  'enum',
  'ip',
  'tags',
] as const;
export type CustomFieldKind = (typeof CUSTOM_FIELD_KINDS)[number];
export type CustomFieldScope = 'profile' | 'subscription';
export type CustomValue = number | string | boolean | string[] | null;

export interface CustomFieldDefinition {
  scope: CustomFieldScope;
  name: string;
  kind: CustomFieldKind;
  options?: string[];
}

type Queryable = Pool | PoolClient;

export async function defineCustomField(pool: Queryable, def: CustomFieldDefinition): Promise<void> {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(def.name)) {
    throw new ContactFieldError(
      'name',
      `"${def.name}" is not a field name (lower-case letter, then letters, digits or "_")`,
    );
  }
  if (!(CUSTOM_FIELD_KINDS as readonly string[]).includes(def.kind)) {
    throw new ContactFieldError(
      'kind',
      `"${def.kind}" is not a field kind (one of ${CUSTOM_FIELD_KINDS.join(', ')})`,
    );
  }
  const options = def.kind === 'enum' ? (def.options ?? []).map((o) => o.trim()).filter(Boolean) : null;
  if (options && options.length === 0) {
    throw new ContactFieldError(
      'options',
      'an enum field needs its options, comma-separated (e.g. --options basic,pro)',
    );
  }
  const { rows } = await pool.query<{ kind: string }>(
    `INSERT INTO custom_fields (scope, name, kind, options) VALUES ($1, $2, $3, $4)
     ON CONFLICT (scope, name) DO UPDATE SET options = EXCLUDED.options
       WHERE custom_fields.kind = EXCLUDED.kind
     RETURNING kind`,
    [def.scope, def.name, def.kind, options],
  );
  if (rows.length === 0) {
    throw new ContactFieldError(
      'kind',
      `field "${def.name}" already exists with another kind; values already stored depend on it`,
    );
  }
}

export async function loadCustomFields(
  pool: Queryable,
  scope: CustomFieldScope,
): Promise<Map<string, CustomFieldDefinition>> {
  const { rows } = await pool.query<CustomFieldDefinition>(
    `SELECT scope, name, kind, options FROM custom_fields WHERE scope = $1 ORDER BY name`,
    [scope],
  );
  return new Map(rows.map((r) => [r.name, { ...r, options: r.options ?? undefined }]));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Checks one value against its field's kind and returns the stored form (null clears the field). */
export function coerceCustomValue(
  def: CustomFieldDefinition,
  raw: unknown,
  field = `custom.${def.name}`,
): CustomValue {
  if (raw === null || raw === undefined || raw === '') return null;
  const text: unknown = typeof raw === 'string' ? raw.trim() : raw;
  const bad = (expected: string): never => {
    throw new ContactFieldError(
      field,
      `${JSON.stringify(raw)} is not ${expected} (field kind "${def.kind}")`,
    );
  };
  switch (def.kind) {
    case 'number': {
      const n =
        typeof text === 'number'
          ? text
          : typeof text === 'string' && /^[+-]?\d+$/.test(text)
            ? Number(text)
            : NaN;
      if (!Number.isSafeInteger(n)) bad('an integer');
      return n;
    }
    case 'float': {
      const n =
        typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : NaN;
      if (!Number.isFinite(n)) bad('a number');
      return n;
    }
    case 'line': {
      const line = typeof text === 'string' ? text : typeof text === 'number' ? String(text) : bad('text');
      if (line.length > 1000) bad('text of at most 1000 characters');
      return line;
    }
    case 'date': {
      if (
        typeof text !== 'string' ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)
      ) {
        return bad('an RFC 3339 date-time (e.g. 2019-08-22T00:00:00.000Z)');
      }
      const d = DateTime.fromISO(text, { setZone: true });
      if (!d.isValid) bad('a real date-time');
      return d.toUTC().toISO();
    }
    case 'boolean': {
      if (typeof text === 'boolean') return text;
      const s = typeof text === 'string' || typeof text === 'number' ? String(text).toLowerCase() : '';
      if (['true', 'yes', '1'].includes(s)) return true;
      if (['false', 'no', '0'].includes(s)) return false;
      return bad('true/false (or yes/no)');
    }
    case 'enum':
      if (typeof text !== 'string' || !def.options?.includes(text)) bad(`one of ${def.options?.join(', ')}`);
      return text as string;
    case 'ip':
      if (typeof text !== 'string' || !IPV4.test(text)) bad('an IPv4 address (e.g. 127.0.0.1)');
      return text as string;
    case 'tags': {
      const list = Array.isArray(text)
        ? text
        : typeof text === 'string'
          ? text.split(/[,|;]/)
          : bad('a list of tags');
      const tags = [
        ...new Set(list.map((t) => (typeof t === 'string' ? t.trim() : bad('a list of text tags')))),
      ].filter(Boolean);
      if (tags.some((t) => /[,|;]/.test(t))) bad('tags without "," "|" or ";" inside a tag');
      return tags;
    }
  }
}

/** Merges checked values into an existing custom object; unknown names are refused with how to define them. */
export function applyCustomValues(
  defs: Map<string, CustomFieldDefinition>,
  current: Record<string, unknown>,
  values: Record<string, unknown>,
  scope: CustomFieldScope = 'profile',
): Record<string, unknown> {
  const next = { ...current };
  for (const [name, raw] of Object.entries(values)) {
    const def = defs.get(name);
    if (!def) {
      throw new ContactFieldError(
        `custom.${name}`,
        `no ${scope} custom field "${name}" is defined (define it first: consentflow contacts fields define ${name} KIND${scope === 'subscription' ? ' --scope subscription' : ''})`,
      );
    }
    const value = coerceCustomValue(def, raw);
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
}
