// Single-contact operations for the API and the CLI. Each runs in one transaction holding the contact's row
// lock, writes the change and its ledger rows together, or nothing.
import type { Pool, PoolClient } from '../pool';
import type { Channel, CategoryState, GlobalStatus, SubscriptionStatus } from '../../rules/model';
import { loadCustomFields } from './custom-fields';
import { ContactFieldError, NoSuchSubscriptionError } from './errors';
import { appendLedger, type LedgerEntry } from './ledger';
import { blankStagedContact, stageContact, stageSubscription, type FieldDefinitions } from './stage-input';
import { inTransaction, isUniqueViolation, lockContact } from './tx';
import type { ConsentContext, ContactInput, Origin, SubscriptionInput } from './types';
import {
  normalizeAddress,
  parseCategoryName,
  parseChannel,
  parseGlobalStatus,
  parseResource,
} from './validate';
import { writeContactBatch } from './write-batch';

export function toContext(origin: Origin | ConsentContext): ConsentContext {
  return typeof origin === 'string' ? { origin } : origin;
}

export async function loadFieldDefinitions(db: Pool | PoolClient): Promise<FieldDefinitions> {
  return {
    profile: await loadCustomFields(db, 'profile'),
    subscription: await loadCustomFields(db, 'subscription'),
  };
}

/**
 * Creates or updates one contact (matched by id, email or phone) and its subscriptions; returns its id.
 * Throws ContactFieldError naming the first bad field.
 */
export async function upsertContact(
  pool: Pool,
  input: ContactInput,
  origin: Origin | ConsentContext = 'api',
): Promise<string> {
  const ctx = toContext(origin);
  const staged = stageContact(input, await loadFieldDefinitions(pool), 0);
  if ('problems' in staged) {
    const first = staged.problems[0]!;
    throw new ContactFieldError(first.field, first.reason);
  }
  // A concurrent first write of the same address makes one insert lose the race: retry, it then updates.
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, async (client) => {
        const result = await writeContactBatch(client, [staged.contact], ctx);
        const problem = result.rejected[0];
        if (problem) throw new ContactFieldError(problem.field, problem.reason);
        return result.ids.get(0)!;
      });
    } catch (err) {
      if (attempt < 3 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

/** Adds or changes one subscription of a contact (limits and eviction apply). Returns the contact id. */
export async function subscribe(
  pool: Pool,
  key: string,
  sub: SubscriptionInput,
  origin: Origin | ConsentContext = 'admin',
): Promise<string> {
  const ctx = toContext(origin);
  const defs = await loadFieldDefinitions(pool);
  const staged = stageSubscription(sub, defs);
  return inTransaction(pool, async (client) => {
    const contact = await lockContact(client, key);
    const result = await writeContactBatch(
      client,
      [blankStagedContact({ id: contact.id, subs: [staged] })],
      ctx,
    );
    const problem = result.rejected[0];
    if (problem) throw new ContactFieldError(problem.field, problem.reason);
    return contact.id;
  });
}

export async function setStatus(
  pool: Pool,
  key: string,
  status: string,
  origin: Origin | ConsentContext = 'admin',
): Promise<{ contactId: string; changed: boolean; status: GlobalStatus }> {
  const next = parseGlobalStatus(status);
  const ctx = toContext(origin);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    if (c.status === next) return { contactId: c.id, changed: false, status: next };
    await client.query('UPDATE contacts SET status = $2, updated_at = now() WHERE id = $1', [c.id, next]);
    await appendLedger(client, ctx, [
      { contactId: c.id, kind: 'status', before: { status: c.status }, after: { status: next } },
    ]);
    return { contactId: c.id, changed: true, status: next };
  });
}

/** Activate / deactivate (SmartSender): a deactivated contact receives nothing, whatever its statuses. */
export async function setActive(
  pool: Pool,
  key: string,
  active: boolean,
  origin: Origin | ConsentContext = 'admin',
): Promise<{ contactId: string; changed: boolean }> {
  const ctx = toContext(origin);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    if (c.active === active) return { contactId: c.id, changed: false };
    await client.query('UPDATE contacts SET active = $2, updated_at = now() WHERE id = $1', [c.id, active]);
    await appendLedger(client, ctx, [
      { contactId: c.id, kind: 'activity', before: { active: c.active }, after: { active } },
    ]);
    return { contactId: c.id, changed: true };
  });
}

