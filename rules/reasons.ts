// Reason texts. Every reason is built from a template and the decision's facts, and facts never hold an
// address, a name or a resource name: reasons are stored in Temporal histories and the decision log.
import type { Channel, GlobalStatus, MessageType, SubscriptionStatus } from './model';
import type { Kind, MatrixColumn } from './rule-file';

/** What the rules see of one (contact, subscription, message). All values come from small finite sets. */
export interface FactValues {
  channel: Channel;
  type: MessageType;
  kind: Kind;
  region: string | null;
  matrix: string | null;
  globalStatus: GlobalStatus;
  active: boolean;
  blacklisted: boolean;
  subscriptionStatus: SubscriptionStatus | 'none';
  column: MatrixColumn | 'none';
  categoryState: 'subscribed' | 'unsubscribed' | 'not_mentioned' | 'no_category';
  /** The message's category name, null when it has none. Not a placeholder: names are free text. */
  category: string | null;
}

export const TEMPLATES = {
  regionUnknown:
    "The contact's country belongs to no region of the rules (and no region is set for other or missing " +
    'countries), so nothing is sent.',
  regionNoMatrix: 'Region {region} names no {channel} matrix, so nothing is sent by {channel} there.',
  subscriptionNone:
    "The contact has no {channel} subscription this message could use (none on this channel, or none for the message's resource).",
  matrixNotListed: 'The {matrix} matrix has no row for {type}, so {type} is never sent by {channel}.',
  matrixDenies:
    'The {matrix} matrix does not let {type} reach {column} contacts (this subscription is {subscriptionStatus}).',
  matrixAllows:
    'The {matrix} matrix lets {type} reach {column} contacts (this subscription is {subscriptionStatus}).',
  timezoneMissing:
    'Marketing {channel} in region {region} may only go out between {from} and {until} local time, and the ' +
    'contact has no valid time zone, so it is not sent.',
  quietHours:
    "Marketing {channel} in region {region} goes out only between {from} and {until} in the contact's time " +
    'zone; it is {local} there now, so it waits until {from}.',
  quietHoursDay:
    "Marketing {channel} in region {region} goes out only {hours} in the contact's time zone; it is {local} " +
    'there now, so it waits until the window next opens.',
  priority:
    'Of the {count} {channel} subscriptions that could carry this message, chose the one with the lowest ' +
    'priority number ({priority}) that may receive it.',
  ruleError: 'The rules could not decide ({error}), so nothing is sent.',
} as const;

export const RULE_IDS = {
  regionUnknown: 'region:unknown',
  regionNoMatrix: 'region:no-matrix',
  subscriptionNone: 'subscription:none',
  timezone: 'quiet-hours:timezone',
  priority: 'subscription:priority',
  error: 'rules:error',
  matrix: (id: string) => `matrix:${id}`,
  quietHours: (region: string) => `quiet-hours:${region}`,
} as const;

/** Ids read better as words in a sentence: non_subscribed -> non-subscribed, abandoned_cart -> abandoned cart. */
export function words(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === 'non_subscribed') return 'non-subscribed';
  return text.replace(/_/g, ' ');
}

const split = new Map<string, string[]>();

/** Fills {name} placeholders; templates are split once, since every decision fills one or two. */
export function fill(template: string, values: object): string {
  const facts = values as Record<string, unknown>;
  let parts = split.get(template);
  if (!parts) {
    parts = template.split(/\{(\w+)\}/);
    if (split.size > 1000) split.clear();
    split.set(template, parts);
  }
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!;
    const text = !(name in facts)
      ? `{${name}}`
      : name === 'matrix' || name === 'region'
        ? words(facts[name] ?? 'none').replace(/ /g, '_')
        : words(facts[name]);
    out += text + parts[i + 1]!;
  }
  return out;
}

/** Anything that looks like an e-mail address or a phone number must never reach a stored reason. */
export function looksLikeAddress(text: string): boolean {
  return /[^\s@]+@[^\s@]+/.test(text) || /\+?\d[\d\s().-]{6,}\d/.test(text);
}

export function scrub(text: string): string {
  return text.replace(/[^\s@]+@[^\s@]+/g, '[address]').replace(/\+?\d[\d\s().-]{6,}\d/g, '[number]');
}
