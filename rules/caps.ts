// Frequency caps: at most `limit` messages of some kind per rolling window of hours, counted in the history of
// the contact (the messages already sent). Building them from the caps files, and the counting both
// evaluators share, so they can only differ in how they compare, never in what they count.
import type { Channel, DecisionReason, HistoryEntry } from './model';
import type { LoadedFile, RuleProblem } from './load';
import type { CapsFile, Kind } from './rule-file';
import { suggest } from './problems';

export interface CapModel {
  id: string;
  description?: string;
  channel: Channel | null;
  kinds: ReadonlySet<Kind> | null;
  types: ReadonlySet<string> | null;
  category: string | null;
  sameCategory: boolean;
  regions: readonly string[] | null;
  windowHours: number;
  windowMs: number;
  limit: number;
  over: 'suppress' | 'defer';
  file: string;
  index: number;
}

export function buildCaps(
  files: LoadedFile[],
  known: { regions: readonly string[]; types: readonly string[] },
  problems: RuleProblem[],
): CapModel[] {
  const caps: CapModel[] = [];
  for (const f of files.filter((x) => x.kind === 'caps')) {
    (f.content as CapsFile).caps.forEach((c, i) => {
      const at = `/caps/${i}`;
      const problem = (pointer: string, message: string, hint: string) =>
        problems.push({ file: f.name, pointer: at + pointer, message, hint });
      const prior = caps.find((x) => x.id === c.id);
      if (prior)
        problem('/id', `cap "${c.id}" is also defined in ${prior.file}`, 'Give each cap its own id.');
      if ((c.kinds === undefined) === (c.types === undefined))
        problem(
          '',
          c.kinds ? 'the cap names both "kinds" and "types"' : 'the cap names neither "kinds" nor "types"',
          'Say which messages it limits with one of them, e.g. "kinds": ["marketing"] or "types": ["campaign"].',
        );
      c.types?.forEach((t, j) => {
        if (!known.types.includes(t))
          problem(
            `/types/${j}`,
            `"${t}" is not a message type of message-types.json`,
            `Use one of ${known.types.join(', ')}.${suggest(t, known.types)}`,
          );
      });
      c.regions?.forEach((r, j) => {
        if (!known.regions.includes(r))
          problem(
            `/regions/${j}`,
            `region "${r}" does not exist`,
            `Use one of ${known.regions.join(', ')}.${suggest(r, known.regions)}`,
          );
      });
      if (c.category !== undefined && c.sameCategory === true)
        problem(
          '/sameCategory',
          'a cap for one category already counts only that category',
          'Remove "sameCategory", or remove "category" to limit every category on its own.',
        );
      caps.push({
        id: c.id,
        ...(c.description ? { description: c.description } : {}),
        channel: c.channel ?? null,
        kinds: c.kinds ? new Set(c.kinds) : null,
        types: c.types ? new Set(c.types) : null,
        category: c.category ?? null,
        sameCategory: c.sameCategory === true,
        regions: c.regions ?? null,
        windowHours: c.windowHours,
        windowMs: c.windowHours * 3_600_000,
        limit: c.limit,
        over: c.over ?? 'suppress',
        file: f.name,
        index: i,
      });
    });
  }
  return caps;
}

/** Whether the cap limits this message, by what the message is (its count decides whether it is over). */
export function capLimits(
  cap: CapModel,
  m: { channel: string; type: string; kind: Kind; region: string | null; category: string | null },
): boolean {
  if (cap.channel !== null && cap.channel !== m.channel) return false;
  if (cap.kinds ? !cap.kinds.has(m.kind) : !cap.types!.has(m.type)) return false;
  if (cap.category !== null && cap.category !== m.category) return false;
  if (cap.sameCategory && m.category === null) return false;
  return cap.regions === null || (m.region !== null && cap.regions.includes(m.region));
}

// Instants in history are usually canonical UTC (toISOString: 24 characters, Z); those compare as strings,
// which spares a Date.parse per entry per decision. Anything else is parsed.
let memoMs = NaN;
let memoIso = '';
function cutoffIso(ms: number): string {
  if (ms !== memoMs) {
    memoMs = ms;
    const d = new Date(ms);
    memoIso = Number.isFinite(ms) ? d.toISOString() : '';
  }
  return memoIso;
}
const canonical = (s: string) =>
  s.length === 24 && s.charCodeAt(23) === 90 /* Z */ && s.charCodeAt(10) === 84;

/** Instant of an entry in ms; NaN when it is not a date (such an entry counts: fail closed). */
export const entryMs = (e: HistoryEntry) => Date.parse(e.at);

function counts(
  cap: CapModel,
  e: HistoryEntry,
  category: string | null,
  transactional: ReadonlySet<string>,
): boolean {
  if (cap.channel !== null && e.channel !== cap.channel) return false;
  if (cap.kinds) {
    if (!cap.kinds.has(transactional.has(e.type) ? 'transactional' : 'marketing')) return false;
  } else if (!cap.types!.has(e.type)) return false;
  const c = e.category ?? null;
  if (cap.category !== null && c !== cap.category) return false;
  return !cap.sameCategory || c === category;
}

/**
 * How many messages of the history the cap counts at `ms`: those it limits (channel, kinds or types,
 * category) sent after `ms - window`. Later ones count too (a row promised for later still fills the cap), and
 * so does an entry whose instant cannot be read.
 */
export function capCount(
  cap: CapModel,
  history: readonly HistoryEntry[] | undefined,
  category: string | null,
  ms: number,
  transactional: ReadonlySet<string>,
): number {
  if (!history || history.length === 0) return 0;
  const cutoff = ms - cap.windowMs;
  const iso = cutoffIso(cutoff);
  const fast = iso.length === 24;
  let n = 0;
  for (let i = 0; i < history.length; i++) {
    const e = history[i]!;
    if (!counts(cap, e, category, transactional)) continue;
    const at = e.at;
    if (fast && typeof at === 'string' && canonical(at)) {
      if (at > iso) n++;
    } else {
      const t = Date.parse(at);
      if (!(t <= cutoff)) n++;
    }
  }
  return n;
}

/** When the window has room again: the instant the limit-th most recent counted message leaves it. */
export function capFreeAt(
  cap: CapModel,
  history: readonly HistoryEntry[],
  category: string | null,
  ms: number,
  transactional: ReadonlySet<string>,
): number {
  const cutoff = ms - cap.windowMs;
  const times = history
    .filter((e) => counts(cap, e, category, transactional))
    .map((e) => Date.parse(e.at))
    .filter((t) => !(t <= cutoff))
    .map((t) => (Number.isFinite(t) ? t : Infinity))
    .sort((a, b) => b - a);
  const t = times[cap.limit - 1]!;
  return t + cap.windowMs;
}

function what(cap: CapModel): string {
  const kinds = cap.kinds ? [...cap.kinds].join(' or ') : [...cap.types!].join(', ').replace(/_/g, ' ');
  const cat = cap.category !== null ? ' of one category' : cap.sameCategory ? ' on the same subject' : '';
  return `${kinds} ${cap.channel ?? 'email or sms'} messages${cat}`;
}

export function capReason(cap: CapModel, count: number, deferred: boolean): DecisionReason {
  const h = cap.windowHours;
  const tail = deferred
    ? `so it waits until the oldest of them is ${h} hours old`
    : 'so this one is not sent';
  return {
    rule: cap.id,
    message: `At most ${cap.limit} ${what(cap)} per ${h} hours: the contact already got ${count} in the last ${h} hours, ${tail}.`,
  };
}
