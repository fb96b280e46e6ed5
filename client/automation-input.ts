// What the automation client refuses before anything reaches Temporal: workflow ids, search attributes and
// histories outlive any erase request, so no address may become part of them (contracts/personal-data.ts).
import {
  contactIdProblem,
  looksLikeEmail,
  looksLikePhone,
  personalDataPaths,
} from '../contracts/personal-data';
import type { EventAutomationDefinition } from '../workflows/definitions';

export class AutomationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AutomationInputError';
  }
}

const shown = (v: unknown): string => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

export function checkContactId(contactId: unknown): void {
  const problem = contactIdProblem(contactId);
  if (problem) throw new AutomationInputError(`contact id "${shown(contactId)}" ${problem}.`);
}

/** Order, cart, shipment and event ids become workflow ids and message keys: same alphabet, no addresses. */
export function checkBusinessId(what: string, value: unknown): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(value)) {
    throw new AutomationInputError(
      `${what} "${shown(value)}" must be 1-128 letters, digits, "_", ".", ":" or "-".`,
    );
  }
  if (looksLikeEmail(value) || looksLikePhone(value)) {
    throw new AutomationInputError(
      `${what} "${shown(value)}" looks like an email address or phone number; use the shop's own id.`,
    );
  }
}

/**
 * Event properties land in workflow histories. A value that looks like an email address or a phone number is
 * refused, unless the definition declares the property in `personalProperties`: then it is dropped here and
 * never enters Temporal (templates read contact fields from PostgreSQL instead).
 */
export function checkEventProperties(
  properties: Record<string, unknown>,
  definition: Pick<EventAutomationDefinition, 'id' | 'personalProperties'>,
): Record<string, unknown> {
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) {
    throw new AutomationInputError('event properties must be a JSON object.');
  }
  const declared = new Set(definition.personalProperties ?? []);
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties)) if (!declared.has(k)) kept[k] = v;
  const found = personalDataPaths(kept);
  if (found.length > 0) {
    throw new AutomationInputError(
      `event property ${found.map((p) => `"${p}"`).join(', ')} looks like an email address or phone number; ` +
        `personal data must not enter workflow histories. Send the contact id instead, or declare the property ` +
        `in "personalProperties" of automation "${definition.id}" to have it dropped before the event is sent.`,
    );
  }
  return kept;
}
