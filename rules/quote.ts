// Bounded quoting of user values in error messages. A wrong value may be megabytes long or nested thousands
// of levels deep; an error line must still be short, built in time linear in what it shows, and never recurse
// deeper than a few levels (JSON.stringify of a deep value overflows the stack).

/** Characters of a string shown before it is cut. */
export const QUOTE_CHARS = 60;
/** Items of an array or entries of an object shown. */
const QUOTE_ITEMS = 8;
/** Levels of nesting shown; deeper values read as […] or {…}. */
const QUOTE_DEPTH = 3;

const count = (n: number) => n.toLocaleString('en-US');

/** The first `max` characters of `text`, without cutting a surrogate pair in half. */
function head(text: string, max: number): string {
  let end = Math.min(max, text.length);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

function show(value: unknown, depth: number): string {
  if (typeof value === 'string') {
    return value.length > QUOTE_CHARS
      ? `${JSON.stringify(head(value, QUOTE_CHARS)).slice(0, -1)}…"`
      : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (depth >= QUOTE_DEPTH) return '[…]';
    const items = value.slice(0, QUOTE_ITEMS).map((v: unknown) => show(v, depth + 1));
    return `[${items.join(',')}${value.length > QUOTE_ITEMS ? ',…' : ''}]`;
  }
  if (typeof value === 'object') {
    const keys: string[] = [];
    for (const k in value) {
      if (keys.length > QUOTE_ITEMS) break;
      if (Object.prototype.hasOwnProperty.call(value, k)) keys.push(k);
    }
    if (keys.length === 0) return '{}';
    if (depth >= QUOTE_DEPTH) return '{…}';
    const entries = keys
      .slice(0, QUOTE_ITEMS)
      .map((k) => `${show(k, QUOTE_DEPTH)}:${show((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(',')}${keys.length > QUOTE_ITEMS ? ',…' : ''}}`;
  }
  return typeof value; // undefined, a function or a symbol: not JSON
}

/**
 * A value as JSON for an error message, cut when long: strings after 60 characters, arrays and objects after
 * 8 entries and 3 levels. A cut value says how long it was: `"abc…" (1,000,000 characters)`.
 */
export function quote(value: unknown): string {
  const text = show(value, 0);
  if (typeof value === 'string' && value.length > QUOTE_CHARS)
    return `${text} (${count(value.length)} characters)`;
  if (Array.isArray(value) && value.length > QUOTE_ITEMS) return `${text} (${count(value.length)} items)`;
  return text;
}

/** Plain text (a property name, a parser message) cut to `max` characters, with its length when cut. */
export function clip(text: string, max = QUOTE_CHARS): string {
  return text.length > max ? `${head(text, max)}… (${count(text.length)} characters)` : text;
}

/** A JSON pointer whose segments are cut like quoted strings: still readable, never megabytes long. */
export function boundPointer(pointer: string): string {
  if (pointer.length <= 4 * QUOTE_CHARS) return pointer;
  return pointer
    .split('/')
    .map((segment) => (segment.length > QUOTE_CHARS ? `${head(segment, QUOTE_CHARS)}…` : segment))
    .join('/');
}
