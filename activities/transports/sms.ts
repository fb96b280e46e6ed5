// SMS through an HTTP provider with Twilio's request shape: POST {base}/2010-04-01/Accounts/{sid}/Messages.json,
// form-encoded To/From/Body, basic auth. The idempotency key travels as I-Twilio-Idempotency-Token; our sink
// dedupes on it (see docs/delivery.md for what real providers do with such a header).
import { DeliveryError, type OutgoingSms, type SmsTransport } from './types';

export interface HttpSmsTransportOptions {
  /** Provider base URL, e.g. https://api.twilio.com or the local sink's URL. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Sender number (E.164) or messaging service id. */
  from: string;
  timeoutMs?: number;
}

/** Twilio error codes that say something about the recipient. */
const RECIPIENT_FEEDBACK: Record<number, 'hard_bounce' | 'unsubscribe'> = {
  21211: 'hard_bounce', // invalid 'To' phone number
  21614: 'hard_bounce', // 'To' number is not a valid mobile number
  21610: 'unsubscribe', // the recipient replied STOP to this sender
};

export function createHttpSmsTransport(options: HttpSmsTransportOptions): SmsTransport {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new Error(`SMS_API_URL "${options.baseUrl}" is not a URL; expected e.g. http://127.0.0.1:8025.`);
  }
  const endpoint = new URL(
    `2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`,
    base.href.endsWith('/') ? base.href : `${base.href}/`,
  );
  const auth = Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64');
  const timeout = options.timeoutMs ?? 15_000;

  return {
    async sendSms(message: OutgoingSms) {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${auth}`,
            'content-type': 'application/x-www-form-urlencoded',
            'I-Twilio-Idempotency-Token': message.idempotencyKey,
          },
          body: new URLSearchParams({ To: message.to, From: options.from, Body: message.body }),
          signal: AbortSignal.timeout(timeout),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const cause =
          e.cause?.code ??
          e.cause?.message ??
          (e.name === 'TimeoutError' ? `timeout ${timeout} ms` : e.message);
        throw new DeliveryError(
          `SMS provider unreachable at ${endpoint.origin} (${cause}), will retry`,
          false,
          {
            providerCode: cause,
          },
        );
      }
      const text = await res.text();
      const body = parseJson(text);
      if (res.status >= 200 && res.status < 300) {
        const sid = typeof body?.sid === 'string' ? body.sid : undefined;
        if (!sid) {
          throw new DeliveryError(`SMS provider answered ${res.status} without a message sid`, false);
        }
        return { providerId: sid };
      }
      const providerCode = typeof body?.code === 'number' ? body.code : res.status;
      const detail = typeof body?.message === 'string' ? body.message : text.slice(0, 200);
      // 429 and 408 are "slow down / try again"; other 4xx are answers about this request that will not change.
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408;
      const feedback =
        permanent && typeof body?.code === 'number' ? RECIPIENT_FEEDBACK[body.code] : undefined;
      throw new DeliveryError(
        `SMS provider answered ${res.status}${permanent ? '' : ', will retry'} (${providerCode}: ${detail})`,
        permanent,
        { providerCode, ...(feedback ? { feedback } : {}) },
      );
    },
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
