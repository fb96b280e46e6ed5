// How Twilio signs a webhook (twilio.com/docs/usage/webhooks/webhooks-security, twilio-node's webhooks.ts):
// - X-Twilio-Signature = base64(HMAC(secret, URL + each POST parameter's name and value, sorted by name; a
//   repeated parameter's distinct values sorted)). The URL is the one Twilio called, query string included;
//   Twilio computes it sometimes with the standard port (:443) and sometimes without, so both are accepted.
// - A JSON body (application/json) is not in the signed string: Twilio adds `bodySHA256=<hex SHA-256 of the raw
//   body>` to the URL's query, signs the URL alone, and the receiver checks the body against that hash.
// - By default the secret is the account's auth token and the HMAC is SHA-1. When a Webhook Rule with a
//   SharedKey matches the URL, Twilio signs with that key's secret and the Setting's algorithm instead
//   (HMAC_SHA1 or HMAC_SHA256) and says so in `X-Twilio-Webhooks-Signature-Settings: key=<KeySid>,
//   algorithm=HMAC_SHA256`. Only the hash and the secret change; the signed string is the same.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type TwilioAlgorithm = 'sha1' | 'sha256';

/** A SharedKey's secret; with its SID (KS...) it is only used for requests that name that key. */
export interface TwilioSharedKey {
  sid?: string;
  secret: string;
}

export interface TwilioSecrets {
  authToken?: string;
  sharedKeys?: readonly TwilioSharedKey[];
}

export interface TwilioRequest {
  /** The URL Twilio called: the public origin + path and query as received. */
  url: string;
  contentType: string;
  rawBody: string;
  signature: string | undefined;
  /** X-Twilio-Webhooks-Signature-Settings, when present. */
  settings: string | undefined;
}

const ALGORITHMS: Record<string, TwilioAlgorithm> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

/** The signed string's parameters from a form body, every value of a repeated name kept. */
export function formParams(rawBody: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(rawBody)) (out[k] ??= []).push(v);
  return out;
}

export function twilioSignature(
  secret: string,
  url: string,
  params: Record<string, string | readonly string[]>,
  algorithm: TwilioAlgorithm = 'sha1',
): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key]!;
      const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
      return values.reduce((a, v) => a + key + v, acc);
    }, url);
  return createHmac(algorithm, secret).update(data, 'utf8').digest('base64');
}

/** The URL as given, with the scheme's standard port added, and without any port: Twilio uses either. */
function urlVariants(raw: string): string[] {
  const url = new URL(raw);
  const withoutPort = new URL(raw);
  withoutPort.port = '';
  const variants = [withoutPort.toString()];
  if (url.port) variants.push(url.toString());
  else {
    const standard = url.protocol === 'https:' ? '443' : '80';
    variants.push(`${url.protocol}//${url.host}:${standard}${url.pathname}${url.search}`);
  }
  return variants;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Why the request is not Twilio's, or null when its signature holds. Never says what the expected value
 * was. Which secret and hash: the auth token and SHA-1, or, when the settings header names one, a shared
 * key's secret and the header's algorithm (a request cannot choose the auth token by claiming SHA-256).
 */
export function twilioRejection(secrets: TwilioSecrets, request: TwilioRequest): string | null {
  if (!request.signature) return 'X-Twilio-Signature is missing';
  let algorithm: TwilioAlgorithm = 'sha1';
  // Comma-separated: the primary auth token and, while rotating, the secondary one.
  let candidates = (secrets.authToken ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (request.settings !== undefined) {
    const fields = Object.fromEntries(
      request.settings.split(',').map((part) => {
        const i = part.indexOf('=');
        return [part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim()];
      }),
    ) as Record<string, string>;
    const named = ALGORITHMS[(fields.algorithm ?? '').toUpperCase()];
    if (!named)
      return `X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm (HMAC_SHA1 or HMAC_SHA256)`;
    const keys = (secrets.sharedKeys ?? []).filter((k) => !k.sid || !fields.key || k.sid === fields.key);
    if (!keys.length)
      return `the request is signed with a Twilio SharedKey${fields.key ? ` (${fields.key.slice(0, 40)})` : ''} this server does not have: set TWILIO_WEBHOOK_SHARED_KEYS`;
    algorithm = named;
    candidates = keys.map((k) => k.secret);
  } else if (!candidates.length)
    return 'the request is signed with the account auth token and this server has none: set TWILIO_AUTH_TOKEN';
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return 'the request URL cannot be read';
  }
  const bodyHash = url.searchParams.get('bodySHA256');
  let params: Record<string, string[]>;
  if (/^application\/json/i.test(request.contentType)) {
    if (!bodyHash) return 'a JSON body needs the bodySHA256 query parameter Twilio adds to the URL';
    const actual = createHash('sha256').update(request.rawBody, 'utf8').digest('hex');
    if (!same(actual, bodyHash.toLowerCase())) return 'the body does not match its bodySHA256';
    params = {};
  } else if (/^application\/x-www-form-urlencoded/i.test(request.contentType)) {
    params = formParams(request.rawBody);
  } else return 'the body is neither a form (application/x-www-form-urlencoded) nor JSON';
  const given = request.signature;
  const ok = urlVariants(request.url).some((u) =>
    candidates.some((secret) => same(given, twilioSignature(secret, u, params, algorithm))),
  );
  return ok ? null : 'X-Twilio-Signature does not match this URL and body';
}
