// Profile field validation and normalization. Every write path (API, form, import, CLI) goes through these,
// so the database only ever holds normalized lookup keys and codes from the closed lists.
import { IANAZone } from 'luxon';
import { GLOBAL_STATUSES, SUBSCRIPTION_STATUSES, CHANNELS, IMPLIED_CONSENT_BASES } from '../../rules/model';
import type { Channel, GlobalStatus, ImpliedConsentBasis, SubscriptionStatus } from '../../rules/model';
import { ContactFieldError } from './errors';
import { ISO_3166_1, ISO_5218, ISO_639_1 } from './iso-codes';
import { phoneProblem } from './phone';

const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[^\s@"(),:;<>[\\\]]+\.[^\s@"(),:;<>[\\\].]+$/;

/** Lower-cased, trimmed; the whole address is lower-cased because real mailboxes ignore case. */
export function normalizeEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email) || email.includes('..')) {
    throw new ContactFieldError(field, `"${raw}" is not an email address (expected e.g. ada@example.com)`);
  }
  return email;
}

/**
 * E.164: "+", a country calling code that exists and a national number of a length that country uses
 * (libphonenumber's numbering plans). Spaces, dots, dashes, brackets and a leading 00 are tolerated.
 */
export function normalizePhone(raw: string, field = 'phone'): string {
  let phone = raw.trim().replace(/[\s().-]/g, '');
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`;
  if (!/^\+[1-9][0-9]{1,14}$/.test(phone)) {
    throw new ContactFieldError(
      field,
      `"${raw}" is not an E.164 phone number (expected "+" and the country code, e.g. +447700900123)`,
    );
  }
  const problem = phoneProblem(phone);
  if (problem?.kind === 'country') {
    throw new ContactFieldError(
      field,
      `"${raw}" does not start with a country calling code in use (+${problem.code}...); write the number as "+", country code, number, e.g. +447700900123`,
    );
  }
  if (problem) {
    const national = phone.length - 1 - problem.code.length;
    const expected = problem.expected.length
      ? ` (numbers of +${problem.code} have ${listLengths(problem.expected)} digits after it)`
      : '';
    throw new ContactFieldError(
      field,
      `"${raw}" has ${national} digit${national === 1 ? '' : 's'} after +${problem.code}, which is not a possible number there${expected}; check for a missing or extra digit`,
    );
  }
  return phone;
}

function listLengths(ns: number[]): string {
  return ns.length === 1 ? String(ns[0]) : `${ns.slice(0, -1).join(', ')} or ${ns[ns.length - 1]}`;
}

export function normalizeAddress(channel: Channel, raw: string, field = 'address'): string {
  return channel === 'email' ? normalizeEmail(raw, field) : normalizePhone(raw, field);
}

export function parseGender(raw: string | number): 0 | 1 | 2 | 9 {
  const code = ISO_5218[String(raw).trim().toLowerCase()];
  if (code === undefined) {
    throw new ContactFieldError(
      'gender',
      `"${raw}" is not an ISO/IEC 5218 code (0 not known, 1 male, 2 female, 9 not applicable)`,
    );
  }
  return code;
}

export function parseLanguage(raw: string): string {
  const code = raw.trim().toLowerCase();
  if (!ISO_639_1.has(code)) {
    throw new ContactFieldError(
      'language',
      `"${raw}" is not an ISO 639-1 language code (two letters, e.g. en, de, pt)`,
    );
  }
  return code;
}

export function parseCountry(raw: string): string {
  const code = raw.trim().toUpperCase();
  if (!ISO_3166_1.has(code)) {
    throw new ContactFieldError(
      'country',
      `"${raw}" is not an ISO 3166-1 alpha-2 country code (e.g. US, GB, DE)`,
    );
  }
  return code;
}

/** ISO 3166-2 (e.g. US-FL), in capitals; when the row names a country, the code must start with it. */
export function parseSubdivision(raw: string, country: string | null): string {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(code) || !ISO_3166_1.has(code.slice(0, 2))) {
    throw new ContactFieldError(
      'subdivision',
      `"${raw}" is not an ISO 3166-2 subdivision code (country, hyphen, region, e.g. US-FL, US-TX, CA-ON)`,
    );
  }
  const c = country?.trim().toUpperCase();
  if (c && ISO_3166_1.has(c) && code.slice(0, 2) !== c) {
    throw new ContactFieldError(
      'subdivision',
      `"${raw}" is not a subdivision of ${c}; write one that starts with "${c}-", or fix the country`,
    );
  }
  return code;
}

const zoneCache = new Map<string, string | null>();

/** IANA zone name in its canonical spelling (luxon validates; Intl gives the canonical case). */
export function parseTimezone(raw: string): string {
  const name = raw.trim();
  let canonical = zoneCache.get(name);
  if (canonical === undefined) {
    canonical =
      IANAZone.isValidZone(name) && /^[A-Za-z]/.test(name)
        ? new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
        : null;
    zoneCache.set(name, canonical);
  }
  if (!canonical) {
    throw new ContactFieldError(
      'timezone',
      `"${raw}" is not an IANA time zone name (e.g. Europe/Berlin, America/New_York)`,
    );
  }
  return canonical;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** YYYY-MM-DD, a real calendar date, not in the future and not before 1900. */
export function parseBirthday(raw: string, today: Date = new Date()): string {
  const text = raw.trim();
  const m = ISO_DATE.exec(text);
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  // Date.UTC rolls 2023-02-30 over to March 2: a real date is one that comes back unchanged.
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    m !== null &&
    (year < 1900 ||
      (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day));
  if (!real) throw new ContactFieldError('birthday', `"${raw}" is not a date in YYYY-MM-DD form`);
  if (year < 1900 || date.getTime() > today.getTime()) {
    throw new ContactFieldError('birthday', `"${raw}" is not a plausible birthday (1900 to today)`);
  }
  return text;
}

/** "purchase" or "inquiry", the bases of CASL implied consent. */
export function parseImpliedConsentBasis(raw: string): ImpliedConsentBasis {
  const basis = raw.trim().toLowerCase();
  if (!(IMPLIED_CONSENT_BASES as readonly string[]).includes(basis))
    throw new ContactFieldError(
      'implied_consent_basis',
      `"${raw}" is not a basis of implied consent; write "purchase" or "inquiry" (with implied_consent_at, the date)`,
    );
  return basis as ImpliedConsentBasis;
}

/** The date of a purchase or inquiry: YYYY-MM-DD, a real calendar date from 1900 on. */
export function parseImpliedConsentAt(raw: string): string {
  const text = raw.trim();
  const m = ISO_DATE.exec(text);
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    m !== null &&
    year >= 1900 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day;
  if (!real)
    throw new ContactFieldError(
      'implied_consent_at',
      `"${raw}" is not a date in YYYY-MM-DD form (the day of the purchase or inquiry, e.g. 2026-03-15)`,
    );
  return text;
}

export function parseName(raw: string, field: string): string | null {
  const name = raw.trim();
  if (!name) return null;
  if (name.length > 100) throw new ContactFieldError(field, 'is longer than 100 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new ContactFieldError(field, 'contains control characters');
  return name;
}

export function parseContactId(raw: string): string {
  const id = raw.trim();
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) {
    throw new ContactFieldError(
      'id',
      `"${raw}" is not a usable contact id (1-128 letters, digits, "_", ".", ":" or "-"; no addresses, so an erase leaves nothing personal)`,
    );
  }
  return id;
}

export function parseResource(raw: string): string {
  const r = raw.trim();
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(r)) {
    throw new ContactFieldError(
      'resource',
      `"${raw}" is not a resource name (1-64 letters, digits, "_", ".", ":" or "-")`,
    );
  }
  return r;
}

export function parseGlobalStatus(raw: string, field = 'status'): GlobalStatus {
  const s = raw.trim().toLowerCase().replace(/[\s-]/g, '_');
  if (!(GLOBAL_STATUSES as readonly string[]).includes(s)) {
    throw new ContactFieldError(
      field,
      `"${raw}" is not a global status (one of ${GLOBAL_STATUSES.join(', ')})`,
    );
  }
  return s as GlobalStatus;
}

export function parseSubscriptionStatus(raw: string, field = 'status'): SubscriptionStatus {
  const s = raw.trim().toLowerCase().replace(/[\s-]/g, '_');
  if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(s)) {
    throw new ContactFieldError(
      field,
      `"${raw}" is not a subscription status (one of ${SUBSCRIPTION_STATUSES.join(', ')})`,
    );
  }
  return s as SubscriptionStatus;
}

/** `phone` is accepted for `sms`: people name the channel by the address it uses (the blacklist does). */
export function parseChannel(raw: string): Channel {
  const c = raw.trim().toLowerCase();
  if (c === 'phone') return 'sms';
  if (!(CHANNELS as readonly string[]).includes(c)) {
    throw new ContactFieldError(
      'channel',
      `"${raw}" is not a channel (one of ${CHANNELS.join(', ')}; phone is accepted for sms)`,
    );
  }
  return c as Channel;
}

/** The blacklist speaks of addresses: email and phone (sms accepted), stored as the channel it blocks. */
export function parseBlacklistChannel(raw: string): Channel {
  const c = raw.trim().toLowerCase();
  if (c === 'email') return 'email';
  if (c === 'phone' || c === 'sms') return 'sms';
  throw new ContactFieldError(
    'channel',
    `"${raw}" is not a blacklist (one of email, phone; sms is accepted for phone)`,
  );
}

export function parsePriority(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n) || Math.abs(n) > 1_000_000) {
    throw new ContactFieldError(
      'priority',
      `"${raw}" is not an integer priority (lower number wins, e.g. 0)`,
    );
  }
  return n;
}

export function parseCategoryName(raw: string): string {
  const c = raw.trim();
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(c)) {
    throw new ContactFieldError(
      'categories',
      `"${raw}" is not a category name (1-64 letters, digits, "_", ".", ":" or "-")`,
    );
  }
  return c;
}

export function parseBoolean(raw: string | boolean, field: string): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = raw.trim().toLowerCase();
  if (['true', 'yes', '1', 'y'].includes(s)) return true;
  if (['false', 'no', '0', 'n'].includes(s)) return false;
  throw new ContactFieldError(field, `"${raw}" is not a boolean (true/false, yes/no, 1/0)`);
}
