// Options an API caller passes to importContacts, checked before the file is opened. (The CLI checks its
// flags itself, with the flag names in the message; these guard callers that build the options in code.)
import type { Delimiter } from './csv';
import { ImportInputError } from './source';

/** A whole number of at least 1, or the default when absent. */
export function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ImportInputError(
      `${name} must be a whole number of at least 1 (got ${String(value)}); leave it out for the default ${fallback}`,
    );
  }
  return value;
}

const NAMES: Record<string, Delimiter> = {
  ',': ',',
  ';': ';',
  '\t': '\t',
  '|': '|',
  comma: ',',
  semicolon: ';',
  tab: '\t',
  '\\t': '\t',
  pipe: '|',
};

/** The CSV separator a person typed (a character or its name); undefined means guess from the header. */
export function parseDelimiter(raw: string | undefined): Delimiter | undefined {
  if (raw === undefined || raw === '') return undefined;
  const d = NAMES[raw.toLowerCase()] ?? NAMES[raw];
  if (!d) {
    throw new ImportInputError(
      `delimiter "${raw}" is not usable; give one of , ; tab | (or comma, semicolon, tab, pipe), or leave it out to detect it from the header`,
    );
  }
  return d;
}
