// Twilio: inbound SMS (keywords such as STOP and START) and message status callbacks, where error 21610 means
// the recipient had opted out (replied STOP): an unsubscribe of that number. Every request is signed:
// X-Twilio-Signature = base64(HMAC-SHA1(auth token, full URL + each POST parameter name and value, sorted by
// name)). The URL is the one Twilio called, i.e. CONSENTFLOW_PUBLIC_URL + path and query.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerDependencies } from '../app';
import { escapeHtml } from '../html';
import { feed, notEnabled, unauthorized } from './feed';

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

const OPTED_OUT = '21610';
const FORM_ONLY = (request: FastifyRequest) =>
  /^application\/x-www-form-urlencoded/.test(request.headers['content-type'] ?? '');

const INBOUND = {
  type: 'object',
  required: ['From', 'Body', 'MessageSid'],
  properties: {
    From: { type: 'string', minLength: 1, maxLength: 64 },
    Body: { type: 'string', maxLength: 1600 },
    MessageSid: { type: 'string', minLength: 1, maxLength: 64 },
  },
};
const STATUS = {
  type: 'object',
  required: ['MessageSid', 'MessageStatus'],
  properties: {
    MessageSid: { type: 'string', minLength: 1, maxLength: 64 },
    MessageStatus: { type: 'string', maxLength: 32 },
    To: { type: 'string', maxLength: 64 },
    ErrorCode: { type: 'string', maxLength: 16 },
  },
};

export function registerTwilio(app: FastifyInstance, deps: ServerDependencies): void {
  const verify = async (request: FastifyRequest) => {
    const token = deps.providers.twilioAuthToken;
    if (!token) throw notEnabled('Twilio', 'TWILIO_AUTH_TOKEN');
    if (!FORM_ONLY(request))
      throw unauthorized('Twilio', 'the body is not a form (application/x-www-form-urlencoded)');
    const given = request.headers['x-twilio-signature'];
    if (typeof given !== 'string' || !given) throw unauthorized('Twilio', 'X-Twilio-Signature is missing');
    const params = (request.body ?? {}) as Record<string, string>;
    const expected = twilioSignature(token, `${deps.links.baseUrl}${request.url}`, params);
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      throw unauthorized('Twilio', 'X-Twilio-Signature does not match this URL and body');
    await Promise.resolve();
  };

  app.post<{ Body: { From: string; Body: string; MessageSid: string } }>(
    '/webhooks/twilio/sms',
    { schema: { body: INBOUND }, preValidation: verify },
    async (request, reply) => {
      const { From, Body, MessageSid } = request.body;
      const result = await feed(deps.pool, 'twilio', MessageSid, {
        kind: 'inbound_sms',
        channel: 'sms',
        address: From,
        text: Body,
      });
      const message = result.reply ? `<Message>${escapeHtml(result.reply)}</Message>` : '';
      return reply
        .type('text/xml; charset=utf-8')
        .send(`<?xml version="1.0" encoding="UTF-8"?><Response>${message}</Response>`);
    },
  );

  app.post<{ Body: { MessageSid: string; MessageStatus: string; To?: string; ErrorCode?: string } }>(
    '/webhooks/twilio/status',
    { schema: { body: STATUS }, preValidation: verify },
    async (request, reply) => {
      const { MessageSid, To, ErrorCode } = request.body;
      if (ErrorCode === OPTED_OUT && To) {
        await feed(
          deps.pool,
          'twilio',
          `${MessageSid}:${OPTED_OUT}`,
          { kind: 'unsubscribe', channel: 'sms', address: To },
          { errorCode: OPTED_OUT, messageSid: MessageSid },
        );
      }
      return reply.code(204).send();
    },
  );
}
