// Email over SMTP with nodemailer. The idempotency key becomes the Message-ID, so a resend after a crash carries
// the same id as the first attempt and a receiver that dedupes on it (our sink does) drops the copy.
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { DeliveryError, type EmailTransport, type OutgoingEmail } from './types';

export interface SmtpTransportOptions {
  /** smtp://[user:pass@]host:port or smtps://...; e.g. smtp://127.0.0.1:2525 for the local sink. */
  url: string;
  /** The From header, e.g. `Shop <hello@shop.example>`. */
  from: string;
  /** Right-hand side of generated Message-IDs; defaults to the From domain. */
  messageIdDomain?: string;
  /** Milliseconds for connect, greeting and socket inactivity; keep it below the activity timeout. */
  timeoutMs?: number;
  /** Parallel SMTP sessions (default 5). */
  maxConnections?: number;
}

export function createSmtpTransport(options: SmtpTransportOptions): EmailTransport {
  const url = parseSmtpUrl(options.url);
  const timeout = options.timeoutMs ?? 15_000;
  const domain = options.messageIdDomain ?? domainOf(options.from) ?? 'consentflow.invalid';
  const transporter = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
    secure: url.protocol === 'smtps:',
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    // Reused connections: SMTP servers greet slowly (the local sink waits 100 ms to catch early talkers) and
    // relays prefer few long sessions to one per message.
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: 100,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } satisfies SMTPPool.Options);

  return {
    async sendEmail(message: OutgoingEmail) {
      const messageId = messageIdFor(message.idempotencyKey, domain);
      try {
        const info = await transporter.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          messageId,
          headers: { 'X-Consentflow-Idempotency-Key': message.idempotencyKey },
        });
        return { providerId: queueIdOf(info.response) ?? messageId };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * RFC 5322 msg-id from the idempotency key: characters outside `atext` (the key's `:` among them) are written
 * `=XX`, so the id stays readable, valid and the same on every attempt.
 */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  const local = [...Buffer.from(idempotencyKey, 'utf8')]
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9!#$&'*+/?^_`{|}~-]/.test(ch)
        ? ch
        : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return `<${local}@${domain}>`;
}

interface SmtpErrorShape {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  message?: string;
}

/**
 * 5xx is permanent; only a 5xx to RCPT TO says the mailbox is bad (hard bounce). A 5xx to AUTH, MAIL FROM or
 * DATA is about us or the content: permanent for this message, but no reason to mark the contact.
 */
export function classifySmtpError(err: unknown): DeliveryError {
  const e = (err ?? {}) as SmtpErrorShape;
  const code = e.responseCode;
  const text = e.response ?? e.message ?? String(err);
  if (typeof code === 'number' && code >= 500) {
    const rcpt = e.command === 'RCPT TO';
    return new DeliveryError(`SMTP server refused the message (${text})`, true, {
      providerCode: code,
      ...(rcpt ? { feedback: 'hard_bounce' as const } : {}),
    });
  }
  if (e.code === 'EAUTH' && typeof code !== 'number') {
    return new DeliveryError(`SMTP authentication failed (${text})`, true, { providerCode: 'EAUTH' });
  }
  // 4xx and every network failure (refused, reset, timeout) may succeed later.
  return new DeliveryError(`SMTP delivery failed, will retry (${text})`, false, {
    providerCode: code ?? e.code ?? 'unknown',
  });
}

function parseSmtpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`SMTP_URL "${raw}" is not a URL; expected e.g. smtp://127.0.0.1:2525.`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, got ${url.protocol}//.`);
  }
  return url;
}

function domainOf(from: string): string | undefined {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1];
}

function queueIdOf(response: string | undefined): string | undefined {
  const m = /queued as ([^\s>]+)/i.exec(response ?? '');
  return m?.[1];
}
