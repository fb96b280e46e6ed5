// Operator routes, behind a bearer token (CONSENTFLOW_OPERATOR_TOKEN); without one configured they are not
// enabled. GET /admin/contacts/<key>/export: what `consentflow contacts export` prints. GET /admin/metrics:
// feedback counters for Prometheus (server/metrics.ts).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exportContact } from '../db/contacts/export';
import { HttpError, type ServerDependencies } from './app';
import { metricsText } from './metrics';

export function registerAdmin(app: FastifyInstance, deps: ServerDependencies): void {
  const authorize = async (request: FastifyRequest) => {
    const token = deps.operatorToken;
    if (!token) throw new HttpError(404, 'Operator routes are not enabled: set CONSENTFLOW_OPERATOR_TOKEN.');
    const given = Buffer.from((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new HttpError(
        401,
        'Send the operator token: Authorization: Bearer <CONSENTFLOW_OPERATOR_TOKEN>.',
      );
    await Promise.resolve();
  };
  app.get<{ Params: { key: string } }>(
    '/admin/contacts/:key/export',
    {
      schema: {
        params: {
          type: 'object',
          required: ['key'],
          properties: { key: { type: 'string', minLength: 1, maxLength: 320 } },
        },
      },
      preValidation: authorize,
    },
    async (request, reply) => {
      const data = await exportContact(deps.pool, request.params.key);
      if (!data) throw new HttpError(404, 'No contact has this id, email or phone.');
      return reply.header('cache-control', 'no-store').send(data);
    },
  );
  // Prometheus scrapes it with the operator token (`authorization: { credentials: … }` in its scrape config).
  app.get('/admin/metrics', { preValidation: authorize }, (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4').send(metricsText()),
  );
}
