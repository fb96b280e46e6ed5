// One provider event into the feedback path the CLI uses, with the provider's event id as replay key and
// consent proof (provider, event id, receipt time) in the ledger row's source.
import type { FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool';
import { applyFeedback, type FeedbackEvent, type FeedbackResult } from '../../db/contacts/feedback';
import { HttpError } from '../app';
import { webhookProof } from '../proof';
import { countFeedback } from '../metrics';

export async function feed(
  pool: Pool,
  provider: string,
  eventId: string,
  event: FeedbackEvent,
  extra: Record<string, unknown> = {},
  options: { keepGlobalStatus?: boolean } = {},
): Promise<FeedbackResult> {
  const result = await applyFeedback(pool, event, {
    eventKey: { provider, id: eventId },
    source: webhookProof(provider, eventId, extra),
    ...options,
  });
  countFeedback(event.kind, `webhook:${provider}`, result);
  return result;
}

/** Seconds since the epoch (Mailgun, SendGrid) as an event time; absent or nonsense: now. */
export function epochSeconds(value: unknown): Date | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? new Date(n * 1000) : undefined;
}

/** A 401 that says which check failed, never what the expected value was. */
export const unauthorized = (provider: string, what: string) =>
  new HttpError(401, `${provider} webhook rejected: ${what}. Check the secret configured for ${provider}.`);

export const notEnabled = (provider: string, variable: string) =>
  new HttpError(404, `The ${provider} webhook is not enabled on this server: set ${variable}.`);

export function rawBodyOf(request: FastifyRequest): string {
  return request.rawBody ?? '';
}
