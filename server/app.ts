// The HTTP side of consent: unsubscribe links (RFC 8058 one-click), the preference page and the providers'
// webhooks, on Fastify. Every route's input is schema-checked; every failure a client sees is a short 4xx
// naming what is wrong (JSON for webhooks, a page for people), never a stack trace or a driver message.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Pool } from '../db/pool';
import { ContactFieldError } from '../db/contacts/errors';
import type { LinkConfig } from '../contracts/link-config';
import type { ProviderSecrets } from './config';
import { messagePage } from './html';
import { registerUnsubscribe } from './unsubscribe';
import { registerPreferences } from './preferences';
import { registerWebhooks } from './webhooks';
import { registerAdmin } from './admin';
import { registerConfirm } from './confirm';
import type { SnsDependencies } from './webhooks/sns-verify';

export interface ServerDependencies {
  pool: Pool;
  links: LinkConfig;
  providers: ProviderSecrets;
  /** Amazon SES via SNS: topic allow-list and (for tests) the certificate fetcher. */
  sns?: SnsDependencies;
  /** Requests per minute per client IP on public pages; default 60. */
  publicRateLimit?: number;
  /** Bearer token of the operator routes (/admin/...); absent: they answer 404. */
  operatorToken?: string;
  /** Trust X-Forwarded-For (behind a reverse proxy); default false. */
  trustProxy?: boolean;
  logger?: boolean;
  /**
   * Called after a double opt-in confirm link confirmed a contact (not on replays): `consentflow serve`
   * signals the waiting workflow. A failure is logged; the workflow also asks the store while it waits (hourly at most).
   */
  onConfirmed?: (contactId: string) => Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed over it. */
    rawBody?: string;
  }
}

/** Webhook batches can be large (SendGrid posts up to a few hundred events); forms are small. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_FORM_BYTES = 16 * 1024;

const isPage = (request: FastifyRequest) => /^\/(u|p|c)\//.test(request.url);

export async function buildServer(deps: ServerDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: deps.trustProxy ?? false,
    // Link tokens are path parameters of a few hundred characters (Fastify's default limit is 100).
    routerOptions: { maxParamLength: 2048 },
  });

  // Keep the raw text of JSON and form bodies: webhook signatures are over the bytes, not a re-serialization.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(['application/json'], { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    if ((body as string).trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(badRequest('the body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request, body, done) => {
      request.rawBody = body as string;
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  // text/plain: Amazon SNS posts its JSON messages so; some mailbox providers post the one-click body so.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (!text.trimStart().startsWith('{')) return done(null, Object.fromEntries(new URLSearchParams(text)));
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the body is not valid JSON'), undefined);
    }
  });

  await app.register(rateLimit, {
    global: false,
    // Thrown through the error handler below, which shows HttpError messages as they are.
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, `Too many requests; try again in ${context.after}.`),
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = clientStatus(error);
    if (status === 500) request.log.error({ err: error }, 'request failed');
    const message =
      status === 500
        ? 'Something went wrong on our side; nothing was changed. Please try again later.'
        : error.validation
          ? `The request is not valid: ${error.message}.`
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'Unsupported content type: send application/json or application/x-www-form-urlencoded.'
            : error.message;
    if (isPage(request))
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(messagePage(status === 500 ? 'Something went wrong' : 'This link cannot be used', message));
    return reply.code(status).send({ error: codeName(status), message });
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `No route ${request.method} ${request.url.split('?')[0]?.slice(0, 80)}.`;
    if (isPage(request))
      return reply.code(404).type('text/html; charset=utf-8').send(messagePage('Not found', message));
    return reply.code(404).send({ error: 'not_found', message });
  });

  const publicLimit = { max: deps.publicRateLimit ?? 60, timeWindow: '1 minute' };
  registerUnsubscribe(app, deps, publicLimit);
  registerPreferences(app, deps, publicLimit);
  registerConfirm(app, deps, publicLimit);
  registerWebhooks(app, deps);
  registerAdmin(app, deps);
  app.get('/healthz', () => ({ ok: true }));
  return app;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/** Which errors a client may see the message of: our own 4xx, schema failures and Fastify's 4xx. */
function clientStatus(error: FastifyError): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof ContactFieldError) return 400;
  if (error.validation) return 400;
  const code = error.statusCode ?? 500;
  // Fastify's own 4xx (body too large, unsupported media type, bad JSON) have plain messages of their own.
  if (code >= 400 && code < 500 && typeof error.code === 'string' && error.code.startsWith('FST_'))
    return code;
  return 500;
}

function codeName(status: number): string {
  return (
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      413: 'payload_too_large',
      415: 'unsupported_media_type',
      429: 'too_many_requests',
    }[status] ?? (status >= 500 ? 'internal_error' : 'error')
  );
}
