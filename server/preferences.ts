// /p/<token>: the contact's own preference page, opened from an email's "choose what you receive" link.
// GET shows it; POST saves it. Subscription opt-outs and opt-ins go through applyFeedback (as the CLI's
// `feedback` does); topics through setCategory and the global status through setStatus, each with origin
// "form" and the click's proof (IP, user agent). Only the fields the page showed are acted on, so a
// subscription added meanwhile is never switched off by a form that did not show it.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Pool } from '../db/pool';
import { applyFeedback } from '../db/contacts/feedback';
import { setCategory, setStatus } from '../db/contacts/store';
import type { ServerDependencies } from './app';
import { HttpError } from './app';
import { messagePage } from './html';
import { clickProof } from './proof';
import { linkClaims, TOKEN_PARAMS as TOKEN } from './link-token';
import { fieldNames, preferencePage, type PreferenceState } from './preferences-view';

const BAD_LINK =
  'This preferences link is not valid: it may have been cut off or changed. Open it again from the email.';

async function loadState(pool: Pool, contactId: string): Promise<PreferenceState | null> {
  const c = await pool.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [contactId]);
  if (!c.rows[0]) return null;
  const { rows } = await pool.query<PreferenceState['subscriptions'][number]>(
    `SELECT id::text, resource, channel, address, status, categories FROM subscriptions
     WHERE contact_id = $1 AND deleted_at IS NULL ORDER BY resource, channel, address`,
    [contactId],
  );
  return { contactId, status: c.rows[0].status, subscriptions: rows };
}

export function registerPreferences(
  app: FastifyInstance,
  deps: ServerDependencies,
  limit: { max: number; timeWindow: string },
): void {
  const claimsOf = (token: string) => linkClaims(deps.links.keys, token, 'preferences', BAD_LINK);
  const show = (reply: FastifyReply, state: PreferenceState | null, token: string, notice?: string) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!state)
      return reply.send(messagePage('Nothing to show', 'There are no subscriptions for this link any more.'));
    return reply.send(preferencePage(state, `/p/${token}`, notice));
  };

  app.get<{ Params: { token: string } }>(
    '/p/:token',
    { schema: { params: TOKEN }, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      return show(reply, await loadState(deps.pool, claims.contactId), request.params.token);
    },
  );

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>(
    '/p/:token',
    { schema: { params: TOKEN }, bodyLimit: 16 * 1024, config: { rateLimit: limit } },
    async (request, reply) => {
      const claims = claimsOf(request.params.token);
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      if (body.action !== 'save' && body.action !== 'all')
        throw new HttpError(400, 'The form needs action=save or action=all; reload the page and try again.');
      const state = await loadState(deps.pool, claims.contactId);
      if (!state) return show(reply, null, request.params.token);
      const proof = clickProof(request, 'preference-page');
      if (body.action === 'all') await unsubscribeAll(deps.pool, state, proof);
      else await save(deps.pool, state, body, proof);
      const after = await loadState(deps.pool, claims.contactId);
      return show(
        reply,
        after,
        request.params.token,
        body.action === 'all' ? 'You are unsubscribed from everything.' : 'Your choices are saved.',
      );
    },
  );
}

async function unsubscribeAll(pool: Pool, state: PreferenceState, proof: Record<string, unknown>) {
  const addresses = new Map(state.subscriptions.map((s) => [`${s.channel} ${s.address}`, s]));
  for (const s of addresses.values())
    await applyFeedback(
      pool,
      { kind: 'unsubscribe', channel: s.channel, address: s.address },
      { source: proof },
    );
  // A contact without subscriptions still has a global status to turn off.
  if (state.status === 'subscribed')
    await setStatus(pool, state.contactId, 'unsubscribed', { origin: 'form', source: proof });
}

async function save(
  pool: Pool,
  state: PreferenceState,
  body: Record<string, string>,
  proof: Record<string, unknown>,
) {
  const shown = new Set((body.fields ?? '').split(','));
  const allowed = new Set(fieldNames(state));
  const wants = (name: string) => body[name] === 'on';
  const acts = (name: string) => shown.has(name) && allowed.has(name);
  const form = { origin: 'form' as const, source: proof };
  if (acts('g') && wants('g') !== (state.status === 'subscribed'))
    await setStatus(pool, state.contactId, wants('g') ? 'subscribed' : 'unsubscribed', form);
  for (const s of state.subscriptions) {
    const name = `s.${s.id}`;
    if (acts(name) && wants(name) !== (s.status === 'subscribed'))
      await applyFeedback(
        pool,
        {
          kind: wants(name) ? 'resubscribe' : 'unsubscribe',
          channel: s.channel,
          address: s.address,
          resource: s.resource,
        },
        { source: proof },
      );
    for (const [category, current] of Object.entries(s.categories)) {
      const field = `c.${s.id}.${category}`;
      if (!acts(field) || wants(field) === (current === 'subscribed')) continue;
      await setCategory(
        pool,
        state.contactId,
        { resource: s.resource, category, channel: s.channel },
        wants(field) ? 'subscribed' : 'unsubscribed',
        form,
      );
    }
  }
}
