// Which file column feeds which contact field. The header is checked before any row is written: unknown
// columns are fatal unless the operator ignores them or maps them onto known ones (--map "E-mail=email"),
// and the error names a few of them, not all ten thousand.
import type { CustomFieldDefinition } from '../custom-fields';
import type { ContactInput } from '../types';
import { ImportInputError, STANDARD_COLUMNS, type ImportFormat } from './source';

const KNOWN = new Set<string>(STANDARD_COLUMNS);
/** How many names an error lists before "and N more". */
const SHOWN = 5;

export interface ColumnPlan {
  /** Lower-cased file column -> import column. */
  rename: Map<string, string>;
  ignoreUnknown: boolean;
  /** Unknown columns skipped so far (lower-cased, in order of appearance). */
  ignored: Set<string>;
}

export function listSome(names: string[], shown = SHOWN): string {
  const head = names
    .slice(0, shown)
    .map((n) => `"${n}"`)
    .join(', ');
  const more = names.length - shown;
  return more > 0 ? `${head} and ${more.toLocaleString('en-US')} more` : head;
}

function isKnown(column: string, custom: Map<string, CustomFieldDefinition>, format: ImportFormat): boolean {
  return (
    KNOWN.has(column) ||
    (column.startsWith('custom.') && custom.has(column.slice(7))) ||
    (format === 'jsonl' && (column === 'custom' || column === 'subscriptions'))
  );
}

/** Checks every mapping's target before the file is opened. */
export function planColumns(
  options: { map?: Record<string, string>; ignoreUnknownColumns?: boolean },
  custom: Map<string, CustomFieldDefinition>,
  format: ImportFormat,
): ColumnPlan {
  const rename = new Map<string, string>();
  for (const [from, to] of Object.entries(options.map ?? {})) {
    const target = to.trim().toLowerCase();
    if (!from.trim() || !isKnown(target, custom, format)) {
      throw new ImportInputError(
        `--map "${from}=${to}": "${to}" is not a column the import knows; map onto one of ` +
          `${STANDARD_COLUMNS.join(', ')}, or custom.NAME for a defined custom field`,
      );
    }
    rename.set(from.trim().toLowerCase(), target);
  }
  return { rename, ignoreUnknown: !!options.ignoreUnknownColumns, ignored: new Set() };
}

/** The header (CSV) or first object's keys (JSON Lines), lower-cased; throws for unusable columns. */
export function checkHeader(
  columns: string[],
  plan: ColumnPlan,
  custom: Map<string, CustomFieldDefinition>,
  format: ImportFormat,
  label: string,
): void {
  if (format === 'csv') {
    const missing = [...plan.rename.keys()].filter((c) => !columns.includes(c));
    if (missing.length) {
      throw new ImportInputError(
        `--map names column${missing.length > 1 ? 's' : ''} ${listSome(missing)} that ${label} does not have; ` +
          `its header has ${listSome(columns)}`,
      );
    }
  }
  const seen = new Map<string, string>();
  const unknown: string[] = [];
  for (const c of columns) {
    const target = plan.rename.get(c) ?? c;
    if (!isKnown(target, custom, format)) {
      unknown.push(c);
      continue;
    }
    const other = seen.get(target);
    if (other !== undefined) {
      throw new ImportInputError(
        `${label}: columns "${other}" and "${c}" both give ${target}; remove or rename one of them`,
      );
    }
    seen.set(target, c);
  }
  if (unknown.length && plan.ignoreUnknown) unknown.forEach((c) => plan.ignored.add(c));
  else if (unknown.length) {
    const undefinedCustom = unknown.find((c) => c.startsWith('custom.'));
    throw new ImportInputError(
      `${label} has ${unknown.length.toLocaleString('en-US')} unknown column${unknown.length > 1 ? 's' : ''}: ${listSome(unknown)}. ` +
        `Known columns: ${STANDARD_COLUMNS.join(', ')}, and custom.NAME for defined custom fields` +
        (undefinedCustom
          ? ` (define one with: consentflow contacts fields define ${undefinedCustom.slice(7)} KIND)`
          : '') +
        '. Rename them, map them (--map "E-mail=email") or skip them (--ignore-unknown-columns).',
    );
  }
  if (format === 'csv' && !columns.some((c) => ['email', 'phone', 'id'].includes(plan.rename.get(c) ?? c))) {
    throw new ImportInputError(
      `${label} has no email, phone or id column, so no row could name its contact; add one of them` +
        (columns.length === 1 && columns[0]!.length > 20
          ? ' (if the header is one long name, the file uses a separator other than , ; tab or |: pass --delimiter)'
          : ''),
    );
  }
}

/** One row's values as a ContactInput, or the name of the first unknown field (JSON Lines rows vary). */
export function toInput(
  values: Record<string, unknown>,
  plan: ColumnPlan,
  custom: Map<string, CustomFieldDefinition>,
): ContactInput | string {
  const input: ContactInput & Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  for (const [rawKey, v] of Object.entries(values)) {
    const lower = rawKey.toLowerCase();
    const key = plan.rename.get(lower) ?? lower;
    if (key.startsWith('custom.') && custom.has(key.slice(7))) fields[key.slice(7)] = v;
    else if (key === 'custom' && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(fields, v);
    else if (KNOWN.has(key) || key === 'subscriptions' || key === 'custom') input[key] = v;
    else if (plan.ignoreUnknown) plan.ignored.add(lower);
    else return key;
  }
  if (Object.keys(fields).length) input.custom = fields;
  return input;
}
