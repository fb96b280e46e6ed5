// Twilio: inbound SMS (keywords such as STOP and START) and message status callbacks, where error 21610 means
// the recipient had opted out (replied STOP): an unsubscribe of that number's SMS subscriptions. Every request is signed
// (twilio-signature.ts: HMAC-SHA1 with the auth token, or a SharedKey with HMAC-SHA256; form bodies in the
// signed string, JSON bodies through bodySHA256). The URL is the one Twilio called, i.e.
// CONSENTFLOW_PUBLIC_URL + path and query.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerDependencies } from '../app';
import { escapeHtml } from '../html';
import { feed, notEnabled, rawBodyOf, unauthorized } from './feed';
import { twilioRejection } from './twilio-signature';

export { twilioSignature } from './twilio-signature';

const OPTED_OUT = '21610';
const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
};

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
    const { twilioAuthToken: authToken, twilioSharedKeys: sharedKeys } = deps.providers;
    if (!authToken && !sharedKeys?.length) throw notEnabled('Twilio', 'TWILIO_AUTH_TOKEN');
    const problem = twilioRejection(
      { ...(authToken ? { authToken } : {}), ...(sharedKeys ? { sharedKeys } : {}) },
      {
        url: `${deps.links.baseUrl}${request.url}`,
        contentType: header(request, 'content-type') ?? '',
        rawBody: rawBodyOf(request),
        signature: header(request, 'x-twilio-signature') || undefined,
        settings: header(request, 'x-twilio-webhooks-signature-settings'),
      },
    );
    if (problem) throw unauthorized('Twilio', problem);
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
          // The number replied STOP to our sender: the carrier blocks every SMS from it, whatever the
          // resource, so every SMS subscription of the number goes; email and the global status stay.
          { keepGlobalStatus: true },
        );
      }
      return reply.code(204).send();
    },
  );
}
