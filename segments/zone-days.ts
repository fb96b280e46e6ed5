// The contact's local calendar day at the decision instant, worked out here once per time zone instead of in
// SQL once per contact and condition: `AT TIME ZONE` for every contact and every date condition was most of a
// segment query's cost at a million contacts. A query gets a JSON object zone → { d: local date (+ inDays),
// md: the month-days whose anniversary falls on it }: Feb 29 joins Feb 28 in a year without Feb 29.
import { DateTime } from 'luxon';

/** The IANA zones PostgreSQL may be given: the runtime's canonical names (all known to PostgreSQL's tzdata). */
export const KNOWN_ZONES: readonly string[] = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])];

export interface ZoneDay {
  d: string;
  md: string[];
}

let last: { key: string; value: Record<string, ZoneDay> } | undefined;

function dayIn(zone: string, at: Date, inDays: number): ZoneDay {
  const t = DateTime.fromJSDate(at, { zone }).startOf('day').plus({ days: inDays });
  const md = [t.toFormat('MM-dd')];
  if (md[0] === '02-28' && !t.isInLeapYear) md.push('02-29');
  return { d: t.toISODate()!, md };
}

/** zone → its local day at `at` (+ inDays), for every known zone and `fallback`. Remembers the last answer. */
export function zoneDays(at: Date, inDays: number, fallback: string): Record<string, ZoneDay> {
  const key = `${at.getTime()}|${inDays}|${fallback}`;
  if (last?.key === key) return last.value;
  const value: Record<string, ZoneDay> = {};
  for (const zone of KNOWN_ZONES) value[zone] = dayIn(zone, at, inDays);
  value[fallback] ??= dayIn(fallback, at, inDays);
  last = { key, value };
  return value;
}
