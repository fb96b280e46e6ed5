// Which state's sending hours apply to a contact. The profile's ISO 3166-2 subdivision wins; a US contact
// without one is presumed to be where the area code of the chosen SMS number was assigned (NANP, from the data
// file the project ships); otherwise no state is known and the region's own (federal) window applies.
import areaCodes from './data/us-area-codes.json';
import type { Channel, ContactProfile } from './model';

export type StateSource = 'contact' | 'area-code' | 'none';

export interface StateOf {
  /** ISO 3166-2 code, e.g. "US-FL"; null when none is known. */
  readonly code: string | null;
  readonly source: StateSource;
  /** The area code the state was presumed from (three digits; never the number). */
  readonly areaCode?: string;
}

const byAreaCode = new Map<string, string>();
for (const [state, codes] of Object.entries(areaCodes.states))
  for (const c of codes) byAreaCode.set(c, state);

export const NO_STATE: StateOf = Object.freeze({ code: null, source: 'none' });
const presumed = new Map<string, StateOf>();

/** The state of the contact for a message on `channel` to `address` (the chosen subscription's). */
export function stateOf(contact: ContactProfile, channel: Channel, address: string | undefined): StateOf {
  const own = contact.subdivision;
  if (typeof own === 'string' && own !== '') return { code: own, source: 'contact' };
  const country = contact.country;
  if (country !== undefined && country !== null && country !== 'US') return NO_STATE;
  const code = areaCodeOf(channel, address);
  if (code === undefined) return NO_STATE;
  let state = presumed.get(code);
  if (!state) {
    const found = byAreaCode.get(code);
    state = found ? Object.freeze({ code: found, source: 'area-code', areaCode: code }) : NO_STATE;
    if (/^\d{3}$/.test(code)) presumed.set(code, state); // at most 1,000 keys
  }
  return state;
}

/**
 * All a decision reads of an address: the area code of a +1 SMS number (three characters after "+1"), which
 * may presume the contact's state. Nothing of an email address. rules/decision-facts.ts keys on this.
 */
export function areaCodeOf(channel: Channel, address: string | undefined): string | undefined {
  if (channel !== 'sms' || address === undefined || address.length < 5 || !address.startsWith('+1'))
    return undefined;
  return address.slice(2, 5);
}

/** The sentence a timing reason adds about the state, when the region has windows per state. */
export function stateWords(state: StateOf, hasOwnWindow: boolean): string {
  const hours = hasOwnWindow ? 'its hours apply' : 'it has no hours of its own, so the federal hours apply';
  if (state.source === 'contact')
    return ` The contact's state is ${state.code} (from the profile): ${hours}.`;
  if (state.source === 'area-code')
    return ` The contact's state is presumed to be ${state.code} from area code ${state.areaCode} of the SMS number (the profile names none): ${hours}.`;
  return " The contact's state is not known (the profile names none and the SMS number's area code is not a US state's), so the federal hours apply.";
}
