// What may enter Temporal: ids and non-personal values only. Workflow ids, search attributes and histories are
// kept for the namespace's retention and cannot be erased per contact, so addresses stay in PostgreSQL.

/** The contact id rule the store enforces (db/contacts/validate.ts) and the client checks before it starts. */
export const CONTACT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const EMAIL_LIKE = /[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}/;
// An international number (+ or 00 and 8-15 digits, with the separators people type) or a formatted North
// American one. A bare run of digits is not flagged: order numbers and numeric contact ids look the same.
const PHONE_LIKE =
  /(?:^|[^\w+])(?:\+|00)\d(?:[\s().-]?\d){7,14}(?!\w)|(?:^|[^\w])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\w)/;

export function looksLikeEmail(text: string): boolean {
  return EMAIL_LIKE.test(text);
}

// A UUID's hyphen-separated groups can read as a number dialled with 00 ("…-8d57-004460487702"), and UUIDs are
// what the store gives contacts and what apps use for orders. Each is masked with a word character before the
// phone test: a UUID starts and ends with one, so a number next to it is judged as before. (A number that ran
// on into a UUID's first group, "0044 7700-90012345-84b9-…", is no longer found: no phone fits in a UUID.)
const UUID = /(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi;

export function looksLikePhone(text: string): boolean {
  return PHONE_LIKE.test(text.includes('-') ? text.replace(UUID, '_') : text);
}

/** `null` when the id is usable, else why not (for an error message that says how to fix it). */
export function contactIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return 'must be a string';
  if (looksLikeEmail(id) || looksLikePhone(id)) {
    return 'looks like an email address or phone number; pass the contact id from the store instead (consentflow contacts show <email> prints it)';
  }
  if (!CONTACT_ID_PATTERN.test(id)) return 'must be 1-128 letters, digits, "_", ".", ":" or "-"';
  return null;
}

/**
 * Paths (dot notation) of values in `value` that look like an email address or a phone number, at most
 * `limit` of them. Depth-bounded: event properties are app data, not trusted.
 */
export function personalDataPaths(
  value: unknown,
  limit = 5,
  path = '',
  depth = 0,
  out: string[] = [],
): string[] {
  if (out.length >= limit) return out;
  if (depth > 32) {
    out.push(`${path || '(root)'} (nested too deeply)`);
    return out;
  }
  if (typeof value === 'string') {
    if (looksLikeEmail(value) || looksLikePhone(value)) out.push(path || '(root)');
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      personalDataPaths(v, limit, path ? `${path}.${k}` : k, depth + 1, out);
      if (out.length >= limit) break;
    }
  }
  return out;
}
