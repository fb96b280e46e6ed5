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
  const ic = contact.impliedConsent;
  let key =
    `${contact.status}|${String(contact.active)}|${text(contact.country)}|${text(contact.subdivision)}|` +
    `${text(contact.timezone)}|${ic ? `${ic.basis}@${ic.at}` : '-'}|` +
    `${contact.blacklist ? `${String(contact.blacklist.email)},${String(contact.blacklist.phone)}` : '-'}`;
  for (const s of contact.subscriptions)
    key +=
      `|${text(s.resource)}${s.channel}/${s.status}/${s.priority}/${areaCodeOf(channel, s.address) ?? '-'}/` +
      (s.categories ? JSON.stringify(s.categories) : '-');
  return key;
}
