// The request of the decision contract (`consentflow decide`, one JSON line each) and its validator.
import { Type, type Static } from '@sinclair/typebox';
import { ContactProfile, HistoryEntry, MessageSpec } from './model';
import { suggest, validateAgainst } from './problems';
import { quote } from './quote';

export const DecideRequest = Type.Object(
  {
    id: Type.Optional(
      Type.String({ description: 'Echoed on the answer line so callers can match answers.' }),
    ),
    contact: Type.Optional(ContactProfile),
    contactId: Type.Optional(
      Type.String({ minLength: 1, description: 'Id of a contact in the contact store.' }),
    ),
    message: MessageSpec,
    at: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'An ISO-8601 instant with its offset, e.g. "2026-03-01T15:00:00Z"; default now.',
      }),
    ),
    history: Type.Optional(
      Type.Array(HistoryEntry, {
        description:
          'Messages already sent to this contact, in any order; frequency caps count them. For a stored contact (contactId) the outbox supplies it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DecideRequest = Static<typeof DecideRequest>;

export interface RequestError {
  message: string;
  /** JSON pointer into the request ("" for the request as a whole). */
  path: string;
}

export type RequestCheck = { ok: true; request: DecideRequest } | { ok: false; error: RequestError };

/**
 * Checks one parsed request line; `messageTypes` (the rule set's, see RuleSet.messageTypes) are the types a
 * message may have. The first problem is reported with where it is and how to fix it.
 */
export function validateDecideRequest(value: unknown, messageTypes?: readonly string[]): RequestCheck {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      error: {
        message: 'The request must be a JSON object with "contact" or "contactId" and "message".',
        path: '',
      },
    };
  }
  const problems = validateAgainst(DecideRequest, value);
  const first = problems[0];
  if (first) {
    const where = first.pointer ? `${first.pointer}: ` : '';
    return { ok: false, error: { message: `${where}${first.message}. ${first.hint}`, path: first.pointer } };
  }
  const request = value as DecideRequest;
  if ((request.contact === undefined) === (request.contactId === undefined)) {
    return {
      ok: false,
      error: {
        message: 'Give exactly one of "contact" (the profile) or "contactId" (a stored contact).',
        path: request.contact === undefined ? '/contact' : '/contactId',
      },
    };
  }
  // JSON numbers are doubles: 1e400 parses as Infinity and 1e20 as an integer that no longer compares exactly,
  // yet both pass the schema's "integer". Priorities are compared, so they must be safe integers.
  const subs = request.contact?.subscriptions ?? [];
  for (let i = 0; i < subs.length; i++) {
    const priority = subs[i]!.priority;
    if (Number.isSafeInteger(priority)) continue;
    const path = `/contact/subscriptions/${i}/priority`;
    return {
      ok: false,
      error: {
        message: `${path}: the priority ${quote(priority)} is outside the range of whole numbers that compare exactly. Write a whole number between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (lower wins), e.g. 1.`,
        path,
      },
    };
  }
  if (request.at !== undefined && Number.isNaN(Date.parse(request.at))) {
    return {
      ok: false,
      error: { message: `/at: ${quote(request.at)} is not a real instant.`, path: '/at' },
    };
  }
  const subdivision = request.contact?.subdivision;
  const country = request.contact?.country;
  if (subdivision && country && !subdivision.startsWith(`${country}-`)) {
    return {
      ok: false,
      error: {
        message: `/contact/subdivision: ${quote(subdivision)} is not a subdivision of ${country}. Write an ISO 3166-2 code that starts with "${country}-", e.g. "${country === 'US' ? 'US-FL' : `${country}-XX`}", or fix the country.`,
        path: '/contact/subdivision',
      },
    };
  }
  const history = request.history ?? [];
  for (let i = 0; i < history.length; i++) {
    if (!Number.isNaN(Date.parse(history[i]!.at))) continue;
    const path = `/history/${i}/at`;
    return {
      ok: false,
      error: { message: `${path}: ${quote(history[i]!.at)} is not a real instant.`, path },
    };
  }
  const type = request.message.type;
  if (messageTypes && !messageTypes.includes(type)) {
    return {
      ok: false,
      error: {
        message: `/message/type: ${quote(type)} is not a message type of the rules. Use one of ${messageTypes.join(', ')}.${suggest(type, messageTypes)}`,
        path: '/message/type',
      },
    };
  }
  return { ok: true, request };
}