export interface UnsubscribeScope {
  resource?: string;
  channel?: Channel;
  /** Only this category of the matching subscriptions (they stay subscribed to the rest). */
  category?: string;
  /** Only subscriptions of this address. */
  address?: string;
}

export interface SubscriptionRow {
  id: string;
  contact_id: string;
  resource: string;
  channel: Channel;
  address: string;
  status: SubscriptionStatus;
  priority: number;
  categories: Record<string, CategoryState>;
}

/**
 * Unsubscribes. No resource (and no category): the global status becomes unsubscribed, as the reference
 * documents say; a channel given as well also unsubscribes that channel's subscriptions. A resource:
 * that resource's subscriptions (of the channel, if given). A category: only that category.
 */
export async function unsubscribe(
  pool: Pool,
  key: string,
  scope: UnsubscribeScope = {},
  origin: Origin | ConsentContext = 'admin',
): Promise<{ contactId: string; changes: number }> {
  const ctx = toContext(origin);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    if (scope.resource || scope.address) await assertSubscriptionExists(client, c.id, scope);
    const changes = await unsubscribeLocked(client, c.id, c.status, scope, ctx);
    return { contactId: c.id, changes };
  });
}

/**
 * An unsubscribe naming a resource, channel or address that the contact has no subscription of changes
 * nothing: almost always a typo, so it is refused naming what the contact does have.
 */
async function assertSubscriptionExists(
  client: PoolClient,
  contactId: string,
  scope: UnsubscribeScope,
): Promise<void> {
  const resource = scope.resource ? parseResource(scope.resource) : null;
  const channel = scope.channel ? parseChannel(scope.channel) : null;
  const address = scope.address
    ? normalizeAddress(channel ?? (scope.address.includes('@') ? 'email' : 'sms'), scope.address)
    : null;
  const { rows } = await client.query<{ resource: string; channel: string; address: string; hit: boolean }>(
    `SELECT resource, channel, address,
       ($2::text IS NULL OR resource = $2) AND ($3::text IS NULL OR channel = $3) AND ($4::text IS NULL OR address = $4) AS hit
     FROM subscriptions WHERE contact_id = $1 AND deleted_at IS NULL ORDER BY resource, channel, address`,
    [contactId, resource, channel, address],
  );
  if (rows.some((r) => r.hit)) return;
  const has = rows.length
    ? `its subscriptions: ${rows
        .slice(0, 10)
        .map((r) => `${r.resource}/${r.channel} ${r.address}`)
        .join(', ')}${rows.length > 10 ? ` and ${rows.length - 10} more` : ''}`
    : 'it has no subscriptions';
  throw new NoSuchSubscriptionError(
    `contact ${contactId} has no ${channel ? `${channel} ` : ''}subscription${resource ? ` to "${resource}"` : ''}${address ? ` for ${address}` : ''} (${has}); check the --resource, --channel and --address given`,
  );
}

