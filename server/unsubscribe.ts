// /u/<token>: the link in an email's List-Unsubscribe header and its visible "Unsubscribe" link.
// - POST with `List-Unsubscribe=One-Click` (RFC 8058, sent by the mailbox provider): unsubscribes at once and
//   answers 200; nothing else is asked of the sender of the POST.
// - GET (a person, or a link scanner that follows every URL in a mail): never changes anything; it shows what
//   the link does and a button, which POSTs `confirm=yes`.
// A bad or tampered token is a 400 and writes nothing; the same answer whether or not the contact exists.
import type { FastifyInstance } from 'fastify';
import { signLink, verifyLink, type LinkClaims } from '../contracts/consent-link';
import type { ServerDependencies } from './app';
import { HttpError } from './app';
import { escapeHtml, page } from './html';
import { clickProof } from './proof';
import { unsubscribeByLink } from './link-actions';

const TOKEN = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 2048 } },
  required: ['token'],
};
const BAD_LINK =
  'This unsubscribe link is not valid: it may have been cut off or changed. Copy the whole link from the ' +
  'email, or use the unsubscribe button of your mail program.';

export function registerUnsubscribe(
  app: FastifyInstance,
  deps: ServerDependencies,
  limit: { max: number; timeWindow: string },
): void {
  const claimsOf = (token: string): LinkClaims => {
    const claims = verifyLink(deps.links.keys, token, 'unsubscribe');
    if (!claims) throw new HttpError(400, BAD_LINK);
    return claims;
  };
  const preferencesUrl = (claims: LinkClaims) =>
    `/p/${signLink(deps.links.keys, { ...claims, purpose: 'preferences' })}`;

  app.get<{ Params: { token: string } }>(
    '/u/:token',
    { schema: { params: TOKEN }, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const what = claims.resource
        ? `emails about “${escapeHtml(claims.resource)}”`
        : 'all marketing emails from us';
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          page(
            'Unsubscribe',
            `<h1>Unsubscribe</h1><p>Stop receiving ${what}?</p>
<form method="post" action="/u/${escapeHtml(request.params.token)}">
<input type="hidden" name="confirm" value="yes"><button class="primary" type="submit">Unsubscribe</button></form>
<p class="note">Or <a href="${escapeHtml(preferencesUrl(claims))}">choose what you receive</a>.</p>`,
          ),
        );
    },
  );

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>(
    '/u/:token',
    { schema: { params: TOKEN }, bodyLimit: 4096, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      const oneClick = body['List-Unsubscribe'] === 'One-Click';
      if (!oneClick && body.confirm !== 'yes')
        throw new HttpError(
          400,
          'An unsubscribe POST needs the body List-Unsubscribe=One-Click (RFC 8058) or confirm=yes (the button on this page).',
        );
      const replayKey = oneClick
        ? `${claims.messageId ?? claims.contactId}:${claims.resource ?? '*'}:${claims.channel}`
        : undefined;
      await unsubscribeByLink(
        deps.pool,
        claims,
        clickProof(request, oneClick ? 'one-click' : 'unsubscribe-page'),
        replayKey,
      );
      if (oneClick) return reply.code(200).type('text/plain; charset=utf-8').send('Unsubscribed.\n');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          page(
            'Unsubscribed',
            `<h1>You are unsubscribed</h1><p>You will not receive these emails any more.</p>
<p class="note">Changed your mind, or want only some emails? <a href="${escapeHtml(preferencesUrl(claims))}">Choose what you receive</a>.</p>`,
          ),
        );
    },
  );
}
