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
 * passed; future: dated after the day of the message; not_required: the contact's region has no such rule.
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

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** A real calendar date YYYY-MM-DD as [year, month, day]; undefined otherwise. */
function parseDate(s: unknown): [number, number, number] | undefined {
  if (typeof s !== 'string') return undefined;
  const m = DATE.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return undefined;
  return [y, mo, d];
}

/** The same calendar date `months` later, clamped to the last day of a shorter month. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parseDate(date)!;
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return `${pad(ny, 4)}-${pad(nm)}-${pad(Math.min(d, daysIn(ny, nm)))}`;
}

/** The contact's local date at `ms` (UTC without a valid time zone). */
export function messageDay(contact: ContactProfile, ms: number): string {
  const zone = zoneOf(contact.timezone);
  return new Date(ms + (zone ? offsetMs(zone, ms) : 0)).toISOString().slice(0, 10);
}

export function checkImpliedConsent(
  rule: ImpliedConsentModel,
  contact: ContactProfile,
  ms: number,
): ImpliedConsentCheck {
  const day = messageDay(contact, ms);
  const ic = contact.impliedConsent;
  const basis = ic && typeof ic === 'object' ? ic.basis : undefined;
  const months = basis === 'purchase' || basis === 'inquiry' ? rule.months[basis] : undefined;
  if (months === undefined || !parseDate(ic!.at))
    return { state: 'none', basis: null, since: null, through: null, months: null, day };
  const since = ic!.at;
  const through = addMonths(since, months);
  // Dates compare as strings: YYYY-MM-DD with four-digit years.
  const state: ImpliedState = since > day ? 'future' : day > through ? 'expired' : 'valid';
  return { state, basis: basis!, since, through, months, day };
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
