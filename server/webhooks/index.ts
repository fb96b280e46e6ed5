// Provider webhooks: each verified as its provider specifies (in a preValidation hook, so a bad signature is a
// 401 before the body is even looked at), then mapped to applyFeedback with the provider's event id as the
// replay key (providers retry until they get a 2xx).
import type { FastifyInstance } from 'fastify';
import type { ServerDependencies } from '../app';
import { registerTwilio } from './twilio';
import { registerEmailProviders } from './email-providers';
import { registerSes } from './ses';

export function registerWebhooks(app: FastifyInstance, deps: ServerDependencies): void {
  registerTwilio(app, deps);
  registerEmailProviders(app, deps);
  registerSes(app, deps);
}
