// Email providers' event webhooks, each verified as its provider specifies:
// - Mailgun: the JSON body carries `signature: {timestamp, token, signature}`, the hex HMAC-SHA256 of
//   timestamp + token under the webhook signing key.
// - SendGrid Event Webhook: ECDSA P-256 / SHA-256 signature (base64, header
//   X-Twilio-Email-Event-Webhook-Signature) over the timestamp header + the raw body, checked with the public
//   verification key from SendGrid's settings.
// - Postmark does not sign: its webhook URL carries basic auth credentials chosen by the operator.
// Bounces (permanent only), complaints and unsubscribes become feedback; other events are acknowledged.
import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FeedbackKind } from '../../db/contacts/feedback';
import type { ServerDependencies } from '../app';
import { badRequest } from '../app';
import { epochSeconds, feed, notEnabled, rawBodyOf, unauthorized } from './feed';
import { topLevelInteger } from './json-integer';

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function mailgunSignature(key: string, timestamp: string, token: string): string {
  return createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
}

function sendgridKey(text: string): KeyObject {
  return text.includes('BEGIN PUBLIC KEY')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
}

const MAILGUN_KINDS: Record<string, FeedbackKind> = { complained: 'complaint', unsubscribed: 'unsubscribe' };
const SENDGRID_KINDS: Record<string, FeedbackKind> = {
  spamreport: 'complaint',
  unsubscribe: 'unsubscribe',
  group_unsubscribe: 'unsubscribe',
};

