// Phone numbers checked against libphonenumber's numbering plans: the country calling code must exist and
// the national number must have a length that country uses. The lengths are read once from the library's
// metadata into a table, so the import's hot path is a map lookup rather than a full parse (a parse cost
// ~30 µs a number, as much as validating the rest of the row); rare codes fall back to the full parse.
import { getCountries, Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import metadata from 'libphonenumber-js/metadata.min.json';

let lengths: Map<string, number[]> | null = null;

function lengthTable(): Map<string, number[]> {
  if (lengths) return lengths;
  lengths = new Map();
  const countries = new Set<string>(getCountries());
  // A calling code shared by several countries (+1, +7, +44...) follows its main country's plan (listed
  // first), as the library's own isPossible() does.
  for (const [code, list] of Object.entries(metadata.country_calling_codes)) {
    const main = list[0];
    if (!main || !countries.has(main)) continue;
    const plan = new Metadata();
    plan.selectNumberingPlan(main);
    lengths.set(code, plan.numberingPlan?.possibleLengths() ?? []);
  }
  return lengths;
}

export type PhoneProblem =
  { kind: 'country'; code: string } | { kind: 'length'; code: string; expected: number[] };

/** Null when `e164` ("+" and digits) is a possible number; otherwise what is wrong with it. */
export function phoneProblem(e164: string): PhoneProblem | null {
  const digits = e164.slice(1);
  const table = lengthTable();
  for (let i = 1; i <= 3 && i < digits.length; i++) {
    const code = digits.slice(0, i);
    const expected = table.get(code);
    if (!expected) continue;
    return expected.includes(digits.length - i) ? null : { kind: 'length', code, expected };
  }
  // Non-geographic codes (+800, +882...) are not in the table: ask the library itself.
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed?.isPossible()) return null;
  return parsed
    ? { kind: 'length', code: parsed.countryCallingCode, expected: [] }
    : { kind: 'country', code: digits.slice(0, 3) };
}
