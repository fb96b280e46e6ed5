// /c/<token>: the confirm link of a double opt-in email (workflows/double-opt-in.ts sends it).
// - GET (a person, or a link scanner that follows every URL in a mail): never changes anything; it says what
//   the link does and shows a "Confirm" button, which POSTs `confirm=yes`.
// - POST: the contact's unconfirmed subscriptions (of the link's resource) and an unconfirmed global status
//   become subscribed, ledger origin `form` with the click's proof (IP, user agent, the message). Once per
//   link: a replay changes nothing. Then the waiting workflow is told (onConfirmed); the store is the truth,
//   so a failed notification only delays the welcome series to the end of the wait.
// A bad, tampered or expired token is a 400 page and writes nothing.
import type { FastifyInstance } from 'fastify';
import { confirmByLink } from '../db/contacts/doi';
import type { LinkClaims } from '../contracts/consent-link';
import type { ServerDependencies } from './app';
import { HttpError } from './app';
import { escapeHtml, messagePage, page } from './html';
import { linkClaims, TOKEN_PARAMS as TOKEN } from './link-token';
import { clickProof } from './proof';

const BAD_LINK =
  'This confirmation link is not valid: it may have been cut off or changed. Copy the whole link from the email.';
const EXPIRED =
  'This confirmation link has expired. Sign up again and we will send you a new one; until then you get nothing from us.';

export function registerConfirm(
  app: FastifyInstance,
  deps: ServerDependencies,
  limit: { max: number; timeWindow: string },
): void {
  const claimsOf = (token: string): LinkClaims => {
    const claims = linkClaims(deps.links.keys, token, 'confirm', BAD_LINK);
    if (claims.expiresAt !== undefined && claims.expiresAt <= Date.now()) throw new HttpError(400, EXPIRED);
    return claims;
  };
  const html = 'text/html; charset=utf-8';

  app.get<{ Params: { token: string } }>(
    '/c/:token',
    { schema: { params: TOKEN }, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const what = claims.resource ? ` to “${escapeHtml(claims.resource)}”` : '';
      return reply
        .type(html)
        .header('cache-control', 'no-store')
        .send(
          page(
            'Confirm your subscription',
            `<h1>Confirm your subscription</h1><p>Press the button to confirm that you want our emails${what}.</p>
<form method="post" action="/c/${escapeHtml(request.params.token)}">
<input type="hidden" name="confirm" value="yes"><button class="primary" type="submit">Confirm my subscription</button></form>
<p class="note">If you did not sign up, close this page: without your confirmation you get nothing from us.</p>`,
          ),
        );
    },
  );

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>(
    '/c/:token',
    { schema: { params: TOKEN }, bodyLimit: 4096, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      if (body.confirm !== 'yes')
        throw new HttpError(400, 'A confirmation POST needs confirm=yes (the button on this page).');
      const result = await confirmByLink(
        deps.pool,
        { contactId: claims.contactId, resource: claims.resource ?? null },
        {
          source: clickProof(
            request,
            'confirm-link',
            claims.messageId ? { messageId: claims.messageId } : {},
          ),
          eventKey: {
            provider: 'doi-confirm',
            id: `${claims.messageId ?? claims.contactId}:${claims.resource ?? '*'}`,
          },
        },
      );
      if (!result.duplicate && !result.gone && deps.onConfirmed) {
        try {
          await deps.onConfirmed(claims.contactId);
        } catch (err) {
          request.log.warn({ err }, 'double opt-in confirmed, but the waiting workflow could not be told');
        }
      }
      reply.type(html).header('cache-control', 'no-store');
      if (result.gone)
        return reply.send(messagePage('Nothing to confirm', 'There is no sign-up for this link any more.'));
      return reply.send(
        messagePage(
          'Subscription confirmed',
          result.duplicate
            ? 'Your subscription was already confirmed with this link.'
            : 'Thank you: your subscription is confirmed.',
        ),
      );
    },
  );
}
