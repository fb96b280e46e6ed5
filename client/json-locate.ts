// Line and column for what a validator reports about a JSON file. A marketer's editor jumps to "12:9"; it
// cannot jump to "position 54" or to a JSON pointer. Syntax errors reuse the rule loader's scanner.
import { jsonErrorOffset } from '../rules/json-position';

export interface LineColumn {
  line: number;
  column: number;
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): LineColumn {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: before.length - lastBreak };
}

/** Where JSON text goes wrong and what is there, or undefined when the text is valid JSON. */
export function jsonSyntaxError(text: string): (LineColumn & { found: string }) | undefined {
  const offset = jsonErrorOffset(text);
  if (offset < 0) return undefined;
  const found =
    offset < text.length ? `unexpected ${JSON.stringify(text[offset])}` : 'the text ends too early';
  return { ...lineColumnAt(text, offset), found };
}

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Offset of what a JSON pointer names in valid JSON text: the member's name for an object member (so an
 * unknown property points at itself), the value for an array item. Where the pointer leaves the document (a
 * missing property), the deepest part that exists.
 */
export function pointerOffset(text: string, pointer: string): number {
  const tokens = pointer === '' ? [] : pointer.split('/').slice(1).map(unescape);
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = (): void => {
    ws();
    const open = text[i];
    if (open === '"') return skipString();
    if (open !== '{' && open !== '[') {
      while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
      return;
    }
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        skipString();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      if (c === '}' || c === ']') depth--;
      i++;
      if (depth === 0) return;
    }
  };
  ws();
  let found = i;
  for (const token of tokens) {
    if (text[i] === '{') {
      i++;
      let hit = false;
      while (!hit) {
        ws();
        if (text[i] !== '"') return found;
        const keyAt = i;
        skipString();
        const key = JSON.parse(text.slice(keyAt, i)) as string;
        ws();
        i++; // ':'
        ws();
        if (key === token) {
          hit = true;
          found = keyAt;
        } else {
          skipValue();
          ws();
          if (text[i] !== ',') return found;
          i++;
        }
      }
    } else if (text[i] === '[') {
      const index = Number(token);
      i++;
      for (let n = 0; ; n++) {
        ws();
        if (text[i] === ']' || i >= text.length) return found;
        if (n === index) break;
        skipValue();
        ws();
        if (text[i] !== ',') return found;
        i++;
      }
      found = i;
    } else {
      return found;
    }
  }
  return found;
}
