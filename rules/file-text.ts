// From the bytes of a rule file to its JSON value, or a problem a marketer can act on. Editors save files
// in ways that are invisible on screen: a byte-order mark (accepted, as every editor does), UTF-16 (named),
// a no-break space pasted from a web page (named by its code point), an empty file (said so).
import { jsonErrorOffset } from './json-position';

export interface TextProblem {
  pointer: string;
  message: string;
  hint: string;
}

const INVISIBLE: Record<number, string> = {
  0x00a0: 'no-break space',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x2060: 'word joiner',
  0xfeff: 'byte-order mark',
  0x00ad: 'soft hyphen',
  0x3000: 'ideographic space',
};

/** "U+00A0 (no-break space)" for characters a person cannot see; undefined for ordinary ones. */
function invisible(ch: string): string | undefined {
  const code = ch.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (INVISIBLE[code]) return `${hex} (${INVISIBLE[code]})`;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `${hex} (a control character)`;
  if ((code >= 0x2000 && code <= 0x200f) || code === 0x202f || code === 0x205f)
    return `${hex} (a special space)`;
  if (code === 0xfffd) return `${hex} (a byte that is not UTF-8)`;
  return undefined;
}

export function decodeRuleFile(bytes: Buffer): { text?: string; problem?: TextProblem } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      problem: {
        pointer: '',
        message: 'is saved as UTF-16 text, which the rules do not read',
        hint: 'Save the file again as UTF-8 (in most editors: "Save with encoding" or "Encoding: UTF-8").',
      },
    };
  }
  let text = bytes.toString('utf8');
  // A UTF-8 byte-order mark is how some editors (Notepad, Excel exports) save JSON; it carries nothing.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text };
}

export function parseRuleFile(text: string): { value?: unknown; problem?: TextProblem } {
  if (text.trim() === '') {
    return {
      problem: {
        pointer: '',
        message: 'is empty',
        hint: 'Write the rule file (it starts with { "kind": ... }), or delete the file if it is not needed.',
      },
    };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    const offset = Math.max(0, jsonErrorOffset(text));
    const before = text.slice(0, offset);
    const where = `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    if (offset >= text.length) {
      return {
        problem: {
          pointer: '',
          message: `is not valid JSON (${where}): the file ends before every { and [ is closed`,
          hint: 'Add the missing } or ] at the end, or restore the file from the default rules.',
        },
      };
    }
    const ch = String.fromCodePoint(text.codePointAt(offset)!);
    const hidden = invisible(ch);
    return {
      problem: {
        pointer: '',
        message: hidden
          ? `is not valid JSON (${where}): an invisible character ${hidden}`
          : `is not valid JSON (${where}): unexpected ${JSON.stringify(ch)}`,
        hint: hidden
          ? 'Delete the invisible character there (it often comes with text pasted from a web page or a word processor); retype the spaces by hand.'
          : 'Fix the syntax: double quotes around names and strings, commas between entries, none after the last.',
      },
    };
  }
}
