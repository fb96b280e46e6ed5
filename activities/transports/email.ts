// Email over SMTP with nodemailer. The idempotency key becomes the Message-ID, so a resend after a crash carries
// the same id as the first attempt and a receiver that dedupes on it (our sink does) drops the copy.
import { PassThrough, type Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { classifySmtpError, type SendProgress } from './smtp-errors';
import { TRANSPORT_TOTAL_TIMEOUT_MS, type EmailTransport, type OutgoingEmail } from './types';

export { classifySmtpError } from './smtp-errors';

// A string key: nodemailer copies the sendMail options with Object.keys, which skips symbols.
const PROGRESS = '_consentflowProgress';

export interface SmtpTransportOptions {
  /** smtp://[user:pass@]host:port or smtps://...; e.g. smtp://127.0.0.1:2525 for the local sink. */
  url: string;
  /** The From header, e.g. `Shop <hello@shop.example>`. */
  from: string;
  /** Right-hand side of generated Message-IDs; defaults to the From domain. */
  messageIdDomain?: string;
  /**
   * The most one send may take in all, connection and answer included (default TRANSPORT_TOTAL_TIMEOUT_MS);
   * keep it below the activity's start-to-close timeout.
   */
  timeoutMs?: number;
  /** Parallel SMTP sessions (default 5). */
  maxConnections?: number;
}

export function createSmtpTransport(options: SmtpTransportOptions): EmailTransport {
  const url = parseSmtpUrl(options.url);
  const timeout = options.timeoutMs ?? TRANSPORT_TOTAL_TIMEOUT_MS;
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
    // Per-phase limits (nodemailer's); the total one is the abort signal below.
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } satisfies SMTPPool.Options);
  transporter.use('stream', (mail, done) => {
    const progress = (mail.data as { [PROGRESS]?: SendProgress })[PROGRESS];
    if (progress) mail.message.processFunc((input: Readable) => noteHandover(input, progress));
    done();
  });

  return {
    async sendEmail(message: OutgoingEmail) {
      const messageId = messageIdFor(message.idempotencyKey, domain);
      const progress: SendProgress = { handedOver: false };
      // One deadline for the whole send; aborting makes nodemailer close the connection carrying it.
      const deadline = AbortSignal.timeout(timeout);
      const signal = message.signal ? AbortSignal.any([deadline, message.signal]) : deadline;
      try {
        const info = await transporter.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          messageId,
          headers: {
            ...preparedHeaders(message.headers),
            'X-Consentflow-Idempotency-Key': message.idempotencyKey,
          },
          // nodemailer >= 10 takes a signal; its type definitions do not know it yet.
          ...({ signal, [PROGRESS]: progress } as object),
        });
        return { providerId: queueIdOf(info.response) ?? messageId };
      } catch (err) {
        throw classifySmtpError(err, {
          ...progress,
          ...(message.signal?.aborted ? { cancelled: true } : {}),
          ...(deadline.aborted ? { timedOutAfterMs: timeout } : {}),
        });
      }
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * Extra headers written as given: nodemailer would otherwise fold or encode a long List-Unsubscribe URL, and a
 * mailbox provider must read the URL back byte for byte (our values are ASCII and far below 998 characters).
 */
function preparedHeaders(headers: Record<string, string> | undefined) {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name, { prepared: true, value }]),
  );
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

/**
 * Passes the message through and notes when the SMTP connection has read the last byte of it: from then on the
 * server may hold the message, so a failure without an answer means "maybe accepted".
 */
function noteHandover(input: Readable, progress: SendProgress): Readable {
  const out = new PassThrough();
  out.once('end', () => {
    progress.handedOver = true;
  });
  input.on('error', (err) => out.destroy(err));
  return input.pipe(out);
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
