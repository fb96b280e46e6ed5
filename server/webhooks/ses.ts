// Amazon SES bounce and complaint notifications, delivered by SNS to POST /webhooks/ses. The SNS message is
// verified (sns-verify.ts) and its topic must be on the allow-list before anything else: a subscription
// confirmation is then confirmed by visiting its SubscribeURL (an SNS host only), a notification's SES event
// becomes feedback per recipient: permanent bounces are hard bounces, complaints are complaints.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FeedbackKind } from '../../db/contacts/feedback';
import { HttpError, badRequest, type ServerDependencies } from '../app';
import { defaultConfirmSubscription, isSnsUrl, snsSignatureProblem, type SnsMessage } from './sns-verify';
import { feed, notEnabled, unauthorized } from './feed';

const S = { type: 'string', maxLength: 4096 };
const SNS_BODY = {
  type: 'object',
  required: [
    'Type',
    'MessageId',
    'TopicArn',
    'Message',
    'Timestamp',
    'SignatureVersion',
    'Signature',
    'SigningCertURL',
  ],
  properties: {
    Type: { type: 'string', enum: ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] },
    MessageId: S,
    TopicArn: S,
    Message: { type: 'string', maxLength: 262_144 },
    Timestamp: S,
    SignatureVersion: S,
    Signature: S,
    SigningCertURL: S,
    Subject: S,
    Token: S,
    SubscribeURL: S,
  },
};

interface SesRecipient {
  emailAddress?: unknown;
}
interface SesEvent {
  notificationType?: string;
  eventType?: string;
  bounce?: { bounceType?: string; bouncedRecipients?: SesRecipient[]; timestamp?: string };
  complaint?: { complainedRecipients?: SesRecipient[]; timestamp?: string };
  mail?: { messageId?: string };
}

function parseSesEvent(text: string): SesEvent {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  throw badRequest('the SNS Message is not an SES event (a JSON object)');
}

export function registerSes(app: FastifyInstance, deps: ServerDependencies): void {
  app.post<{ Body: SnsMessage }>(
    '/webhooks/ses',
    {
      schema: { body: SNS_BODY },
      preValidation: async (request: FastifyRequest) => {
        const sns = deps.sns;
        if (!sns?.topics.length) throw notEnabled('SES', 'SES_SNS_TOPIC_ARNS');
        const body = request.body as Partial<SnsMessage> | undefined;
        if (!body || typeof body !== 'object' || typeof body.Signature !== 'string')
          throw unauthorized('SES', 'the body is not a signed SNS message');
        const problem = await snsSignatureProblem(body as SnsMessage, sns);
        if (problem) throw unauthorized('SES', problem);
        if (!sns.topics.includes(String(body.TopicArn)))
          throw new HttpError(403, 'SES webhook rejected: the topic is not in SES_SNS_TOPIC_ARNS.');
      },
    },
    async (request, reply) => {
      const m = request.body;
      if (m.Type === 'SubscriptionConfirmation') {
        if (!isSnsUrl(m.SubscribeURL)) throw badRequest('SubscribeURL is not an https URL on an SNS host');
        await (deps.sns?.confirmSubscription ?? defaultConfirmSubscription)(m.SubscribeURL!);
        return reply.send({ ok: true, confirmed: true });
      }
      if (m.Type !== 'Notification') return reply.send({ ok: true });
      const e = parseSesEvent(m.Message);
      const type = e.notificationType ?? e.eventType;
      let kind: FeedbackKind | undefined;
      let recipients: SesRecipient[] = [];
      let at: string | undefined;
      if (type === 'Bounce' && e.bounce?.bounceType === 'Permanent') {
        [kind, recipients, at] = ['hard_bounce', e.bounce.bouncedRecipients ?? [], e.bounce.timestamp];
      } else if (type === 'Complaint') {
        [kind, recipients, at] = [
          'complaint',
          e.complaint?.complainedRecipients ?? [],
          e.complaint?.timestamp,
        ];
      }
      if (kind) {
        for (const r of recipients) {
          if (typeof r.emailAddress !== 'string') throw badRequest('a recipient has no emailAddress');
          await feed(
            deps.pool,
            'ses',
            `${m.MessageId}:${r.emailAddress.toLowerCase()}`,
            { kind, channel: 'email', address: r.emailAddress, ...(at ? { at } : {}) },
            { topicArn: m.TopicArn, ...(e.mail?.messageId ? { sesMessageId: e.mail.messageId } : {}) },
          );
        }
      }
      return reply.send({ ok: true });
    },
  );
}