export function registerEmailProviders(app: FastifyInstance, deps: ServerDependencies): void {
  const JSON_BODY = { type: 'object' };

  app.post<{ Body: Record<string, unknown> }>(
    '/webhooks/mailgun',
    {
      schema: {
        body: {
          type: 'object',
          required: ['signature', 'event-data'],
          properties: {
            signature: {
              type: 'object',
              required: ['timestamp', 'token', 'signature'],
              properties: {
                timestamp: { type: 'string', maxLength: 32 },
                token: { type: 'string', maxLength: 256 },
                signature: { type: 'string', maxLength: 256 },
              },
            },
            'event-data': {
              type: 'object',
              required: ['event', 'id'],
              properties: {
                event: { type: 'string' },
                id: { type: 'string', minLength: 1, maxLength: 256 },
                recipient: { type: 'string' },
              },
            },
          },
        },
      },
      preValidation: async (request: FastifyRequest<{ Body: Record<string, unknown> }>) => {
        const key = deps.providers.mailgunSigningKey;
        if (!key) throw notEnabled('Mailgun', 'MAILGUN_WEBHOOK_SIGNING_KEY');
        const sig = obj(obj(request.body)?.signature);
        const [timestamp, token, signature] = [str(sig?.timestamp), str(sig?.token), str(sig?.signature)];
        if (!timestamp || !token || !signature) throw unauthorized('Mailgun', 'the body has no signature');
        if (!same(signature, mailgunSignature(key, timestamp, token)))
          throw unauthorized('Mailgun', 'the signature does not match');
        await Promise.resolve();
      },
    },
    async (request, reply) => {
      const e = obj(request.body['event-data'])!;
      const event = String(e.event);
      const permanentFailure = event === 'failed' && e.severity === 'permanent';
      const kind = permanentFailure ? 'hard_bounce' : MAILGUN_KINDS[event];
      if (kind) {
        const address = str(e.recipient);
        if (!address) throw badRequest('event-data.recipient is missing');
        const at = epochSeconds(e.timestamp);
        await feed(deps.pool, 'mailgun', String(e.id), {
          kind,
          channel: 'email',
          address,
          ...(at ? { at } : {}),
        });
      }
      return reply.send({ ok: true });
    },
  );

  app.post<{ Body: unknown }>(
    '/webhooks/sendgrid',
    {
      schema: {
        body: {
          type: 'array',
          maxItems: 5000,
          items: {
            type: 'object',
            required: ['email', 'event', 'sg_event_id'],
            properties: {
              email: { type: 'string' },
              event: { type: 'string' },
              sg_event_id: { type: 'string', minLength: 1, maxLength: 256 },
            },
          },
        },
      },
      preValidation: async (request: FastifyRequest) => {
        const key = deps.providers.sendgridPublicKey;
        if (!key) throw notEnabled('SendGrid', 'SENDGRID_WEBHOOK_PUBLIC_KEY');
        const signature = request.headers['x-twilio-email-event-webhook-signature'];
        const timestamp = request.headers['x-twilio-email-event-webhook-timestamp'];
        if (typeof signature !== 'string' || typeof timestamp !== 'string')
          throw unauthorized('SendGrid', 'the signature or timestamp header is missing');
        let ok = false;
        try {
          ok = verify(
            'sha256',
            Buffer.from(timestamp + rawBodyOf(request)),
            sendgridKey(key),
            Buffer.from(signature, 'base64'),
          );
        } catch {
          ok = false;
        }
        if (!ok) throw unauthorized('SendGrid', 'the signature does not match');
        await Promise.resolve();
      },
    },
    async (request, reply) => {
      const events = request.body as Array<Record<string, unknown>>;
      for (const e of events) {
        const event = String(e.event);
        const kind = event === 'bounce' && e.type !== 'blocked' ? 'hard_bounce' : SENDGRID_KINDS[event];
        if (!kind) continue;
        const at = epochSeconds(e.timestamp);
        await feed(deps.pool, 'sendgrid', String(e.sg_event_id), {
          kind,
          channel: 'email',
          address: String(e.email),
          ...(at ? { at } : {}),
        });
      }
      return reply.send({ ok: true });
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/webhooks/postmark',
    {
      schema: {
        body: {
          ...JSON_BODY,
          required: ['RecordType'],
          properties: { RecordType: { type: 'string' } },
        },
      },
      preValidation: async (request: FastifyRequest, reply) => {
        const creds = deps.providers.postmark;
        if (!creds) throw notEnabled('Postmark', 'POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD');
        const header = request.headers.authorization ?? '';
        const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : '';
        if (!same(given, `${creds.user}:${creds.password}`)) {
          void reply.header('www-authenticate', 'Basic realm="consentflow webhooks"');
          throw unauthorized('Postmark', 'the basic auth credentials are missing or wrong');
        }
        await Promise.resolve();
      },
    },
    async (request, reply) => {
      const b = request.body;
      const type = String(b.RecordType);
      let kind: FeedbackKind | undefined;
      let address: string | undefined;
      let at: string | undefined;
      let id: string | undefined;
      // Postmark's ID is a 64-bit integer: read as a double, two events a few ids apart would be one.
      const eventId = topLevelInteger(rawBodyOf(request), 'ID') ?? String(b.ID);
      if (type === 'Bounce' && b.Type === 'HardBounce') {
        [kind, address, at, id] = ['hard_bounce', str(b.Email), str(b.BouncedAt), eventId];
      } else if (type === 'SpamComplaint') {
        [kind, address, at, id] = ['complaint', str(b.Email), str(b.BouncedAt), eventId];
      } else if (type === 'SubscriptionChange') {
        kind = b.SuppressSending === true ? 'unsubscribe' : 'resubscribe';
        [address, at] = [str(b.Recipient), str(b.ChangedAt)];
        id = `${String(b.MessageID)}:${String(b.ChangedAt)}:${kind}`;
      }
      if (kind) {
        if (!address || !id || id === 'undefined')
          throw badRequest(
            `a Postmark ${type} event needs its address and id (Email/Recipient, ID/MessageID)`,
          );
        await feed(deps.pool, 'postmark', id, {
          kind,
          channel: 'email',
          address,
          ...(at ? { at } : {}),
        });
      }
      return reply.send({ ok: true });
    },
  );
}
