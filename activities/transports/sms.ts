// SMS through an HTTP provider with Twilio's request shape: POST {base}/2010-04-01/Accounts/{sid}/Messages.json,
// form-encoded To/From/Body, basic auth. The idempotency key travels as I-Twilio-Idempotency-Token; our sink
// dedupes on it (see docs/delivery.md for what real providers do with such a header).
import { DeliveryError, TRANSPORT_TOTAL_TIMEOUT_MS, type OutgoingSms, type SmsTransport } from './types';

export interface HttpSmsTransportOptions {
  /** Provider base URL, e.g. https://api.twilio.com or the local sink's URL. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Sender number (E.164) or messaging service id. */
  from: string;
  /** The most one send may take in all, answer included (default TRANSPORT_TOTAL_TIMEOUT_MS). */
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
  const timeout = options.timeoutMs ?? TRANSPORT_TOTAL_TIMEOUT_MS;

  return {
    async sendSms(message: OutgoingSms) {
      // One deadline for the request and the answer's body; the caller's signal cancels either.
      const deadline = AbortSignal.timeout(timeout);
      const signal = message.signal ? AbortSignal.any([deadline, message.signal]) : deadline;
      let status: number;
      let text: string;
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${auth}`,
            'content-type': 'application/x-www-form-urlencoded',
            'I-Twilio-Idempotency-Token': message.idempotencyKey,
          },
          body: new URLSearchParams({ To: message.to, From: options.from, Body: message.body }),
          signal,
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        throw networkFailure(err, {
          origin: endpoint.origin,
          cancelled: message.signal?.aborted === true,
          timedOutAfterMs: deadline.aborted ? timeout : undefined,
        });
      }
      const body = parseJson(text);
      if (status >= 200 && status < 300) {
        const sid = typeof body?.sid === 'string' ? body.sid : undefined;
        if (!sid) {
          throw new DeliveryError(`SMS provider answered ${status} without a message sid`, 'transient', {
            providerCode: status,
            maybeAccepted: true,
          });
        }
        return { providerId: sid };
      }
      throw classifySmsAnswer(status, body, text);
    },
  };
}

/**
 * - 401/403: our account id or token is wrong; 404: the base URL or account is; all configuration errors.
 * - 408, 429 and 5xx: slow down / try again.
 * - other 4xx: an answer about this request that will not change (permanent), with feedback for the codes
 *   that speak about the recipient.
 */
export function classifySmsAnswer(
  status: number,
  body: Record<string, unknown> | undefined,
  text: string,
): DeliveryError {
  const providerCode = typeof body?.code === 'number' ? body.code : status;
  const answer = typeof body?.message === 'string' ? body.message : text.slice(0, 200) || undefined;
  const detail = `${providerCode}: ${answer ?? ''}`;
  if (status === 401 || status === 403 || status === 404) {
    const fix =
      status === 404 ? 'Check SMS_API_URL and SMS_ACCOUNT_SID' : 'Check SMS_ACCOUNT_SID and SMS_AUTH_TOKEN';
    return new DeliveryError(
      `SMS provider answered ${status} (${detail}). ${fix}; SMS waits and is retried until it is fixed.`,
      'configuration',
      { providerCode },
      answer,
    );
  }
  if (status === 408 || status === 429 || status >= 500 || status < 400) {
    return new DeliveryError(
      `SMS provider answered ${status}, will retry (${detail})`,
      'transient',
      { providerCode },
      answer,
    );
  }
  const feedback = typeof body?.code === 'number' ? RECIPIENT_FEEDBACK[body.code] : undefined;
  return new DeliveryError(
    `SMS provider answered ${status} (${detail})`,
    'permanent',
    { providerCode, ...(feedback ? { feedback } : {}) },
    answer,
  );
}

/**
 * No answer. A refused or unresolvable connection never reached the provider; a timeout, a cancellation or a
 * dropped connection may have happened after the provider took the request (maybeAccepted).
 */
function networkFailure(
  err: unknown,
  at: { origin: string; cancelled: boolean; timedOutAfterMs: number | undefined },
): DeliveryError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  if (at.cancelled || at.timedOutAfterMs !== undefined) {
    const what = at.cancelled
      ? 'SMS send cancelled'
      : `SMS provider did not answer within ${at.timedOutAfterMs} ms`;
    return new DeliveryError(`${what} at ${at.origin}, will retry`, 'transient', {
      providerCode: at.cancelled ? 'CANCELLED' : 'TIMEOUT',
      maybeAccepted: true,
    });
  }
  const neverSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  const cause = code ?? e.cause?.message ?? e.message;
  return new DeliveryError(`SMS provider unreachable at ${at.origin} (${cause}), will retry`, 'transient', {
    providerCode: cause,
    ...(neverSent ? {} : { maybeAccepted: true }),
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
