// A feedback event as it arrives (a provider webhook, a JSON line, a CLI flag) checked field by field before
// anything is written. Every refusal is a ContactFieldError naming the field, what is wrong and the form that
// works, and echoes at most a short prefix of the value, whatever the input was.
import type { Channel } from '../../rules/model';
import { suggest } from '../../rules/problems';
import { ContactFieldError } from './errors';
import { normalizeAddress, parseResource } from './validate';

export const FEEDBACK_KINDS = [
  'hard_bounce',
  'complaint',
  'unsubscribe',
  'resubscribe',
  'inbound_sms',
] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export interface FeedbackEvent {
  kind: FeedbackKind;
  /** Default sms for inbound_sms. */
  channel?: Channel;
  address: string;
  /** The message text of an inbound SMS. */
  text?: string;
  /** Only this resource's subscriptions; without it an unsubscribe or resubscribe changes the global status too. */
  resource?: string;
  /** When it happened: ISO 8601 with a time zone, or a Date; default now. */
  at?: string | Date;
  /** Provider, message id, webhook... A string is recorded as {detail: string}. */
  source?: Record<string, unknown> | string;
}

export interface ValidFeedbackEvent {
  kind: FeedbackKind;
  channel: Channel;
  address: string;
  text?: string;
  resource?: string;
  at: Date;
  /** Whether the event gave its own time (false: it is taken as happening now). */
  timed: boolean;
  source: Record<string, unknown>;
}

/** How far ahead of this server's clock an event may claim to be (the sender's clock may run fast). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** Nothing we hear about happened before this; earlier times are typos or epoch zero. */
export const EARLIEST_EVENT = new Date('2000-01-01T00:00:00Z');
const MAX_ADDRESS_CHARS = 254;
const MAX_TEXT_CHARS = 10_000;
const MAX_SOURCE_CHARS = 16_000;
const MAX_SOURCE_DEPTH = 16;
const FIELDS = ['kind', 'channel', 'address', 'text', 'resource', 'at', 'source'];
const EXAMPLE_TIME =
  'ISO 8601 with a time zone, e.g. 2025-06-01T12:00:00Z or 2025-06-01T08:00:00-04:00 (a bare date is midnight UTC)';

/** A value as an error message may show it: JSON, at most 40 characters of it. */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = 'a value too deeply nested to show';
  }
  return text.length > 40 ? `${text.slice(0, 36)}...(${text.length} characters)` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function text(
  event: Record<string, unknown>,
  field: string,
  max: number,
  example: string,
): string | undefined {
  const value = event[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new ContactFieldError(field, `must be a string, found ${typeName(value)}; e.g. ${example}`);
  if (value.length > max)
    throw new ContactFieldError(field, `is longer than ${max} characters; e.g. ${example}`);
  return value;
}

/** An instant from ISO 8601 text with an explicit offset (no server-local guess across DST) or a Date. */
export function parseEventTime(value: unknown, now: Date): Date {
  let at: Date | undefined;
  if (value instanceof Date) {
    at = Number.isNaN(value.getTime()) ? undefined : value;
  } else if (typeof value === 'string') {
    // A bare date is midnight UTC of that day.
    const m =
      /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim()) ??
      /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2}))$/i.exec(
        value.trim(),
      );
    if (m) {
      const n = (i: number) => Number(m[i] ?? 0);
      const [y, mo, d, h, mi, s] = [n(1), n(2), n(3), n(4), n(5), n(6)];
      const ms = Math.floor(Number(`0${m[7] ?? ''}`) * 1000);
      const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
      const back = new Date(local);
      // Date.UTC rolls 02-30 over to March: a real date and time come back unchanged.
      const real =
        back.getUTCFullYear() === y &&
        back.getUTCMonth() === mo - 1 &&
        back.getUTCDate() === d &&
        h < 24 &&
        mi < 60 &&
        s < 60;
      const offH = Number(m[10] ?? 0);
      const offM = Number(m[11] ?? 0);
      if (real && offH <= 14 && offM < 60) {
        const offset = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000;
        at = new Date(local - offset);
      }
    }
  } else if (value !== undefined) {
    throw new ContactFieldError(
      'at',
      `must be a time string, found ${typeName(value)}; give ${EXAMPLE_TIME}`,
    );
  }
  if (
    !at &&
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(value.trim())
  )
    throw new ContactFieldError(
      'at',
      `${shown(value)} has no time zone, and a local time is ambiguous (daylight saving); add Z or the offset, e.g. 2025-06-01T12:00:00Z or 2025-06-01T08:00:00-04:00`,
    );
  if (!at)
    throw new ContactFieldError(
      'at',
      `${value instanceof Date ? 'an invalid Date' : shown(value)} is not a time; give ${EXAMPLE_TIME}`,
    );
  if (at.getTime() < EARLIEST_EVENT.getTime())
    throw new ContactFieldError(
      'at',
      `${shown(value)} is before 2000; give the time the event happened, ${EXAMPLE_TIME}`,
    );
  if (at.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw new ContactFieldError(
      'at',
      `${shown(value instanceof Date ? value.toISOString() : value)} is in the future (more than 5 minutes after this server's clock, ${now.toISOString()}); give the time the event happened, e.g. 2025-06-01T12:00:00Z`,
    );
  return at;
}

