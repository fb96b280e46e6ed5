// What an SMTP failure means for the message: permanent, transient or a configuration error on our side, and
// whether the server may have the message anyway (see DeliveryErrorKind).
import { DeliveryError } from './types';

/** What the transport saw of one send, beside the error itself. */
export interface SendProgress {
  /** The connection read the whole message: from then on, only the server's answer was missing. */
  handedOver: boolean;
}

export interface SmtpFailureContext extends Partial<SendProgress> {
  /** The caller's signal aborted the send. */
  cancelled?: boolean;
  /** The transport's total deadline (ms) aborted the send. */
  timedOutAfterMs?: number;
}

interface SmtpErrorShape {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  message?: string;
}

/**
 * Replies about our own credentials or session security: 530 authentication (or STARTTLS) required, 534 mechanism
 * too weak, 535 credentials invalid, 538 encryption required. Retrying cannot help until an operator fixes
 * SMTP_URL, and they say nothing about the recipient.
 */
const CREDENTIAL_REPLIES = new Set([530, 534, 535, 538]);

export function classifySmtpError(err: unknown, context: SmtpFailureContext = {}): DeliveryError {
  const e = (err ?? {}) as SmtpErrorShape;
  const code = e.responseCode;
  const answer = typeof e.response === 'string' && e.response ? e.response : undefined;
  const text = answer ?? e.message ?? String(err);
  // An answer (any reply code) settles it; only silence after the whole message leaves the server's copy open.
  const maybe = context.handedOver && typeof code !== 'number' ? { maybeAccepted: true } : {};

  if (context.cancelled || context.timedOutAfterMs !== undefined || e.code === 'EABORT') {
    const what = context.cancelled
      ? 'SMTP send cancelled'
      : `SMTP send timed out after ${context.timedOutAfterMs ?? '?'} ms`;
    const when = context.handedOver ? ' after the whole message was sent (the server may have it)' : '';
    return new DeliveryError(`${what}${when}, will retry`, 'transient', {
      providerCode: context.cancelled ? 'CANCELLED' : 'TIMEOUT',
      ...maybe,
    });
  }
  if (
    (typeof code === 'number' && CREDENTIAL_REPLIES.has(code)) ||
    e.code === 'EAUTH' ||
    e.code === 'ENOAUTH'
  ) {
    return new DeliveryError(
      `SMTP server refused our authentication (${text}). Check the user and password in SMTP_URL ` +
        `(smtp://user:password@host:port); email waits and is retried until it is fixed.`,
      'configuration',
      { providerCode: code ?? e.code ?? 'EAUTH' },
      answer ?? e.message,
    );
  }
  if (e.code === 'ETLS') {
    return new DeliveryError(
      `TLS with the SMTP server failed (${text}). Check SMTP_URL (smtps:// for port 465, smtp:// otherwise); ` +
        `email waits and is retried until it is fixed.`,
      'configuration',
      { providerCode: 'ETLS' },
      answer,
    );
  }
  if (typeof code === 'number' && code >= 500) {
    // Only a 5xx to RCPT TO speaks about the mailbox, and not a policy one (5.7.x: relay denied, blocked
    // sender): those are about us.
    const aboutMailbox = e.command === 'RCPT TO' && !/^5\d\d[ -]5\.7\./.test(answer ?? '');
    return new DeliveryError(
      `SMTP server refused the message (${text})`,
      'permanent',
      { providerCode: code, ...(aboutMailbox ? { feedback: 'hard_bounce' as const } : {}) },
      answer,
    );
  }
  // 4xx and every network failure (refused, reset, dropped) may succeed later.
  return new DeliveryError(
    `SMTP delivery failed, will retry (${text})`,
    'transient',
    { providerCode: code ?? e.code ?? 'unknown', ...maybe },
    answer,
  );
}
