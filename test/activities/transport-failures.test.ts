// How the transports fail, as the deliver activity and an operator see it: one total deadline per send (a
// server that answers slowly but steadily cannot stretch it), cancellation, and the three kinds of failure
// (permanent, transient, configuration) with the provider's own words.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import {
  DeliveryError,
  TRANSPORT_TOTAL_TIMEOUT_MS,
  createHttpSmsTransport,
  createSmtpTransport,
  startSmtpSink,
  type SmtpSink,
} from '../../activities/transports';
import { rejectionOf } from './activity-run';

const failureOf = (p: Promise<unknown>): Promise<DeliveryError> =>
  rejectionOf(p, DeliveryError, 'expected the send to fail');

async function listen(server: net.Server | http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const mail = (to: string, key: string) => ({ to, subject: 's', text: 't', idempotencyKey: key });

/**
 * A minimal SMTP server on a raw socket: it greets, answers EHLO, and hands every later command (and, after
 * DATA, the message) to `script`, which may write, stall or drop the connection.
 */
async function scriptedSmtpServer(
  script: (socket: net.Socket, line: string, state: { inData: boolean }) => void,
): Promise<{ url: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const state = { inData: false };
    socket.on('error', () => undefined);
    socket.write('220 scripted ESMTP\r\n');
    socket.on('data', (chunk) => {
      const line = chunk.toString('utf8');
      if (!state.inData && /^(EHLO|HELO)/i.test(line)) socket.write('250 scripted\r\n');
      else script(socket, line, state);
    });
  });
  const port = await listen(server);
  return {
    url: `smtp://127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Answers MAIL FROM with an endless multi-line reply, a line every 100 ms: never idle, never done. */
function tricklingSmtpServer() {
  return scriptedSmtpServer((socket, line) => {
    if (!/^MAIL FROM/i.test(line)) return;
    const timer = setInterval(() => socket.write('250-still thinking\r\n'), 100);
    socket.on('close', () => clearInterval(timer));
  });
}

/** Accepts the envelope; `dropAt` says when it closes the connection without an answer. */
function droppingSmtpServer(dropAt: 'RCPT TO' | 'end of message') {
  return scriptedSmtpServer((socket, line, state) => {
    if (state.inData) {
      if (dropAt === 'end of message' && line.includes('\r\n.\r\n')) socket.destroy();
    } else if (/^RCPT TO/i.test(line) && dropAt === 'RCPT TO') socket.destroy();
    else if (/^DATA/i.test(line)) {
      state.inData = true;
      socket.write('354 go ahead\r\n');
    } else socket.write('250 ok\r\n');
  });
}

describe('transport deadline and cancellation', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ holdReplyMs: (r) => (r.startsWith('slow@') ? 10_000 : 0) });
  });
  afterAll(() => sink.close());

  it('exports one total timeout the activity timeouts are derived from', () => {
    expect(TRANSPORT_TOTAL_TIMEOUT_MS).toBeGreaterThanOrEqual(5_000);
    expect(TRANSPORT_TOTAL_TIMEOUT_MS).toBeLessThanOrEqual(60_000);
  });

  it('an SMTP server that trickles its reply cannot stretch a send past the total timeout', async () => {
    const server = await tricklingSmtpServer();
    try {
      const email = createSmtpTransport({ url: server.url, from: 'a@shop.example', timeoutMs: 800 });
      const started = Date.now();
      const err = await failureOf(email.sendEmail(mail('ada@example.com', 'trickle-1')));
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(err.kind).toBe('transient');
      expect(err.message).toMatch(/800 ms/);
      // Nothing of the message had been sent: the provider cannot have it.
      expect(err.details.maybeAccepted).toBeFalsy();
      await email.close?.();
    } finally {
      server.close();
    }
  });

  it('a timeout after the whole message went out says the provider may have accepted it', async () => {
    // Long enough to get the message across on a loaded machine, far shorter than the sink's hold.
    const email = createSmtpTransport({ url: sink.url, from: 'a@shop.example', timeoutMs: 3_000 });
    const err = await failureOf(email.sendEmail(mail('slow@example.com', 'slow-1')));
    expect(err.kind).toBe('transient');
    expect(err.details.maybeAccepted).toBe(true);
    expect(sink.messages().map((m) => m.idempotencyKey)).toContain('slow-1');
    // The pool still works for the next message.
    await expect(email.sendEmail(mail('ada@example.com', 'after-slow'))).resolves.toHaveProperty(
      'providerId',
    );
    await email.close?.();
  });

  it('a connection dropped after the message was sent is transient and "maybe accepted"; before, not', async () => {
    for (const [dropAt, maybe] of [
      ['end of message', true],
      ['RCPT TO', false],
    ] as const) {
      const server = await droppingSmtpServer(dropAt);
      try {
        const email = createSmtpTransport({ url: server.url, from: 'a@shop.example', timeoutMs: 3_000 });
        const err = await failureOf(email.sendEmail(mail('ada@example.com', `drop-${dropAt}`)));
        expect(err.kind).toBe('transient');
        expect(Boolean(err.details.maybeAccepted)).toBe(maybe);
        await email.close?.();
      } finally {
        server.close();
      }
    }
  });

  it('an aborted signal cancels an SMTP send at once', async () => {
    const email = createSmtpTransport({ url: sink.url, from: 'a@shop.example', timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const err = await failureOf(
      email.sendEmail({ ...mail('slow@example.com', 'slow-2'), signal: controller.signal }),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/cancel/i);
    await email.close?.();
  });

  it('an SMS provider that never answers is cut at the total timeout; a signal cancels too', async () => {
    const server = http.createServer(() => undefined); // accepts, never answers
    const port = await listen(server);
    try {
      const sms = createHttpSmsTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        accountSid: 'AC1',
        authToken: 't',
        from: '+15005550006',
        timeoutMs: 500,
      });
      const started = Date.now();
      const timedOut = await failureOf(sms.sendSms({ to: '+14155550123', body: 'x', idempotencyKey: 'a' }));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(timedOut.kind).toBe('transient');
      expect(timedOut.details.maybeAccepted).toBe(true);

      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const slow = createHttpSmsTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        accountSid: 'AC1',
        authToken: 't',
        from: '+15005550006',
        timeoutMs: 10_000,
      });
      const cancelled = await failureOf(
        slow.sendSms({ to: '+14155550123', body: 'x', idempotencyKey: 'b', signal: controller.signal }),
      );
      expect(cancelled.message).toMatch(/cancel/i);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('failure kinds', () => {
  it('SMTP credentials refused (535) and authentication required (530) are configuration errors', async () => {
    const server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(_auth, _session, callback) {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    });
    server.on('error', () => undefined);
    const port = await listen(server.server);
    try {
      const withCreds = createSmtpTransport({
        url: `smtp://shop:wrong@127.0.0.1:${port}`,
        from: 'a@shop.example',
        timeoutMs: 3_000,
      });
      const refused = await failureOf(withCreds.sendEmail(mail('ada@example.com', 'k1')));
      expect(refused.kind).toBe('configuration');
      expect(refused.permanent).toBe(false);
      expect(refused.message).toMatch(/SMTP_URL/);
      expect(refused.providerAnswer).toMatch(/Invalid username or password/);
      await withCreds.close?.();

      const anonymous = createSmtpTransport({
        url: `smtp://127.0.0.1:${port}`,
        from: 'a@shop.example',
        timeoutMs: 3_000,
      });
      const required = await failureOf(anonymous.sendEmail(mail('ada@example.com', 'k2')));
      expect(required.kind).toBe('configuration');
      expect(required.details.feedback).toBeUndefined();
      await anonymous.close?.();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a rejected mailbox stays permanent, with feedback and the provider answer', async () => {
    const sink = await startSmtpSink({ rejectRecipients: () => true });
    try {
      const email = createSmtpTransport({ url: sink.url, from: 'a@shop.example' });
      const err = await failureOf(email.sendEmail(mail('gone@example.com', 'k')));
      expect(err.kind).toBe('permanent');
      expect(err.permanent).toBe(true);
      expect(err.details.feedback).toBe('hard_bounce');
      expect(err.providerAnswer).toMatch(/^550 5\.1\.1 .*mailbox unavailable/);
      await email.close?.();
    } finally {
      await sink.close();
    }
  });

  it('SMS answers: 401/403 configuration, 429/5xx transient, recipient codes permanent', async () => {
    const answers: Record<string, [number, unknown]> = {
      '+10000000401': [401, { code: 20003, message: 'Authenticate', status: 401 }],
      '+10000000403': [403, { code: 20003, message: 'Permission denied', status: 403 }],
      '+10000000429': [429, { code: 20429, message: 'Too Many Requests', status: 429 }],
      '+10000000500': [500, { code: 20500, message: 'Internal Server Error', status: 500 }],
      '+10000021610': [400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' }],
      '+10000021614': [400, { code: 21614, message: "'To' number is not a valid mobile number" }],
    };
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const to = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('To') ?? '';
        const [status, body] = answers[to] ?? [404, {}];
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    const port = await listen(server);
    const sms = createHttpSmsTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      accountSid: 'AC1',
      authToken: 't',
      from: '+15005550006',
    });
    const send = (to: string) => failureOf(sms.sendSms({ to, body: 'x', idempotencyKey: to }));
    try {
      const unauthorized = await send('+10000000401');
      expect(unauthorized.kind).toBe('configuration');
      expect(unauthorized.message).toMatch(/SMS_AUTH_TOKEN|SMS_ACCOUNT_SID/);
      expect(unauthorized.providerAnswer).toBe('Authenticate');
      expect((await send('+10000000403')).kind).toBe('configuration');
      expect((await send('+10000000429')).kind).toBe('transient');
      expect((await send('+10000000500')).kind).toBe('transient');
      const stopped = await send('+10000021610');
      expect(stopped).toMatchObject({ kind: 'permanent', details: { feedback: 'unsubscribe' } });
      expect(stopped.providerAnswer).toBe('Attempt to send to unsubscribed recipient');
      const landline = await send('+10000021614');
      expect(landline).toMatchObject({ kind: 'permanent', details: { feedback: 'hard_bounce' } });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a refused connection is transient and the provider cannot have the message', async () => {
    const closed = await startSmtpSink();
    await closed.close();
    const email = createSmtpTransport({ url: closed.url, from: 'a@shop.example', timeoutMs: 2_000 });
    const err = await failureOf(email.sendEmail(mail('ada@example.com', 'k')));
    expect(err.kind).toBe('transient');
    expect(err.details.maybeAccepted).toBeFalsy();
    await email.close?.();
  });
});
