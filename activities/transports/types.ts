// What `deliver` needs from a provider. Every transport classifies its failures into DeliveryError, so the
// activity decides retry vs give-up and feedback without knowing SMTP codes or HTTP statuses.

/**
 * The most one send may take, from asking for a connection to the provider's final answer (connect, greeting,
 * authentication, envelope, body, reply: all of it). SMTP libraries time each phase separately, so a server that
 * answers slowly but steadily could otherwise hold a send for ever. Activity timeouts are derived from this:
 * deliver's start-to-close must exceed it plus the database work around the send (see worker/limits.ts).
 */
export const TRANSPORT_TOTAL_TIMEOUT_MS = 15_000;

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post on marketing email (RFC 8058). */
  headers?: Record<string, string>;
  /** Stable per message (workflow id + step): becomes the Message-ID, so a resend after a crash is recognisable. */
  idempotencyKey: string;
  /** Aborts the send (e.g. the activity was cancelled); the send then fails with a transient DeliveryError. */
  signal?: AbortSignal;
}

export interface OutgoingSms {
  to: string;
  body: string;
  /** Sent as the provider's idempotency header. */
  idempotencyKey: string;
  /** Aborts the send (e.g. the activity was cancelled); the send then fails with a transient DeliveryError. */
  signal?: AbortSignal;
}

export interface SendReceipt {
  /** The provider's id for the accepted message (queue id, message sid). */
  providerId: string;
}

export interface EmailTransport {
  sendEmail(message: OutgoingEmail): Promise<SendReceipt>;
  close?(): void | Promise<void>;
}

export interface SmsTransport {
  sendSms(message: OutgoingSms): Promise<SendReceipt>;
  close?(): void | Promise<void>;
}

export interface Transports {
  email: EmailTransport;
  sms: SmsTransport;
}

/**
 * The feedback a permanent failure implies for the address: a rejected mailbox is a hard bounce; a provider
 * saying "this number opted out" is an unsubscribe. Failures that say nothing about the address (our own
 * credentials, our sender domain) carry none: they must not mark contacts.
 */
export type FailureFeedback = 'hard_bounce' | 'unsubscribe';

/**
 * - `permanent`: this message will never go out as it is (mailbox unknown, number invalid, content refused);
 *   retrying is pointless. `details.feedback` says what it means for the address, when anything.
 * - `transient`: try again later (4xx, 429, 5xx from an HTTP provider, network failures, timeouts, cancellation).
 * - `configuration`: our side is wrong (credentials refused, transport not configured, TLS misconfigured). Retry
 *   (the operator fixes it and the messages go out) but say so loudly; it says nothing about the contact.
 */
export type DeliveryErrorKind = 'permanent' | 'transient' | 'configuration';

export interface DeliveryErrorDetails {
  providerCode?: string | number;
  feedback?: FailureFeedback;
  /**
   * The provider may have the message even though the send failed: the whole message was handed over and the
   * connection dropped or timed out before the answer. A retry then relies on the idempotency key.
   */
  maybeAccepted?: boolean;
}

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;

  /**
   * @param kind a DeliveryErrorKind; a boolean is accepted for older callers (true: permanent, false: transient).
   * @param providerAnswer the provider's own text (SMTP reply, API error message). It may contain the address:
   *   mask it before it reaches logs or the Temporal history.
   */
  constructor(
    message: string,
    kind: DeliveryErrorKind | boolean,
    readonly details: DeliveryErrorDetails = {},
    readonly providerAnswer?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
    this.kind = kind === true ? 'permanent' : kind === false ? 'transient' : kind;
  }

  /** Kept for callers written before `kind`: a permanent failure is never retried. */
  get permanent(): boolean {
    return this.kind === 'permanent';
  }
}

/** How a missing transport fails every send: a configuration error, retried until the operator sets it. */
export function transportNotConfigured(
  variable: string,
  channel: 'email' | 'SMS',
  example: string,
): DeliveryError {
  return new DeliveryError(
    `No ${channel} transport: ${variable} is not set. ${channel} messages wait and are retried until it is; ` +
      `set it (e.g. ${variable}=${example}) and restart the worker.`,
    'configuration',
    { providerCode: 'NOT_CONFIGURED' },
  );
}
