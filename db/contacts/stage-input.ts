// Turns one ContactInput (API call, form, import row) into a validated, normalized StagedContact, or the
// list of every field that is wrong with it.
import type { CategoryState, Channel } from '../../rules/model';
import { applyCustomValues, type CustomFieldDefinition } from './custom-fields';
import { ContactFieldError } from './errors';
import {
  normalizeAddress,
  normalizeEmail,
  normalizePhone,
  parseBirthday,
  parseBoolean,
  parseCategoryName,
  parseChannel,
  parseContactId,
  parseCountry,
  parseSubdivision,
  parseImpliedConsentAt,
  parseImpliedConsentBasis,
  parseGender,
  parseGlobalStatus,
  parseLanguage,
  parseName,
  parsePriority,
  parseResource,
  parseSubscriptionStatus,
  parseTimezone,
} from './validate';
import {
  DEFAULT_RESOURCE,
  type ContactInput,
  type RowRejection,
  type StagedContact,
  type StagedSubscription,
  type SubscriptionInput,
} from './types';

export interface FieldDefinitions {
  profile: Map<string, CustomFieldDefinition>;
  subscription: Map<string, CustomFieldDefinition>;
}

const blank = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function parseCategories(raw: unknown): Record<string, CategoryState> | null {
  if (blank(raw)) return null;
  const out: Record<string, CategoryState> = {};
  if (typeof raw === 'string') {
    for (const part of raw
      .split(/[;,|]/)
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [name = '', state = 'subscribed'] = part.split(':');
      out[parseCategoryName(name)] = parseCategoryState(state);
    }
    return out;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ContactFieldError(
      'categories',
      'expected {"name": "subscribed" | "unsubscribed"} or "news;promo:unsubscribed"',
    );
  }
  for (const [name, state] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof state !== 'string')
      throw new ContactFieldError(
        'categories',
        `${name}: expected "subscribed" or "unsubscribed", got ${describeType(state)}`,
      );
    out[parseCategoryName(name)] = parseCategoryState(state);
  }
  return out;
}

function parseCategoryState(raw: string): CategoryState {
  const s = raw.trim().toLowerCase();
  if (s === 'subscribed' || s === 'unsubscribed') return s;
  throw new ContactFieldError('categories', `"${raw}" is not a category state (subscribed or unsubscribed)`);
}

/** A staged contact that changes nothing but what `fields` gives (e.g. only a subscription). */
export function blankStagedContact(fields: Partial<StagedContact> = {}): StagedContact {
  return {
    n: 0,
    line: null,
    id: null,
    email: null,
    phone: null,
    first_name: null,
    last_name: null,
    gender: null,
    language: null,
    country: null,
    subdivision: null,
    timezone: null,
    birthday: null,
    source: null,
    implied_consent_basis: null,
    implied_consent_at: null,
    status: null,
    active: null,
    custom: null,
    subs: [],
    ...fields,
  };
}

