// One check for every signed link the server answers (/u/ unsubscribe, /p/ preferences, /c/ confirm): the
// token must verify with a listed key and be of the route's purpose; anything else is the route's own 400 page,
// the same whether or not the contact exists, and nothing is written.
import { verifyLink, type LinkClaims, type LinkPurpose } from '../contracts/consent-link';
import { HttpError } from './app';

export const TOKEN_PARAMS = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 2048 } },
  required: ['token'],
};

export function linkClaims(
  keys: readonly string[],
  token: string,
  purpose: LinkPurpose,
  badLink: string,
): LinkClaims {
  const claims = verifyLink(keys, token, purpose);
  if (!claims) throw new HttpError(400, badLink);
  return claims;
}
