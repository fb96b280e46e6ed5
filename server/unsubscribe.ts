// /u/<token>: the link in an email's List-Unsubscribe header and its visible "Unsubscribe" link.
// - POST with `List-Unsubscribe=One-Click` (RFC 8058, sent by the mailbox provider): unsubscribes at once and
//   answers 200; nothing else is asked of the sender of the POST.
// - GET (a person, or a link scanner that follows every URL in a mail): never changes anything; it shows what
//   the link does and a button, which POSTs `confirm=yes`.
// A link from a category message narrows to that category: the one-click POST unsubscribes the category only;
// the page offers "only <category>" and "all <resource> emails" (buttons `scope=category` / `scope=all`).
// A bad or tampered token is a 400 and writes nothing; the same answer whether or not the contact exists.
import type { FastifyInstance } from 'fastify';
import { signLink, type LinkClaims } from '../contracts/consent-link';
import type { ServerDependencies } from './app';
import { HttpError } from './app';
import { escapeHtml, page } from './html';
import { clickProof } from './proof';
import { unsubscribeByLink, type LinkScope } from './link-actions';
import { linkClaims, TOKEN_PARAMS as TOKEN } from './link-token';
const BAD_LINK =
  'This unsubscribe link is not valid: it may have been cut off or changed. Copy the whole link from the ' +
  'email, or use the unsubscribe button of your mail program.';

export function registerUnsubscribe(
  app: FastifyInstance,
  deps: ServerDependencies,
  limit: { max: number; timeWindow: string },
): void {
  const claimsOf = (token: string) => linkClaims(deps.links.keys, token, 'unsubscribe', BAD_LINK);
  const preferencesUrl = (claims: LinkClaims) =>
    `/p/${signLink(deps.links.keys, { ...claims, purpose: 'preferences' })}`;

  app.get<{ Params: { token: string } }>(
    '/u/:token',
    { schema: { params: TOKEN }, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const all = claims.resource
        ? `all emails about “${escapeHtml(claims.resource)}”`
        : 'all marketing emails from us';
      const action = `/u/${escapeHtml(request.params.token)}`;
      const choice = claims.category
        ? `<p>Stop receiving “${escapeHtml(claims.category)}” emails${claims.resource ? ` about “${escapeHtml(claims.resource)}”` : ''}, or ${all}?</p>
<form method="post" action="${action}"><input type="hidden" name="confirm" value="yes">
<button class="primary" type="submit" name="scope" value="category">Unsubscribe only from “${escapeHtml(claims.category)}”</button>
<button type="submit" name="scope" value="all">Unsubscribe from ${all}</button></form>`
        : `<p>Stop receiving ${all.replace(/^all /, '')}?</p>
<form method="post" action="${action}">
<input type="hidden" name="confirm" value="yes"><button class="primary" type="submit">Unsubscribe</button></form>`;
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          page(
            'Unsubscribe',
            `<h1>Unsubscribe</h1>${choice}
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
      // One-click narrows to the link's category; the page's buttons say which (default: the category).
      const scope = oneClick ? 'category' : scopeOf(body.scope);
      const narrowed = Boolean(claims.category) && scope === 'category';
      const replayKey = oneClick
        ? `${claims.messageId ?? claims.contactId}:${claims.resource ?? '*'}:${claims.channel}${narrowed ? `:${claims.category}` : ''}`
        : undefined;
      await unsubscribeByLink(
        deps.pool,
        claims,
        clickProof(request, oneClick ? 'one-click' : 'unsubscribe-page'),
        replayKey,
        scope,
      );
      if (oneClick) return reply.code(200).type('text/plain; charset=utf-8').send('Unsubscribed.\n');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          page(
            'Unsubscribed',
            `<h1>You are unsubscribed</h1><p>You will not receive ${narrowed ? `“${escapeHtml(claims.category!)}” emails` : 'these emails'} any more.</p>
<p class="note">Changed your mind, or want only some emails? <a href="${escapeHtml(preferencesUrl(claims))}">Choose what you receive</a>.</p>`,
          ),
        );
    },
  );
}

function scopeOf(value: string | undefined): LinkScope {
  if (value === undefined || value === 'category') return 'category';
  if (value === 'all') return 'all';
  throw new HttpError(400, 'The form needs scope=category or scope=all; reload the page and try again.');
}
