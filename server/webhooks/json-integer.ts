// A top-level integer field of a JSON text, as the digits the sender wrote. JSON.parse turns every number into a
// double, and an integer above 2^53 comes back rounded: Postmark's 64-bit event `ID` is one, and two events a
// few apart would share an id, the second dropped as a replay of the first (a bounce that is never applied).

/**
 * The digits of `key` when it is a key of the top-level object of `json` with an integer value; undefined when
 * it is absent, nested deeper, not an integer, or the text is not a JSON object.
 */
export function topLevelInteger(json: string, key: string): string | undefined {
  let depth = 0;
  const n = json.length;
  let i = 0;
  while (i < n && /\s/.test(json[i]!)) i++;
  if (json[i] !== '{') return undefined;
  let expectKey = false;
  while (i < n) {
    const ch = json[i]!;
    if (ch === '"') {
      const end = stringEnd(json, i);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        let j = end + 1;
        while (j < n && /\s/.test(json[j]!)) j++;
        if (json[j] !== ':') return undefined;
        j++;
        while (j < n && /\s/.test(json[j]!)) j++;
        if (name === key) {
          const m = /^-?(0|[1-9][0-9]*)(?![0-9.eE])/.exec(json.slice(j, j + 40));
          return m ? m[0] : undefined;
        }
        expectKey = false;
        i = j;
        continue;
      }
      i = end + 1;
      continue;
    }
    if (ch === '{') {
      depth++;
      expectKey = depth === 1;
    } else if (ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 1) expectKey = true;
    i++;
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
