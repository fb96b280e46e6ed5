// Quiet-hours windows: the local hours marketing may go out, per region and channel, optionally per state
// (subdivisions), per weekday (days) and with local dates off (closedOn). Building them from the files with
// every problem a marketer can make, and the local-time arithmetic both evaluators share.
import type { IANAZone } from 'luxon';
import type { Channel, DecisionReason } from './model';
import type { LoadedFile, RuleProblem } from './load';
import { WEEKDAYS, type QuietHoursFile } from './rule-file';
import { suggest } from './problems';
import { clock, localToUtc, offsetMs } from './facts';
import { RULE_IDS, TEMPLATES, fill } from './reasons';
import { stateWords, type StateOf } from './subdivision';

export interface DayHours {
  from: string;
  until: string;
  fromMinutes: number;
  untilMinutes: number;
}

export interface WindowModel extends DayHours {
  region: string;
  channel: Channel;
  /** Empty: the region's window for every state that has none of its own (the federal one in the US). */
  subdivisions: readonly string[];
  /** Hours per local weekday, 0 = Sunday; null: no marketing that day. */
  days: ReadonlyArray<DayHours | null>;
  /** Local dates (YYYY-MM-DD) without marketing. */
  closedOn: ReadonlySet<string>;
  /** true when days or closedOn make some day differ from from-until. */
  varies: boolean;
  file: string;
  index: number;
}

const DAY = 86_400_000;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function hoursProblem(
  from: string,
  until: string,
): (Pick<RuleProblem, 'message' | 'hint'> & { at: string }) | undefined {
  if (from === '24:00')
    return {
      at: '/from',
      message: 'the window cannot open at 24:00, the end of the day',
      hint: 'Write "00:00" for a window that opens at midnight.',
    };
  if (minutes(from) === minutes(until))
    return {
      at: '',
      message: `the window is empty: it opens and closes at ${from}, so marketing would never go out`,
      hint: 'Write the hours sending is allowed, e.g. from "08:00" until "21:00"; for any hour, from "00:00" until "24:00" (or remove the window).',
    };
  if (minutes(from) > minutes(until))
    return {
      at: '/until',
      message: `the window closes (${until}) before it opens (${from}); a window cannot run across midnight`,
      hint: 'Write the sending window within one day, e.g. from "08:00" until "21:00".',
    };
  return undefined;
}

const hours = (from: string, until: string): DayHours => ({
  from,
  until,
  fromMinutes: minutes(from),
  untilMinutes: minutes(until),
});

export function buildWindows(
  files: LoadedFile[],
  regionIds: readonly string[],
  problems: RuleProblem[],
): WindowModel[] {
  const windows: WindowModel[] = [];
  for (const f of files.filter((x) => x.kind === 'quiet-hours')) {
    const name = f.name;
    (f.content as QuietHoursFile).windows.forEach((w, i) => {
      const at = `/windows/${i}`;
      if (!regionIds.includes(w.region)) {
        problems.push({
          file: name,
          pointer: `${at}/region`,
          message: `region "${w.region}" does not exist`,
          hint: `Use one of ${regionIds.join(', ')}.${suggest(w.region, regionIds)}`,
        });
      }
      const own = hoursProblem(w.from, w.until);
      if (own) problems.push({ file: name, pointer: at + own.at, message: own.message, hint: own.hint });
      const base = hours(w.from, w.until);
      const days = WEEKDAYS.map((d) => {
        const h = w.days?.[d];
        if (h === undefined) return base;
        if (h === null) return null;
        const p = hoursProblem(h.from, h.until);
        if (p)
          problems.push({ file: name, pointer: `${at}/days/${d}${p.at}`, message: p.message, hint: p.hint });
        return hours(h.from, h.until);
      });
      if (days.every((d) => d === null)) {
        problems.push({
          file: name,
          pointer: `${at}/days`,
          message: 'every weekday is closed, so marketing would never go out',
          hint: 'Give at least one weekday hours, or remove the window.',
        });
      }
      const subdivisions = w.subdivisions ?? [];
      const clash = windows.find(
        (x) =>
          x.region === w.region &&
          x.channel === w.channel &&
          (subdivisions.length === 0
            ? x.subdivisions.length === 0
            : x.subdivisions.some((s) => subdivisions.includes(s))),
      );
      if (clash) {
        const which =
          subdivisions.length === 0
            ? ''
            : ` for ${subdivisions.filter((s) => clash.subdivisions.includes(s)).join(', ')}`;
        problems.push({
          file: name,
          pointer: at,
          message: `a second ${w.channel} window for region "${w.region}"${which}`,
          hint: 'Keep one window per region, channel and state.',
        });
      }
      windows.push({
        ...base,
        region: w.region,
        channel: w.channel,
        subdivisions,
        days,
        closedOn: new Set(w.closedOn ?? []),
        varies: (w.closedOn?.length ?? 0) > 0 || days.some((d) => d !== base),
        file: name,
        index: i,
      });
    });
  }
  return windows;
}