/** Validates every field; collects all problems rather than stopping at the first. */
export function stageContact(
  input: ContactInput,
  defs: FieldDefinitions,
  n: number,
  line: number | null = null,
): { contact: StagedContact } | { problems: RowRejection[] } {
  const problems: RowRejection[] = [];
  const check = <T>(field: string, fn: () => T): T | null => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ContactFieldError)
        problems.push({ line, field: err.field || field, reason: err.reason });
      else problems.push({ line, field, reason: (err as Error).message });
      return null;
    }
  };
  const opt = <T>(field: string, v: unknown, fn: (s: string) => T): T | null =>
    blank(v) ? null : check(field, () => fn(text(field, v)));
  const scalar = <T>(field: string, v: unknown, kinds: string[], fn: () => T): T | null =>
    blank(v)
      ? null
      : check(field, () => {
          if (!kinds.includes(typeof v)) text(field, v);
          return fn();
        });

  const contact: StagedContact = {
    n,
    line,
    id: opt('id', input.id, parseContactId),
    email: opt('email', input.email, (s) => normalizeEmail(s)),
    phone: opt('phone', input.phone, (s) => normalizePhone(s)),
    first_name: opt('first_name', input.first_name, (s) => parseName(s, 'first_name')),
    last_name: opt('last_name', input.last_name, (s) => parseName(s, 'last_name')),
    gender: scalar('gender', input.gender, ['number'], () => parseGender(input.gender as string | number)),
    language: opt('language', input.language, parseLanguage),
    country: opt('country', input.country, parseCountry),
    subdivision: opt('subdivision', input.subdivision, (s) =>
      parseSubdivision(s, typeof input.country === 'string' ? input.country : null),
    ),
    timezone: opt('timezone', input.timezone, parseTimezone),
    birthday: opt('birthday', input.birthday, parseBirthday),
    source: opt('source', input.source, (s) => parseName(s, 'source')),
    implied_consent_basis: opt(
      'implied_consent_basis',
      input.implied_consent_basis,
      parseImpliedConsentBasis,
    ),
    implied_consent_at: opt('implied_consent_at', input.implied_consent_at, parseImpliedConsentAt),
    status: opt('status', input.status, (s) => parseGlobalStatus(s)),
    active: scalar('active', input.active, ['boolean'], () =>
      parseBoolean(input.active as string | boolean, 'active'),
    ),
    custom:
      input.custom && Object.keys(input.custom).length
        ? check('custom', () => applyCustomValues(defs.profile, {}, record('custom', input.custom)))
        : null,
    subs: [],
  };
  if (input.custom && contact.custom) {
    // Keep explicit clears (empty values) so the writer removes them from the stored object.
    for (const [k, v] of Object.entries(input.custom)) if (blank(v)) contact.custom[k] = null;
  }
  // A basis without its date (or a date without its basis) could not be judged: both or neither.
  const basisGiven = !blank(input.implied_consent_basis);
  if (basisGiven !== !blank(input.implied_consent_at)) {
    const missing = basisGiven ? 'implied_consent_at' : 'implied_consent_basis';
    problems.push({
      line,
      field: missing,
      reason: basisGiven
        ? 'is missing: implied_consent_basis needs the date of the purchase or inquiry (YYYY-MM-DD)'
        : 'is missing: implied_consent_at needs its basis, "purchase" or "inquiry"',
    });
  }
  if (!contact.email && !contact.phone && !contact.id && problems.length === 0) {
    problems.push({
      line,
      field: 'email',
      reason: 'a contact needs an email, a phone or an id to be found again',
    });
  }

  const resource = opt('resource', input.resource, parseResource) ?? DEFAULT_RESOURCE;
  const priority = scalar('priority', input.priority, ['number'], () =>
    parsePriority(input.priority as string | number),
  );
  const categories = check('categories', () => parseCategories(input.categories));
  const shorthand = (channel: Channel, address: string | null, statusRaw: unknown): void => {
    if (!address) {
      if (!blank(statusRaw))
        problems.push({
          line,
          field: `${channel}_status`,
          reason: `given without ${channel === 'email' ? 'an email' : 'a phone'} to subscribe`,
        });
      return;
    }
    contact.subs.push({
      channel,
      resource,
      address,
      status: opt(`${channel}_status`, statusRaw, (s) => parseSubscriptionStatus(s, `${channel}_status`)),
      priority,
      categories,
      custom: null,
    });
  };
  if (!input.subscriptions) {
    shorthand('email', contact.email, input.email_status);
    shorthand('sms', contact.phone, input.sms_status);
  } else if (!Array.isArray(input.subscriptions)) {
    problems.push({
      line,
      field: 'subscriptions',
      reason: `expected a list of subscriptions, got ${describeType(input.subscriptions)}`,
    });
  } else {
    for (const [i, s] of input.subscriptions.entries()) {
      const sub = check(`subscriptions[${i}]`, () => stageSubscription(s, defs));
      if (sub) contact.subs.push(sub);
    }
  }
  const seen = new Set<string>();
  for (const s of contact.subs) {
    const key = `${s.resource}\u0000${s.channel}\u0000${s.address ?? ''}`;
    if (seen.has(key))
      problems.push({
        line,
        field: 'subscriptions',
        reason: `${s.channel} subscription to ${s.resource} given twice`,
      });
    seen.add(key);
  }
  return problems.length ? { problems } : { contact };
}

export function stageSubscription(s: SubscriptionInput, defs: FieldDefinitions): StagedSubscription {
  const sub = record('subscription', s) as unknown as SubscriptionInput;
  const channel = parseChannel(text('channel', sub.channel));
  const priority = sub.priority as unknown;
  return {
    channel,
    resource: blank(sub.resource) ? DEFAULT_RESOURCE : parseResource(text('resource', sub.resource)),
    address: blank(sub.address) ? null : normalizeAddress(channel, text('address', sub.address)),
    status: blank(sub.status) ? null : parseSubscriptionStatus(text('status', sub.status)),
    priority: blank(priority)
      ? null
      : parsePriority(typeof priority === 'number' ? priority : text('priority', priority)),
    categories: parseCategories(sub.categories),
    custom: sub.custom
      ? applyCustomValues(defs.subscription, {}, record('custom', sub.custom), 'subscription')
      : null,
  };
}

/** How a value that is not text reads in a message: JSON Lines carry lists, numbers and objects too. */
export function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number') return `a number (${v})`;
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The value if it is text; a field error naming what it is otherwise (never String(v): "123", "a,b"). */
function text(field: string, v: unknown): string {
  if (typeof v === 'string') return v;
  throw new ContactFieldError(
    field,
    `expected text, got ${describeType(v)}; write the value in quotes, e.g. "${field}": "..."`,
  );
}

function record(field: string, v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new ContactFieldError(field, `expected an object {"name": value}, got ${describeType(v)}`);
}
