// What a decision reads of a contact, as a string: two contacts with the same key get the same verdict, reasons
// and opening time for the same message at the same instant with no history to count (the decision is a
// function of rule set, contact, message, instant and history). Only the address a send goes to differs, so
// only callers that do not use it may share one decision among contacts (campaign preview and enqueueing:
// a campaign row's address is chosen again at delivery). Every profile field is in the key except the id;
// of each address only what the rules read of it (areaCodeOf). test/rules/decision-facts.test.ts fails when a
// profile field is added to the model and not here.
import type { Channel, ContactProfile } from './model';
import { areaCodeOf } from './subdivision';

/** Free text (a resource name) with its length first: no separator inside it can make two keys equal. */
const text = (s: string | null | undefined): string => (s == null ? '-' : `${s.length}:${s}`);

export function decisionFactsKey(contact: ContactProfile, channel: Channel): string {
  // Built by + rather than one template per part: a campaign page keys thousands of contacts, and every
  // piece that is not a string of its own saves an allocation.
  const ic = contact.impliedConsent;
  const bl = contact.blacklist;
  let key =
    contact.status +
    // A profile without `active` is active, as the rules read it (only `false` deactivates).
    (contact.active === false ? '|f|' : '|t|') +
    text(contact.country) +
    '|' +
    text(contact.subdivision) +
    '|' +
    text(contact.timezone) +
    '|' +
    (ic ? `${ic.basis}@${ic.at}` : '-') +
    (bl ? (bl.email ? '|t' : '|f') + (bl.phone ? 't' : 'f') : '|-');
  for (const s of contact.subscriptions)
    key +=
      '|' +
      text(s.resource) +
      s.channel +
      '/' +
      s.status +
      '/' +
      s.priority +
      '/' +
      (areaCodeOf(channel, s.address) ?? '-') +
      '/' +
      (s.categories ? categoriesText(s.categories) : '-');
  return key;
}

/**
 * A subscription's categories as JSON, once per object: an audience page's subscriptions share the objects
 * of the few category sets they hold (db/contacts/profile-pages.ts), and nothing writes to them.
 */
const CATEGORIES_TEXT = new WeakMap<object, string>();
function categoriesText(
  categories: NonNullable<ContactProfile['subscriptions'][number]['categories']>,
): string {
  let json = CATEGORIES_TEXT.get(categories);
  if (json === undefined) CATEGORIES_TEXT.set(categories, (json = JSON.stringify(categories)));
  return json;
}
