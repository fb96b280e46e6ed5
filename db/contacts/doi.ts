// Double opt-in: a form sign-up starts unconfirmed; the person confirms with a token that is signed
// (HMAC-SHA256, key from CONSENTFLOW_SECRET, or in development a key generated once into
// .consentflow/doi-secret), expires, and works once (its nonce row is marked used).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from '../pool';
import { devKey } from '../../contracts/link-config';
import { ConfirmationTokenError, ContactFieldError } from './errors';
import { appendLedger, type LedgerEntry } from './ledger';
import { stageContact } from './stage-input';
import { loadFieldDefinitions } from './store';
import { inTransaction, isUniqueViolation, lockContact } from './tx';
import type { ContactInput } from './types';
import { writeContactBatch } from './write-batch';

export const DEFAULT_TOKEN_TTL_MS = 48 * 3600 * 1000;

/**
 * CONSENTFLOW_SECRET, or for development a random key kept in `<home>/.consentflow/doi-secret` (home:
 * CONSENTFLOW_HOME or the working directory; link keys use the same mechanism): never a constant anyone can
 * read in the source and use to forge confirmations.
 */
const devKeys = new Map<string, string>();
function secret(): string {
  if (process.env.CONSENTFLOW_SECRET) return process.env.CONSENTFLOW_SECRET;
  const home = process.env.CONSENTFLOW_HOME ?? process.cwd();
  let key = devKeys.get(home);
  if (!key) devKeys.set(home, (key = devKey(home, 'doi-secret')));
  return key;
}

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');
const sign = (payload: string): Buffer => createHmac('sha256', secret()).update(payload).digest();

interface TokenClaims {
  c: string; // contact id
  r: string | null; // resource the sign-up was for
  n: string; // nonce, the single-use key
  e: number; // expiry, ms since epoch
}

export interface SignUpOptions {
  /** How long the confirmation link works (default 48 hours). */
  ttlMs?: number;
  /** Form id, page, IP... recorded as the ledger's source. */
  source?: Record<string, unknown>;
}

export interface SignUpResult {
  contactId: string;
  confirmationToken: string;
  expiresAt: Date;
}

/**
 * A form sign-up: creates or updates the contact with its subscriptions unconfirmed (a subscription that is
 * already subscribed stays so) and issues the confirmation token to send in the double opt-in email.
 */
export async function signUp(
  pool: Pool,
  input: ContactInput,
  options: SignUpOptions = {},
): Promise<SignUpResult> {
  const ctx = { origin: 'form' as const, source: options.source ?? {} };
  const staged = stageContact(
    {
      ...input,
      status: 'unconfirmed',
      email_status: input.email ? 'unconfirmed' : undefined,
      sms_status: input.phone ? 'unconfirmed' : undefined,
    },
    await loadFieldDefinitions(pool),
    0,
  );
  if ('problems' in staged) {
    const first = staged.problems[0]!;
    throw new ContactFieldError(first.field, first.reason);
  }
  const ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  // A token that is born expired (or never expires) is never what the caller meant.
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > 366 * 24 * 3600_000) {
    throw new ContactFieldError(
      'ttl',
      `${String(ttlMs)} ms is not a token lifetime (more than 0, at most a year)`,
    );
  }
  const expiresAt = new Date(Date.now() + ttlMs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, async (client) => {
        const result = await writeContactBatch(client, [staged.contact], ctx);
        const problem = result.rejected[0];
        if (problem) throw new ContactFieldError(problem.field, problem.reason);
        const contactId = result.ids.get(0)!;
        const claims: TokenClaims = {
          c: contactId,
          r: input.resource ?? null,
          n: b64(randomBytes(18)),
          e: expiresAt.getTime(),
        };
        await client.query(
          'INSERT INTO doi_tokens (nonce, contact_id, resource, expires_at) VALUES ($1, $2, $3, $4)',
          [claims.n, contactId, claims.r, expiresAt],
        );
        const payload = b64(JSON.stringify(claims));
        return { contactId, confirmationToken: `${payload}.${b64(sign(payload))}`, expiresAt };
      });
    } catch (err) {
      if (attempt < 3 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

function verify(token: string, now: Date): TokenClaims {
  const [payload, signature, extra] = token.trim().split('.');
  if (!payload || !signature || extra !== undefined) {
    throw new ConfirmationTokenError(
      'malformed',
      'this is not a confirmation token (copy the whole link parameter)',
    );
  }
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ConfirmationTokenError(
      'bad_signature',
      'the confirmation token was not issued by this installation (signature mismatch; check CONSENTFLOW_SECRET)',
    );
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  if (claims.e <= now.getTime()) {
    throw new ConfirmationTokenError(
      'expired',
      `the confirmation token expired at ${new Date(claims.e).toISOString()}; sign up again to get a new one`,
    );
  }
  return claims;
}

/** Confirms a double opt-in: unconfirmed subscriptions (and an unconfirmed global status) become subscribed. */
export async function confirmSubscription(
  pool: Pool,
  token: string,
  options: { now?: Date; source?: Record<string, unknown> } = {},
): Promise<{ contactId: string; changes: number }> {
  const now = options.now ?? new Date();
  const claims = verify(token, now);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ used_at: Date | null; expires_at: Date }>(
      'SELECT used_at, expires_at FROM doi_tokens WHERE nonce = $1 FOR UPDATE',
      [claims.n],
    );
    const row = rows[0];
    if (!row)
      throw new ConfirmationTokenError(
        'unknown',
        'the confirmation token is no longer valid (the contact was erased)',
      );
    if (row.used_at) {
      throw new ConfirmationTokenError(
        'used',
        `the confirmation token was already used at ${row.used_at.toISOString()}`,
      );
    }
    if (row.expires_at <= now)
      throw new ConfirmationTokenError('expired', 'the confirmation token expired; sign up again');
    const c = await lockContact(client, claims.c);
    await client.query('UPDATE doi_tokens SET used_at = $2 WHERE nonce = $1', [claims.n, now]);
    const ctx = { origin: 'form' as const, source: { ...(options.source ?? {}), confirmation: claims.n } };
    return { contactId: c.id, changes: await confirmLocked(client, c, claims.r, ctx) };
  });
}

