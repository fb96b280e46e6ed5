// A real SMTP server on loopback that keeps what it receives in memory: the demo's and the tests' mailbox.
// Like a mailbox that threads by Message-ID, it keeps one copy per Message-ID, so a resend after a crash
// (same idempotency key, same Message-ID) shows up once; `duplicates()` tells how many copies it dropped.
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { parseMail } from './mime';

export interface ReceivedEmail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  /** The value of X-Consentflow-Idempotency-Key, when present. */
  idempotencyKey?: string;
  /** List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), when present: what a mailbox provider acts on. */
  listUnsubscribe?: string;
  listUnsubscribePost?: string;
  /** The id this sink answered with ("queued as ..."). */
  queueId: string;
  receivedAt: Date;
}

export interface SmtpSinkOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Recipients answered with 550 5.1.1 (permanent: a hard bounce). */
  rejectRecipients?: (rcpt: string) => boolean;
  /** Recipients answered with 451 4.3.0 (temporary: the client should retry). */
  deferRecipients?: (rcpt: string) => boolean;
  /**
   * Milliseconds to hold the final reply after a message is stored (0: none). Lets a test crash the sender in
   * the window where the server has the message but the sender has not heard so.
   */
  holdReplyMs?: (rcpt: string) => number;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, ready for SMTP_URL. */
  url: string;
  port: number;
  messages(): ReceivedEmail[];
  /** How many messages arrived again with a Message-ID already stored. */
  duplicates(): number;
  /** Resolves once `count` messages are stored, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const stored = new Map<string, ReceivedEmail>();
  let dropped = 0;
  let sequence = 0;
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    banner: 'consentflow SMTP sink',
    logger: false,
    // Loopback only: a reverse DNS lookup per connection would only add latency.
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const rcpt = address.address;
      if (options.rejectRecipients?.(rcpt)) {
        return callback(smtpError(550, `5.1.1 <${rcpt}>: Recipient address rejected: mailbox unavailable`));
      }
      if (options.deferRecipients?.(rcpt)) {
        return callback(smtpError(451, `4.3.0 <${rcpt}>: Temporary failure, try again later`));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const mail = parseMail(Buffer.concat(chunks).toString('utf8'));
        const messageId = mail.headers.get('message-id') ?? `<sink-${++sequence}@consentflow.sink>`;
        const existing = stored.get(messageId);
        if (existing) {
          dropped++;
          return callback(null, `OK: queued as ${existing.queueId} (duplicate Message-ID, dropped)`);
        }
        const queueId = `sink-${++sequence}`;
        const from = session.envelope.mailFrom;
        stored.set(messageId, {
          from: from ? from.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: mail.headers.get('subject') ?? '',
          text: mail.text ?? '',
          ...(mail.html !== undefined ? { html: mail.html } : {}),
          messageId,
          ...(mail.headers.has('x-consentflow-idempotency-key')
            ? { idempotencyKey: mail.headers.get('x-consentflow-idempotency-key') }
            : {}),
          ...(mail.headers.has('list-unsubscribe')
            ? { listUnsubscribe: mail.headers.get('list-unsubscribe') }
            : {}),
          ...(mail.headers.has('list-unsubscribe-post')
            ? { listUnsubscribePost: mail.headers.get('list-unsubscribe-post') }
            : {}),
          queueId,
          receivedAt: new Date(),
        });
        for (const wake of waiters) wake();
        const hold = Math.max(
          0,
          ...session.envelope.rcptTo.map((r) => options.holdReplyMs?.(r.address) ?? 0),
        );
        if (hold > 0) setTimeout(() => callback(null, `OK: queued as ${queueId}`), hold).unref();
        else callback(null, `OK: queued as ${queueId}`);
      });
    },
  });
  server.on('error', () => undefined); // a client dropping mid-session must not crash the sink

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...stored.values()],
    duplicates: () => dropped,
    waitFor: (count, timeoutMs = 10_000) =>
      waitForCount(() => [...stored.values()], count, timeoutMs, waiters),
    clear() {
      stored.clear();
      dropped = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

export function waitForCount<T>(
  read: () => T[],
  count: number,
  timeoutMs: number,
  waiters: Set<() => void>,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const items = read();
      if (items.length < count) return false;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(items);
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`Sink has ${read().length} message(s) after ${timeoutMs} ms; expected ${count}.`));
    }, timeoutMs);
    waiters.add(check);
    check();
  });
}
