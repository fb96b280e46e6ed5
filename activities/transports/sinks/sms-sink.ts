// A local HTTP server that speaks the Twilio Messages API shape and keeps what it receives in memory. A request
// with an I-Twilio-Idempotency-Token it has already seen gets the original answer back and stores nothing new.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForCount } from './smtp-sink';

export interface ReceivedSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  idempotencyKey?: string;
  receivedAt: Date;
}

export interface SmsSinkOptions {
  port?: number;
  /** Numbers answered 400 with Twilio error 21211 (invalid 'To' number): permanent. */
  rejectRecipients?: (to: string) => boolean;
  /** Numbers answered 503: a provider outage, retryable. */
  unavailableFor?: (to: string) => boolean;
}

export interface SmsSink {
  /** http://127.0.0.1:<port>, ready for SMS_API_URL. */
  url: string;
  port: number;
  messages(): ReceivedSms[];
  /** Requests that repeated an idempotency token already stored. */
  duplicates(): number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedSms[]>;
  clear(): void;
  close(): Promise<void>;
}

const PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

export async function startSmsSink(options: SmsSinkOptions = {}): Promise<SmsSink> {
  const stored: ReceivedSms[] = [];
  const byToken = new Map<string, ReceivedSms>();
  const waiters = new Set<() => void>();
  let dropped = 0;
  let sequence = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = PATH.exec(new URL(req.url ?? '/', 'http://sink').pathname);
      if (req.method !== 'POST' || !match) {
        return reply(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      }
      const accountSid = decodeURIComponent(match[1] as string);
      if (!checkAuth(req.headers.authorization, accountSid)) {
        return reply(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? '';
      const body = form.get('Body') ?? '';
      if (!to || !from || !body) {
        const missing = !to ? 'To' : !from ? 'From' : 'Body';
        return reply(res, 400, {
          code: 21604,
          message: `A '${missing}' parameter is required.`,
          status: 400,
        });
      }
      const token = headerValue(req.headers['i-twilio-idempotency-token']);
      const seen = token ? byToken.get(token) : undefined;
      if (seen) {
        dropped++;
        return reply(res, 201, describe(seen));
      }
      if (options.unavailableFor?.(to)) {
        return reply(res, 503, { code: 20500, message: 'Service unavailable', status: 503 });
      }
      if (options.rejectRecipients?.(to)) {
        return reply(res, 400, {
          code: 21211,
          message: `The 'To' number ${to} is not a valid phone number.`,
          status: 400,
        });
      }
      const sms: ReceivedSms = {
        sid: `SM${(++sequence).toString(16).padStart(32, '0')}`,
        accountSid,
        to,
        from,
        body,
        ...(token ? { idempotencyKey: token } : {}),
        receivedAt: new Date(),
      };
      stored.push(sms);
      if (token) byToken.set(token, sms);
      for (const wake of waiters) wake();
      reply(res, 201, describe(sms));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    messages: () => [...stored],
    duplicates: () => dropped,
    waitFor: (count, timeoutMs = 10_000) => waitForCount(() => [...stored], count, timeoutMs, waiters),
    clear() {
      stored.length = 0;
      byToken.clear();
      dropped = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describe(sms: ReceivedSms) {
  return {
    sid: sms.sid,
    account_sid: sms.accountSid,
    to: sms.to,
    from: sms.from,
    body: sms.body,
    status: 'queued',
    date_created: sms.receivedAt.toUTCString(),
  };
}

function checkAuth(header: string | undefined, accountSid: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const [user] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return user === accountSid;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