/**
 * Confirms a double opt-in from a signed confirm link (the server checked its signature and expiry): the
 * contact's unconfirmed subscriptions (of `resource`, if given) and an unconfirmed global status become
 * subscribed, ledger origin `form` with the click's proof. `eventKey` makes it once per link: a replay, even
 * after a later sign-up made the contact unconfirmed again, changes nothing (`duplicate`).
 */
export async function confirmByLink(
  pool: Pool,
  link: { contactId: string; resource?: string | null },
  options: { source?: Record<string, unknown>; eventKey?: { provider: string; id: string } } = {},
): Promise<{ changes: number; duplicate?: true; gone?: true }> {
  return inTransaction(pool, async (client) => {
    if (options.eventKey) {
      const seen = await client.query(
        `INSERT INTO feedback_events (provider, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        [options.eventKey.provider, options.eventKey.id],
      );
      if (seen.rowCount === 0) return { changes: 0, duplicate: true as const };
    }
    const found = await client.query('SELECT 1 FROM contacts WHERE id = $1', [link.contactId]);
    if (!found.rowCount) return { changes: 0, gone: true as const };
    const c = await lockContact(client, link.contactId);
    const ctx = { origin: 'form' as const, source: options.source ?? {} };
    return { changes: await confirmLocked(client, c, link.resource ?? null, ctx) };
  });
}

/** The confirmation itself, under the contact's lock: unconfirmed becomes subscribed, with ledger rows. */
async function confirmLocked(
  client: PoolClient,
  c: { id: string; status: string },
  resource: string | null,
  ctx: { origin: 'form'; source: Record<string, unknown> },
): Promise<number> {
  const { rows: subs } = await client.query<{
    channel: 'email' | 'sms';
    resource: string;
    address: string;
    priority: number;
  }>(
    `UPDATE subscriptions SET status = 'subscribed', updated_at = now()
     WHERE contact_id = $1 AND status = 'unconfirmed' AND deleted_at IS NULL AND ($2::text IS NULL OR resource = $2)
     RETURNING channel, resource, address, priority`,
    [c.id, resource],
  );
  const entries: LedgerEntry[] = subs.map((s) => ({
    contactId: c.id,
    kind: 'subscription' as const,
    channel: s.channel,
    resource: s.resource,
    address: s.address,
    before: { status: 'unconfirmed', priority: s.priority },
    after: { status: 'subscribed', priority: s.priority },
  }));
  if (c.status === 'unconfirmed') {
    await client.query(`UPDATE contacts SET status = 'subscribed', updated_at = now() WHERE id = $1`, [c.id]);
    entries.push({
      contactId: c.id,
      kind: 'status',
      before: { status: 'unconfirmed' },
      after: { status: 'subscribed' },
    });
  }
  // A confirmed opt-in is the fresh consent an erased address needed: its tombstone has done its job.
  await client.query(
    `DELETE FROM erased_addresses e USING subscriptions s
     WHERE s.contact_id = $1 AND s.status = 'subscribed' AND e.channel = s.channel AND e.address_hash = cf_address_hash(s.address)`,
    [c.id],
  );
  await appendLedger(client, ctx, entries);
  return entries.length;
}

/**
 * Whether a double opt-in of the contact is confirmed: nothing of `resource` (or of any resource) is still
 * unconfirmed and the global status is not. A contact that is gone is not confirmed.
 */
export async function doubleOptInConfirmed(
  pool: Pool,
  contactId: string,
  resource?: string | null,
): Promise<boolean> {
  const { rows } = await pool.query<{ status: string; pending: boolean }>(
    `SELECT c.status, EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id AND s.status = 'unconfirmed'
       AND s.deleted_at IS NULL AND ($2::text IS NULL OR s.resource = $2)) AS pending
     FROM contacts c WHERE c.id = $1`,
    [contactId, resource ?? null],
  );
  const c = rows[0];
  return Boolean(c) && c!.status === 'subscribed' && !c!.pending;
}