/** The local wall clock at an instant: day number since 1970-01-01, weekday (0 = Sunday), minute of the day. */
export interface LocalTime {
  day: number;
  weekday: number;
  minutes: number;
}

export function localTime(zone: IANAZone, ms: number): LocalTime {
  const local = Math.floor((ms + offsetMs(zone, ms)) / 60_000);
  const day = Math.floor(local / 1440);
  return { day, weekday: (((day + 4) % 7) + 7) % 7, minutes: local - day * 1440 };
}

export const localDate = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/** The hours of the window on a local day; null when it does not open that day. */
export function hoursOn(w: WindowModel, day: number): DayHours | null {
  if (w.closedOn.size > 0 && w.closedOn.has(localDate(day))) return null;
  return w.days[(((day + 4) % 7) + 7) % 7]!;
}

export function insideWindow(w: WindowModel, t: LocalTime): boolean {
  const h = w.varies ? hoursOn(w, t.day) : w;
  return h !== null && t.minutes >= h.fromMinutes && t.minutes < h.untilMinutes;
}

/** The next opening of the window after `ms`, as a UTC ISO instant (wall-clock days, so DST is handled). */
export function nextOpening(w: WindowModel, zone: IANAZone, ms: number): string {
  const offset = offsetMs(zone, ms);
  const t = localTime(zone, ms);
  // At least one weekday is open, and each closed date closes at most one day more.
  for (let d = 0; d <= 7 + w.closedOn.size; d++) {
    const h = hoursOn(w, t.day + d);
    if (!h || (d === 0 && t.minutes >= h.fromMinutes)) continue;
    return new Date(localToUtc(zone, (t.day + d) * DAY + h.fromMinutes * 60_000, offset)).toISOString();
  }
  throw new Error(`the ${w.channel} window of region ${w.region} never opens`);
}

/** Rule id of a window's reason: `quiet-hours:us`, or `quiet-hours:us:US-TX` for a state's own window. */
export const windowRule = (w: WindowModel, state: StateOf) =>
  w.subdivisions.length > 0 && state.code
    ? `${RULE_IDS.quietHours(w.region)}:${state.code}`
    : RULE_IDS.quietHours(w.region);

/**
 * Why a marketing message waits. `byState`: the region has windows per state, so the reason says which state
 * was used and where it came from.
 */
export function quietReason(w: WindowModel, state: StateOf, t: LocalTime, byState: boolean): DecisionReason {
  const words = {
    channel: w.channel,
    region: w.region,
    from: w.from,
    until: w.until,
    local: clock(t.minutes),
  };
  let message: string;
  if (!w.varies) message = fill(TEMPLATES.quietHours, words);
  else {
    const today = hoursOn(w, t.day);
    const name = DAY_NAMES[t.weekday]!;
    message = fill(TEMPLATES.quietHoursDay, {
      ...words,
      hours: today
        ? `between ${today.from} and ${today.until} on ${name}s`
        : 'not at all on this day (a closed date)',
      local: `${name} ${clock(t.minutes)}`,
    });
  }
  if (byState) message += stateWords(state, w.subdivisions.length > 0);
  return { rule: windowRule(w, state), message };
}
