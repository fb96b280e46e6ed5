// What a chaos sink can do to one request instead of answering it normally, and what every sink records.
// Unlike the demo's sinks (activities/transports/sinks), these keep EVERY copy they accept: the harness counts
// duplicates itself instead of letting a deduplicating mailbox hide them.

/**
 * - `reject-4xx`: a temporary refusal (SMTP 451, HTTP 429); nothing is kept.
 * - `reject-5xx`: SMTP 554 (permanent) or HTTP 500/502/503 (retryable); nothing is kept.
 * - `hang`: no answer for longer than the transport timeout, then the socket is destroyed; nothing is kept.
 * - `drop-after-accept`: the message is kept (a received copy), then the socket is destroyed before the answer.
 */
export const SINK_FAULTS = ['reject-4xx', 'reject-5xx', 'hang', 'drop-after-accept'] as const;
export type SinkFault = (typeof SINK_FAULTS)[number];

export type ChaosChannel = 'email' | 'sms';

/** Asked once per message the sink is about to accept; undefined answers normally. */
export type FaultPicker = (channel: ChaosChannel) => SinkFault | undefined;

export interface ReceivedCopy {
  channel: ChaosChannel;
  /** The idempotency key: decoded from the Message-ID (email) or the I-Twilio-Idempotency-Token (SMS). */
  key?: string;
  /** Email: the raw Message-ID header. */
  messageId?: string;
  /** Email: X-Consentflow-Idempotency-Key; SMS: the idempotency header itself. Must equal `key`. */
  headerKey?: string;
  to: string;
  /** Epoch ms when the sink kept the copy. */
  receivedAt: number;
  /** The sink destroyed the connection after keeping this copy, so the sender never heard it was accepted. */
  droppedAfterAccept: boolean;
}

export interface FaultCounts {
  email: Record<SinkFault, number>;
  sms: Record<SinkFault, number>;
}

export function emptyFaultCounts(): FaultCounts {
  const zero = (): Record<SinkFault, number> =>
    Object.fromEntries(SINK_FAULTS.map((f) => [f, 0])) as Record<SinkFault, number>;
  return { email: zero(), sms: zero() };
}

export interface ChaosSinkOptions {
  pickFault?: FaultPicker;
  /** How long a `hang` holds the request before destroying the socket; above the transports' 15 s timeout. */
  hangMs?: number;
  /** Answer `reject-5xx` on SMTP with 554 (permanent: the step fails). Off by default: a 5xx becomes 421. */
  permanentSmtp5xx?: boolean;
}

export const DEFAULT_HANG_MS = 20_000;

/**
 * The idempotency key back from a Message-ID written by activities/transports/email.ts messageIdFor: the local
 * part with every `=XX` turned back into its byte. Undefined when the header is not of that shape.
 */
export function keyFromMessageId(messageId: string | undefined): string | undefined {
  const m = /^<(.+)@[^@>]+>$/.exec(messageId?.trim() ?? '');
  if (!m) return undefined;
  const local = m[1] as string;
  const bytes: number[] = [];
  for (let i = 0; i < local.length; i++) {
    const hex = local.slice(i + 1, i + 3);
    if (local[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(local.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
