// From (contact, message, instant) to the facts the rules read. Shared by the compiled path and the
// json-rules-engine path so that they can only differ in how they evaluate, never in what they see.
import { IANAZone } from 'luxon';
import type { Channel, ContactProfile, HistoryEntry, MessageSpec, Subscription } from './model';
import type { RuleModel } from './model-build';
import type { FactValues } from './reasons';

export interface DecideInput {
  contact: ContactProfile;
  message: MessageSpec;
  at: Date;
  /** Messages already sent to the contact, in any order (frequency caps count them); none when absent. */
  history?: readonly HistoryEntry[];
}

/** Region id of a contact, or null when the rules have no region for it (which suppresses: fail closed). */
export function regionOf(model: RuleModel, country: string | null | undefined): string | null {
  if (country === null || country === undefined || country === '') return model.missingCountry;
  for (const r of model.regions) if (r.countries.includes(country)) return r.id;
  return model.otherCountries;
}

export function isBlacklisted(contact: ContactProfile, channel: Channel): boolean {
  const list = contact.blacklist;
  if (!list) return false;
  return channel === 'email' ? list.email === true : list.phone === true;
}

/** The subscription's state for the message's category; `sub` is undefined when there is no subscription. */
export function categoryState(
  sub: Subscription | undefined,
  category: string | undefined,
): FactValues['categoryState'] {
  if (category === undefined) return 'no_category';
  const state = sub?.categories?.[category];
  return state === 'subscribed' || state === 'unsubscribed' ? state : 'not_mentioned';
}

/**
 * The subscriptions that could carry the message, lowest priority number first (ties keep profile order):
 * the message's resource on its channel, or every subscription of the channel when it names no resource.
 */
export function candidates(contact: ContactProfile, message: MessageSpec): Subscription[] {
  const list = contact.subscriptions.filter(
    (s) =>
      s.channel === message.channel && (message.resource === undefined || s.resource === message.resource),
  );
  return list.length > 1
    ? list
        .map((s, i) => ({ s, i }))
        .sort((a, b) => a.s.priority - b.s.priority || a.i - b.i)
        .map((x) => x.s)
    : list;
}

const zoneCache = new Map<string, IANAZone | null>();

/** A luxon zone for an IANA name, or null when the name is missing or unknown. */
export function zoneOf(name: string | null | undefined): IANAZone | null {
  if (typeof name !== 'string' || name === '') return null;
  let zone = zoneCache.get(name);
  if (zone === undefined) {
    zone = IANAZone.isValidZone(name) ? IANAZone.create(name) : null;
    if (zoneCache.size > 1000) zoneCache.clear(); // names come from input; keep the cache bounded
    zoneCache.set(name, zone);
  }
  return zone;
}

const HOUR = 3_600_000;
const offsetCache = new Map<IANAZone, Map<number, number>>();

/**
 * UTC offset of `zone` at `ms`, in minutes. luxon asks Intl for every call, which dominates a decision; the
 * offset is cached per zone and hour, and only for hours whose start and end share an offset, so an hour
 * with a daylight-saving switch is always computed exactly.
 */
export function offsetAt(zone: IANAZone, ms: number): number {
  const hour = Math.floor(ms / HOUR);
  let hours = offsetCache.get(zone);
  const known = hours?.get(hour);
  if (known !== undefined) return known;
  const offset = zone.offset(ms);
  if (zone.offset(hour * HOUR) === zone.offset(hour * HOUR + HOUR - 1)) {
    if (!hours) offsetCache.set(zone, (hours = new Map<number, number>()));
    if (hours.size > 10_000) hours.clear();
    hours.set(hour, offset);
  }
  return offset;
}

/**
 * The offset in whole milliseconds. Before standard time (about 1883-1970, by zone) offsets are local mean
 * time with seconds, e.g. New York -4:56:02 = -296.0333... minutes; rounding to the second keeps local times
 * whole minutes and instants whole milliseconds.
 */
export function offsetMs(zone: IANAZone, ms: number): number {
  return Math.round(offsetAt(zone, ms) * 60) * 1000;
}

/** Whole minutes since local midnight at `ms` in `zone` (the minute the local wall clock shows). */
export function localMinutes(zone: IANAZone, ms: number): number {
  const local = Math.floor((ms + offsetMs(zone, ms)) / 60_000);
  return ((local % 1440) + 1440) % 1440;
}

/** UTC instant of a local wall-clock time: luxon's own two-pass method; a time in a DST gap moves forward. */
export function localToUtc(zone: IANAZone, local: number, guessOffset: number): number {
  let utc = local - guessOffset;
  const o2 = offsetMs(zone, utc);
  if (o2 === guessOffset) return utc;
  utc -= o2 - guessOffset;
  const o3 = offsetMs(zone, utc);
  if (o2 === o3) return utc;
  return local - Math.min(o2, o3);
}

/** HH:MM of minutes since midnight; a fraction of a minute is dropped, as a wall clock does. */
export const clock = (minutes: number) => {
  const m = Math.floor(minutes);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