/** The body of unsubscribe for callers that already hold the contact's lock (feedback). */
export async function unsubscribeLocked(
  client: PoolClient,
  contactId: string,
  globalStatus: string,
  scope: UnsubscribeScope,
  ctx: ConsentContext,
  target: SubscriptionStatus = 'unsubscribed',
): Promise<number> {
  const resource = scope.resource ? parseResource(scope.resource) : null;
  const channel = scope.channel ? parseChannel(scope.channel) : null;
  const entries: LedgerEntry[] = [];
  const subs = await client.query<SubscriptionRow>(
    `SELECT id::text, resource, channel, address, status, priority, categories FROM subscriptions
     WHERE contact_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR resource = $2)
       AND ($3::text IS NULL OR channel = $3) AND ($4::text IS NULL OR address = $4) ORDER BY id`,
    [contactId, resource, channel, scope.address ?? null],
  );
  if (scope.category) {
    const category = parseCategoryName(scope.category);
    for (const s of subs.rows) {
      if (s.categories[category] === 'unsubscribed') continue;
      await client.query(
        `UPDATE subscriptions SET categories = categories || jsonb_build_object($2::text, 'unsubscribed'), updated_at = now() WHERE id = $1`,
        [s.id, category],
      );
      entries.push({
        contactId,
        kind: 'category',
        channel: s.channel,
        resource: s.resource,
        category,
        address: s.address,
        before: s.categories[category] ? { status: s.categories[category] } : null,
        after: { status: 'unsubscribed' },
      });
    }
  } else {
    // A complainer or hard-bounced profile stays so: unsubscribed would hide why it may not be contacted.
    if (
      !resource &&
      !['unsubscribed', 'complainer', 'hard_bounced'].includes(globalStatus) &&
      target === 'unsubscribed'
    ) {
      await client.query(`UPDATE contacts SET status = 'unsubscribed', updated_at = now() WHERE id = $1`, [
        contactId,
      ]);
      entries.push({
        contactId,
        kind: 'status',
        before: { status: globalStatus },
        after: { status: 'unsubscribed' },
      });
    }
    if (resource || channel || scope.address) {
      for (const s of subs.rows) {
        if (s.status === target) continue;
        await client.query(`UPDATE subscriptions SET status = $2, updated_at = now() WHERE id = $1`, [
          s.id,
          target,
        ]);
        entries.push({
          contactId,
          kind: 'subscription',
          channel: s.channel,
          resource: s.resource,
          address: s.address,
          before: { status: s.status, priority: s.priority },
          after: { status: target, priority: s.priority },
        });
      }
    }
  }
  await appendLedger(client, ctx, entries);
  return entries.length;
}

/** Subscribes or unsubscribes one category on a resource's subscriptions (of one channel, if given). */
export async function setCategory(
  pool: Pool,
  key: string,
  scope: { resource: string; category: string; channel?: Channel },
  state: CategoryState,
  origin: Origin | ConsentContext = 'admin',
): Promise<{ contactId: string; changes: number }> {
  if (state === 'unsubscribed') return unsubscribe(pool, key, scope, origin);
  const ctx = toContext(origin);
  const category = parseCategoryName(scope.category);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    const { rows } = await client.query<SubscriptionRow>(
      `UPDATE subscriptions s SET categories = s.categories || jsonb_build_object($3::text, 'subscribed'), updated_at = now()
       FROM subscriptions old
       WHERE old.id = s.id AND s.contact_id = $1 AND s.resource = $2 AND s.deleted_at IS NULL
         AND ($4::text IS NULL OR s.channel = $4) AND (old.categories ->> $3) IS DISTINCT FROM 'subscribed'
       RETURNING s.channel, s.resource, s.address, old.categories`,
      [c.id, parseResource(scope.resource), category, scope.channel ?? null],
    );
    await appendLedger(
      client,
      ctx,
      rows.map((s) => ({
        contactId: c.id,
        kind: 'category' as const,
        channel: s.channel,
        resource: s.resource,
        category,
        address: s.address,
        before: s.categories[category] ? { status: s.categories[category] } : null,
        after: { status: 'subscribed' },
      })),
    );
    return { contactId: c.id, changes: rows.length };
  });
}

/** Marks a subscription deleted; it stays until the limits evict it (deleted ones go first). */
export async function removeSubscription(
  pool: Pool,
  key: string,
  sub: { resource: string; channel: Channel; address: string },
  origin: Origin | ConsentContext = 'admin',
): Promise<boolean> {
  const ctx = toContext(origin);
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    const { rows } = await client.query<SubscriptionRow>(
      `UPDATE subscriptions SET deleted_at = now() WHERE contact_id = $1 AND resource = $2 AND channel = $3
         AND address = $4 AND deleted_at IS NULL RETURNING status, priority`,
      [c.id, sub.resource, sub.channel, sub.address],
    );
    const gone = rows[0];
    if (!gone) return false;
    await appendLedger(client, ctx, [
      {
        contactId: c.id,
        kind: 'subscription',
        channel: sub.channel,
        resource: sub.resource,
        address: sub.address,
        before: { status: gone.status, priority: gone.priority },
        after: { deleted: true },
      },
    ]);
    return true;
  });
}
