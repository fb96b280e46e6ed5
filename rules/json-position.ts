// Where JSON text goes wrong, and how deep it nests. Node's JSON.parse does not always say where (e.g.
// "Unexpected token ','"), and a marketer editing a rule file needs a line and column. Both scans are
// iterative and linear: a text nested a million levels deep must not overflow the stack.

/**
 * Deepest nesting of arrays and objects any JSON input may have (requests, rule files). A request is about 5
 * levels deep, a rule file about 10; anything beyond 64 is a mistake or an attack, and every walker over
 * user JSON (validators, error messages, hashing) can then recurse safely.
 */
export const MAX_JSON_DEPTH = 64;

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Offset of the first `[` or `{` that opens level `max + 1`, or -1 when `text` never nests deeper than `max`.
 * Brackets inside strings do not count; the text need not be valid JSON.
 */
export function jsonDepthOffset(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote with the native indexOf (most of a request is strings): the first quote
      // not escaped by an odd run of backslashes. Without one, nothing deeper follows.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end === -1) return -1;
        let b = end - 1;
        while (text.charCodeAt(b) === 0x5c /* \ */) b--;
        if ((end - 1 - b) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return -1;
}

class JsonStop extends Error {
  constructor(readonly at: number) {
    super(`invalid JSON at ${at}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset of the first character that makes `text` invalid JSON, or -1 when it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && SPACE.has(text.charCodeAt(i))) i++;
  };
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail());
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  // The containers still open, innermost last: an explicit stack instead of recursion.
  const open: Array<'{' | '['> = [];
  /** Reads one value: a scalar, or the opening of containers down to their first scalar or empty one. */
  const value = (): void => {
    for (;;) {
      ws();
      const c = text[i];
      if (c === '{') {
        i++;
        ws();
        if (text[i] === '}') return void i++;
        open.push('{');
        key();
        continue;
      }
      if (c === '[') {
        i++;
        ws();
        if (text[i] === ']') return void i++;
        open.push('[');
        continue;
      }
      if (c === '"') return string();
      if (c === 't') return void literal('true');
      if (c === 'f') return void literal('false');
      if (c === 'n') return void literal('null');
      if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
      fail();
    }
  };
  const key = (): void => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  try {
    value();
    // After each complete value: a comma and the next entry, or the close of the innermost container.
    while (open.length > 0) {
      const top = open[open.length - 1]!;
      ws();
      if (text[i] === ',') {
        i++;
        if (top === '{') key();
        value();
      } else if (text[i] === (top === '{' ? '}' : ']')) {
        i++;
        open.pop();
      } else fail();
    }
    ws();
    return i < text.length ? i : -1;
  } catch (err) {
    return err instanceof JsonStop ? Math.min(err.at, text.length) : 0;
  }
}
