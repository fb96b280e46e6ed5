// Implied consent (Canada's anti-spam law, CASL s. 10(9)-(10)): a purchase lets marketing reach a contact who
// never opted in for two years, an inquiry for six months. A region's rules say how many calendar months each
// basis lasts; this module decides whether a contact's implied consent is valid on the day of a message, and
// words the reason when it is not. Both evaluators call it, so they can only differ in how they compare.
//
// The boundary, as the Act words it: the purchase must fall "within the two-year period immediately before the
// day on which the message is sent". A purchase on 2024-03-15 therefore covers messages sent through
// 2026-03-15 (that day's two-year period starts on 2024-03-15) and none from 2026-03-16. The day is the
// contact's local date; without a valid time zone, the UTC date (never earlier than a Canadian local date, so
// it can only end consent sooner, never extend it). A month-end date that the later month lacks clamps to its
// last day (2024-02-29 + 24 months: through 2026-02-28).
import type { ContactProfile, DecisionReason, ImpliedConsentBasis } from './model';
import type { ImpliedConsentRule } from './rule-file';
import { offsetMs, zoneOf } from './facts';
import { fill } from './reasons';

export interface ImpliedConsentModel {
  id: string;
  region: string;
  months: Readonly<Record<ImpliedConsentBasis, number>>;
  file: string;
  /** JSON pointer of the rule in its file, for lint. */
  pointer: string;
}

export function impliedConsentModel(
  rule: ImpliedConsentRule,
  region: string,
  file: string,
  pointer: string,
): ImpliedConsentModel {
  return { id: rule.id, region, months: { ...rule.months }, file, pointer };
}

/** Subscriptions reading this column need implied consent for marketing; `subscribed` is express consent. */
export const IMPLIED_CONSENT_COLUMN = 'non_subscribed';

/**
 * none: no purchase or inquiry on record (or one the rules cannot read); expired: the last day it covers has
 * passed; future: dated after the day of the message. (The engine's fact is `not_required` where the contact's
region has no such rule.)
 */
export const IMPLIED_STATES = ['valid', 'none', 'expired', 'future'] as const;
export type ImpliedState = (typeof IMPLIED_STATES)[number];

export interface ImpliedConsentCheck {
  state: ImpliedState;
  basis: ImpliedConsentBasis | null;
  /** The date of the purchase or inquiry, YYYY-MM-DD. */
  since: string | null;
  /** The last day it covers, YYYY-MM-DD. */
  through: string | null;
  months: number | null;
  /** The day of the message (the contact's local date), YYYY-MM-DD. */
  day: string;
}

const DAY = 86_400_000;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const digit = (s: string, i: number) => s.charCodeAt(i) - 48;

/** A real calendar date YYYY-MM-DD as [year, month, day]; undefined otherwise. Read by character: hot path. */
function parseDate(s: unknown): [number, number, number] | undefined {
  if (typeof s !== 'string' || s.length !== 10 || s[4] !== '-' || s[7] !== '-') return undefined;
  let y = 0;
  for (let i = 0; i < 4; i++) {
    const c = digit(s, i);
    if (c < 0 || c > 9) return undefined;
    y = y * 10 + c;
  }
  const [m1, m2, d1, d2] = [digit(s, 5), digit(s, 6), digit(s, 8), digit(s, 9)];
  if ([m1, m2, d1, d2].some((c) => c < 0 || c > 9)) return undefined;
  const m = m1 * 10 + m2;
  const d = d1 * 10 + d2;
  if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return undefined;
  return [y, m, d];
}

/** Days since 1970-01-01 of a calendar date. */
const dayNumber = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / DAY;
const dateOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/** The day number of the same calendar date `months` later, clamped to the last day of a shorter month. */
function monthsLater([y, m, d]: [number, number, number], months: number): number {
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return dayNumber(ny, nm, Math.min(d, daysIn(ny, nm)));
}

/** The contact's local day number at `ms` (UTC without a valid time zone). */
function localDay(contact: ContactProfile, ms: number): number {
  const zone = zoneOf(contact.timezone);
  return Math.floor((ms + (zone ? offsetMs(zone, ms) : 0)) / DAY);
}

interface Judged {
  state: ImpliedState;
  basis?: ImpliedConsentBasis;
  months?: number;
  since?: number;
  through?: number;
  day: number;
}

function judge(rule: ImpliedConsentModel, contact: ContactProfile, ms: number): Judged {
  const day = localDay(contact, ms);
  const ic = contact.impliedConsent;
  const basis = ic && typeof ic === 'object' ? ic.basis : undefined;
  const months = basis === 'purchase' || basis === 'inquiry' ? rule.months[basis] : undefined;
  const date = months === undefined ? undefined : parseDate(ic!.at);
  if (!date) return { state: 'none', day };
  const since = dayNumber(...date);
  const through = monthsLater(date, months!);
  const state: ImpliedState = since > day ? 'future' : day > through ? 'expired' : 'valid';
  return { state, basis: basis!, months: months!, since, through, day };
}

/** Whether the contact's implied consent holds on the day of the message: the decision's hot path, no text. */
export const impliedConsentState = (rule: ImpliedConsentModel, contact: ContactProfile, ms: number) =>
  judge(rule, contact, ms).state;

/** The same judgement as impliedConsentState, with the dates a reason and `rules explain` show. */
export function checkImpliedConsent(
  rule: ImpliedConsentModel,
  contact: ContactProfile,
  ms: number,
): ImpliedConsentCheck {
  const j = judge(rule, contact, ms);
  return {
    state: j.state,
    basis: j.basis ?? null,
    since: j.since === undefined ? null : dateOf(j.since),
    through: j.through === undefined ? null : dateOf(j.through),
    months: j.months ?? null,
    day: dateOf(j.day),
  };
}

export const IMPLIED_TEMPLATES: Readonly<Record<Exclude<ImpliedState, 'valid'>, string>> = {
  none:
    'In region {region} (CASL) marketing reaches a {column} contact only while implied consent from a ' +
    'purchase or an inquiry lasts, and the contact has none on record, so it is not sent.',
  expired:
    'In region {region} (CASL) marketing reaches a {column} contact only while implied consent lasts: the ' +
    '{impliedConsentBasis} on {impliedConsentSince} gave it for {impliedConsentMonths} months, through ' +
    '{impliedConsentThrough}; it expired at the end of that day, before this message ({messageDay}), so ' +
    'it is not sent.',
  future:
    'In region {region} (CASL) marketing reaches a {column} contact only while implied consent lasts: the ' +
    '{impliedConsentBasis} on record is dated {impliedConsentSince}, after the day of this message ' +
    '({messageDay}), so it gives no consent yet and the message is not sent.',
};

/** The facts the reasons (and json-rules-engine's rules) read about implied consent. */
export function impliedFacts(check: ImpliedConsentCheck | null) {
  return {
    impliedConsent: check ? check.state : ('not_required' as const),
    impliedConsentBasis: check?.basis ?? null,
    impliedConsentSince: check?.since ?? null,
    impliedConsentThrough: check?.through ?? null,
    impliedConsentMonths: check?.months ?? null,
    messageDay: check?.day ?? null,
  };
}
export type ImpliedFacts = ReturnType<typeof impliedFacts>;

export function impliedConsentReason(
  rule: ImpliedConsentModel,
  check: ImpliedConsentCheck,
  column: string,
): DecisionReason {
  const template = IMPLIED_TEMPLATES[check.state as Exclude<ImpliedState, 'valid'>];
  return { rule: rule.id, message: fill(template, { region: rule.region, column, ...impliedFacts(check) }) };
}
