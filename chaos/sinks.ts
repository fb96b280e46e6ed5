// The chaos run's SMTP server and SMS provider: real servers on loopback that keep every copy they accept and,
// when the fault picker says so, refuse, hang, or accept and then drop the connection before answering.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { parseMail } from '../activities/transports/sinks/mime';
import {
  DEFAULT_HANG_MS,
  emptyFaultCounts,
  keyFromMessageId,
  type ChaosSinkOptions,
  type FaultCounts,
  type ReceivedCopy,
  type SinkFault,
} from './sink-faults';
import { pendingTimers } from './timers';

export interface ChaosSinks {
  smtpUrl: string;
  smsUrl: string;
  copies(): ReceivedCopy[];
  faults(): FaultCounts;
  close(): Promise<void>;
}

interface SmtpConnectionInternals {
  id: string;
  _socket?: Socket;
}

export async function startChaosSinks(options: ChaosSinkOptions = {}): Promise<ChaosSinks> {
  const copies: ReceivedCopy[] = [];
  const counts = emptyFaultCounts();
  const hangMs = options.hangMs ?? DEFAULT_HANG_MS;
  const timers = pendingTimers();
  const later = timers.later;
  const pick = (channel: 'email' | 'sms'): SinkFault | undefined => {
    const fault = options.pickFault?.(channel);
    if (fault) counts[channel][fault]++;
    return fault;
  };

  const smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    banner: 'consentflow chaos SMTP sink',
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const socketOf = (): Socket | undefined =>
          [...(smtp as unknown as { connections: Set<SmtpConnectionInternals> }).connections].find(
            (c) => c.id === session.id,
          )?._socket;
        const fault = pick('email');
        if (fault === 'reject-4xx') return callback(smtpError(451, '4.3.0 chaos: try again later'));
        if (fault === 'reject-5xx') {
          return options.permanentSmtp5xx
            ? callback(smtpError(554, '5.3.0 chaos: transaction failed'))
            : callback(smtpError(421, '4.3.2 chaos: service shutting down'));
        }
        if (fault === 'hang') return later(hangMs, () => socketOf()?.destroy());
        const mail = parseMail(Buffer.concat(chunks).toString('utf8'));
        const messageId = mail.headers.get('message-id');
        const headerKey = mail.headers.get('x-consentflow-idempotency-key');
        copies.push({
          channel: 'email',
          ...(messageId ? { messageId } : {}),
          ...(keyFromMessageId(messageId) !== undefined ? { key: keyFromMessageId(messageId) } : {}),
          ...(headerKey !== undefined ? { headerKey } : {}),
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          receivedAt: Date.now(),
          droppedAfterAccept: fault === 'drop-after-accept',
        });
        if (fault === 'drop-after-accept') return socketOf()?.destroy();
        callback(null, `OK: queued as chaos-${copies.length}`);
      });
    },
  });
  smtp.on('error', () => undefined); // a client dropping mid-session must not crash the sink

  const sms = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !/\/Messages\.json$/.test(req.url ?? '')) return reply(res, 404, {});
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const fault = pick('sms');
      if (fault === 'reject-4xx') {
        return reply(res, 429, { code: 20429, message: 'chaos: too many requests', status: 429 });
      }
      if (fault === 'reject-5xx') {
        const status = [500, 502, 503][copies.length % 3] as number;
        return reply(res, status, { code: 20500, message: 'chaos: provider error', status });
      }
      if (fault === 'hang') return later(hangMs, () => req.socket.destroy());
      const token = req.headers['i-twilio-idempotency-token'];
      const key = Array.isArray(token) ? token[0] : token;
      copies.push({
        channel: 'sms',
        ...(key !== undefined ? { key, headerKey: key } : {}),
        to: form.get('To') ?? '',
        receivedAt: Date.now(),
        droppedAfterAccept: fault === 'drop-after-accept',
      });
      if (fault === 'drop-after-accept') return req.socket.destroy();
      reply(res, 201, {
        sid: `SM${copies.length.toString(16).padStart(32, '0')}`,
        status: 'queued',
      });
    });
  });
  sms.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(0, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    sms.once('error', reject);
    sms.listen(0, '127.0.0.1', () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const smsPort = (sms.address() as AddressInfo).port;

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    smsUrl: `http://127.0.0.1:${smsPort}`,
    copies: () => [...copies],
    faults: () => structuredClone(counts),
    async close() {
      timers.cancelAll();
      sms.closeAllConnections();
      await new Promise<void>((r) => sms.close(() => r()));
      for (const c of (smtp as unknown as { connections: Set<SmtpConnectionInternals> }).connections) {
        c._socket?.destroy();
      }
      await new Promise<void>((r) => smtp.close(() => r()));
    },
  };
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
