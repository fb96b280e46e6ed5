// What `deliver` needs from a provider. Every transport classifies its failures into DeliveryError, so the
// activity decides retry vs give-up and feedback without knowing SMTP codes or HTTP statuses.

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Stable per message (workflow id + step): becomes the Message-ID, so a resend after a crash is recognisable. */
  idempotencyKey: string;
}

export interface OutgoingSms {
  to: string;
  body: string;
  /** Sent as the provider's idempotency header. */
  idempotencyKey: string;
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

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly details: { providerCode?: string | number; feedback?: FailureFeedback } = {},
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
