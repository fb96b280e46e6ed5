// What a decision reads of a contact: two contacts with the same facts get the same verdict, reasons and opening
// time for the same message at the same instant with no history to count (the decision is a function of rule
// set, contact, message, instant and history). Only the address a send goes to differs, so only callers that do
// not use it may share one decision among contacts (campaign preview and enqueueing: a campaign row's address
// is chosen again at delivery). Every profile field is a fact except the id; of each address only what the rules
// read of it (areaCodeOf). test/rules/decision-facts.test.ts fails when a profile field is added to the model
// and not here.
import type { Channel, ContactProfile } from './model';
import { areaCodeOf } from './subdivision';

type Node = Map<unknown, unknown>;
/** Where a leaf keeps its value: a key no fact can take. */
const VALUE = Symbol('value');

/**
 * Values by a contact's decision facts for messages on one channel. A tree of maps, one level per fact, each
 * keyed by the fact's own value: a campaign page looks up thousands of contacts, and a key string built of
 * every fact (a hundred characters, concatenated, then flattened and hashed for the lookup) cost three times
 * as much as walking the facts. A path is eight facts of the contact and six of each subscription, its value
 * kept at its own end: two different fact lists never end at the same node.
 */
export class DecisionFactsMap<V> {
  private readonly root: Node = new Map();

  constructor(private readonly channel: Channel) {}

  get(contact: ContactProfile): V | undefined {
    return this.leaf(contact, false)?.get(VALUE) as V | undefined;
  }

  set(contact: ContactProfile, value: V): void {
    this.leaf(contact, true)!.set(VALUE, value);
  }

  private leaf(contact: ContactProfile, create: boolean): Node | undefined {
    const ic = contact.impliedConsent;
    const bl = contact.blacklist;
    let node = child(this.root, contact.status, create);
    // A profile without `active` is active, as the rules read it (only `false` deactivates).
    node = child(node, contact.active !== false, create);
    node = child(node, contact.country ?? null, create);
    node = child(node, contact.subdivision ?? null, create);
    node = child(node, contact.timezone ?? null, create);
    node = child(node, ic ? ic.basis : null, create);
    node = child(node, ic ? ic.at : null, create);
    node = child(node, bl ? (bl.email ? 2 : 0) + (bl.phone ? 1 : 0) : -1, create);
    for (const s of contact.subscriptions) {
      node = child(node, s.resource, create);
      node = child(node, s.channel, create);
      node = child(node, s.status, create);
      node = child(node, s.priority, create);
      node = child(node, areaCodeOf(this.channel, s.address) ?? null, create);
      node = child(node, s.categories ? categoriesText(s.categories) : null, create);
    }
    return node;
  }
}

/** The node under `fact` (made when `create`); none below a node that is not there. */
function child(node: Node | undefined, fact: unknown, create: boolean): Node | undefined {
  if (node === undefined) return undefined;
  let next = node.get(fact) as Node | undefined;
  if (next === undefined && create) node.set(fact, (next = new Map()));
  return next;
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
