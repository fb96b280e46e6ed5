// Consent proof for changes that arrive over HTTP (GDPR Art. 7(1)): where the change came from, when, and for
// clicks and forms the IP address and user agent. Kept in the ledger row's source, which a GDPR erase scrubs
// with the contact.
import type { FastifyRequest } from 'fastify';

const MAX_UA_CHARS = 300;

export function clickProof(request: FastifyRequest, via: string, extra: Record<string, unknown> = {}) {
  const ua = request.headers['user-agent'];
  return {
    via,
    ip: request.ip,
    ...(typeof ua === 'string' && ua ? { userAgent: ua.slice(0, MAX_UA_CHARS) } : {}),
    receivedAt: new Date().toISOString(),
    ...extra,
  };
}

export function webhookProof(provider: string, eventId: string, extra: Record<string, unknown> = {}) {
  return { via: 'webhook', provider, eventId, receivedAt: new Date().toISOString(), ...extra };
}