/** Depth of nested lists and objects, counted without recursion and given up past `limit`. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

function parseSource(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value === 'string') {
    if (value.length > MAX_SOURCE_CHARS)
      throw new ContactFieldError('source', `is longer than ${MAX_SOURCE_CHARS} characters; keep it short`);
    return { detail: value };
  }
  if (!isPlainObject(value))
    throw new ContactFieldError(
      'source',
      `must be an object or a string, found ${typeName(value)}; e.g. {"provider": "twilio", "messageId": "SM123"}`,
    );
  if (depthExceeds(value, MAX_SOURCE_DEPTH) || JSON.stringify(value).length > MAX_SOURCE_CHARS)
    throw new ContactFieldError(
      'source',
      `is larger than ${MAX_SOURCE_CHARS} characters or ${MAX_SOURCE_DEPTH} levels deep; keep only identifiers`,
    );
  return value;
}

function parseKind(value: unknown): FeedbackKind {
  const kinds = FEEDBACK_KINDS.join(', ');
  if (value === undefined) throw new ContactFieldError('kind', `is missing; give one of ${kinds}`);
  if (typeof value !== 'string' || !(FEEDBACK_KINDS as readonly string[]).includes(value))
    throw new ContactFieldError(
      'kind',
      `${shown(value)} is not a feedback kind (one of ${kinds}).${typeof value === 'string' && value.length < 40 ? suggest(value, FEEDBACK_KINDS) : ''}`,
    );
  return value as FeedbackKind;
}

function parseFeedbackChannel(value: unknown, kind: FeedbackKind): Channel {
  if (value === undefined && kind === 'inbound_sms') return 'sms';
  if (value === undefined) throw new ContactFieldError('channel', 'is missing; give email or sms');
  const c = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (c !== 'email' && c !== 'sms')
    throw new ContactFieldError('channel', `${shown(value)} is not a channel (one of email, sms)`);
  if (kind === 'inbound_sms' && c !== 'sms')
    throw new ContactFieldError('channel', 'inbound_sms feedback is for the sms channel; give "sms"');
  return c;
}

function parseFeedbackAddress(event: Record<string, unknown>, channel: Channel): string {
  const example = channel === 'email' ? '"ada@example.com"' : '"+14155550100"';
  const raw = text(event, 'address', MAX_ADDRESS_CHARS, example);
  if (raw === undefined)
    throw new ContactFieldError('address', `is missing; give the address, e.g. ${example}`);
  try {
    return normalizeAddress(channel, raw, 'address');
  } catch {
    throw new ContactFieldError(
      'address',
      channel === 'email'
        ? `${shown(raw)} is not an email address (expected e.g. ada@example.com)`
        : `${shown(raw)} is not an E.164 phone number (expected "+" and the country code, e.g. +14155550100)`,
    );
  }
}

/** Checks and normalizes one event; `now` is this server's clock (tests pass their own). */
export function parseFeedbackEvent(raw: unknown, now: Date = new Date()): ValidFeedbackEvent {
  if (!isPlainObject(raw))
    throw new ContactFieldError(
      'event',
      `must be a JSON object, found ${typeName(raw)}; give one event per line, e.g. {"kind": "inbound_sms", "address": "+14155550100", "text": "STOP"}`,
    );
  for (const key of Object.keys(raw)) {
    if (FIELDS.includes(key)) continue;
    const name = key.length > 40 ? `${key.slice(0, 36)}...` : key;
    throw new ContactFieldError(
      name,
      `is not a feedback field (the fields are ${FIELDS.join(', ')}).${suggest(name, FIELDS)}`,
    );
  }
  const kind = parseKind(raw.kind);
  const channel = parseFeedbackChannel(raw.channel, kind);
  const address = parseFeedbackAddress(raw, channel);
  const smsText = text(raw, 'text', MAX_TEXT_CHARS, '"STOP"');
  if (kind === 'inbound_sms' && smsText === undefined)
    throw new ContactFieldError('text', 'is missing; give the text of the SMS reply, e.g. "STOP"');
  const resourceText = text(raw, 'resource', 64, '"newsletter"');
  let resource: string | undefined;
  if (resourceText !== undefined) {
    try {
      resource = parseResource(resourceText);
    } catch {
      throw new ContactFieldError(
        'resource',
        `${shown(resourceText)} is not a resource name (1-64 letters, digits, "_", ".", ":" or "-")`,
      );
    }
  }
  const at = raw.at === undefined ? now : parseEventTime(raw.at, now);
  return {
    kind,
    channel,
    address,
    ...(smsText !== undefined ? { text: smsText } : {}),
    ...(resource ? { resource } : {}),
    at,
    timed: raw.at !== undefined,
    source: parseSource(raw.source),
  };
}
