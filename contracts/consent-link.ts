// Signed consent links: the token an email's unsubscribe link and preference link carry, shared by the sending
// side (activities/consent-links.ts puts it in headers and templates) and the HTTP server (which checks it).
// A token is `v1.<claims>.<mac>`: base64url JSON claims and an HMAC-SHA256 over "v1." + claims. The claims name
// the contact by id, never by address, so a forwarded or logged link reveals nobody. Keys rotate: the first key
// signs, every key verifies, so an old email's link keeps working while its key is still listed.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'unsubscribe' | 'preferences' | 'confirm';

export interface LinkClaims {
  /** What the link may do: unsubscribe one scope, open the contact's preference page, or confirm a double opt-in. */
  purpose: LinkPurpose;
  contactId: string;
  channel: 'email' | 'sms';
  /** The resource the message was sent for; absent: the message named none (unsubscribe is then global). */
  resource?: string;
  category?: string;
  /** The message the link came in (outbox key): consent proof, and the replay key of a one-click POST. */
  messageId?: string;
  /** Until when the link works (ms since the epoch); absent: for good. Only double opt-in links expire. */
  expiresAt?: number;
}

const WIRE_PURPOSE = { unsubscribe: 'u', preferences: 'p', confirm: 'c' } as const;
const PURPOSE_OF: Record<string, LinkPurpose> = { u: 'unsubscribe', p: 'preferences', c: 'confirm' };

interface WireClaims {
  p: 'u' | 'p' | 'c';
  c: string;
  ch: 'e' | 's';
  r?: string;
  k?: string;
  m?: string;
  x?: number;
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const mac = (key: string, body: string) => createHmac('sha256', key).update(`v1.${body}`).digest();

/** Signs claims with the first key of `keys`. */
export function signLink(keys: readonly string[], claims: LinkClaims): string {
  const key = keys[0];
  if (!key) throw new Error('No link signing key: set CONSENTFLOW_LINK_SECRET (see docs/consent-http.md).');
  const wire: WireClaims = {
    p: WIRE_PURPOSE[claims.purpose],
    c: claims.contactId,
    ch: claims.channel === 'email' ? 'e' : 's',
    ...(claims.resource ? { r: claims.resource } : {}),
    ...(claims.category ? { k: claims.category } : {}),
    ...(claims.messageId ? { m: claims.messageId } : {}),
    ...(claims.expiresAt !== undefined ? { x: claims.expiresAt } : {}),
  };
  const body = b64(JSON.stringify(wire));
  return `v1.${body}.${b64(mac(key, body))}`;
}

const MAX_TOKEN_CHARS = 2048;

/**
 * The claims of a token signed by any of `keys`, or null: malformed, tampered, signed by an unknown key, or
 * of another purpose. Never throws on bad input (a link comes from anywhere).
 */
export function verifyLink(keys: readonly string[], token: unknown, purpose: LinkPurpose): LinkClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return null;
  const [, body, sig] = parts as [string, string, string];
  const given = Buffer.from(sig, 'base64url');
  const signedByKnownKey = keys.some((key) => {
    const expected = mac(key, body);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!signedByKnownKey) return null;
  let wire: Partial<WireClaims>;
  try {
    wire = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<WireClaims>;
  } catch {
    return null;
  }
  const p = typeof wire.p === 'string' ? (PURPOSE_OF[wire.p] ?? null) : null;
  if (p !== purpose || typeof wire.c !== 'string' || (wire.ch !== 'e' && wire.ch !== 's')) return null;
  return {
    purpose: p,
    contactId: wire.c,
    channel: wire.ch === 'e' ? 'email' : 'sms',
    ...(typeof wire.r === 'string' ? { resource: wire.r } : {}),
    ...(typeof wire.k === 'string' ? { category: wire.k } : {}),
    ...(typeof wire.m === 'string' ? { messageId: wire.m } : {}),
    ...(typeof wire.x === 'number' ? { expiresAt: wire.x } : {}),
  };
}
