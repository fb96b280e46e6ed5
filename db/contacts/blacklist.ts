// Email and phone blacklists (SmartSender): per address, not per contact. An address on the list blocks
// its channel for every contact that has it, as primary address or as a subscription address.
import type { Pool } from '../pool';
import type { Channel } from '../../rules/model';
import { appendLedger } from './ledger';
import { toContext } from './store';
import { inTransaction } from './tx';
import type { ConsentContext, Origin } from './types';
import { normalizeAddress, parseBlacklistChannel } from './validate';

export interface BlacklistChange {
  channel: Channel;
  address: string;
  changed: boolean;
  /** Contacts that have the address (each got a ledger row). */
  contactIds: string[];
}

async function contactsWithAddress(
  db: Pool | import('../pool').PoolClient,
  channel: Channel,
  address: string,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM contacts WHERE (CASE $1 WHEN 'email' THEN email ELSE phone END) = $2
     UNION SELECT contact_id FROM subscriptions WHERE channel = $1 AND address = $2 ORDER BY 1`,
    [channel, address],
  );
  return rows.map((r) => r.id);
}

export async function addToBlacklist(
  pool: Pool,
  channelRaw: string,
  addressRaw: string,
  options: { reason?: string } = {},
  origin: Origin | ConsentContext = 'admin',
): Promise<BlacklistChange> {
  return changeBlacklist(
    pool,
    parseBlacklistChannel(channelRaw),
    addressRaw,
    true,
    options.reason ?? null,
    toContext(origin),
  );
}

export async function removeFromBlacklist(
  pool: Pool,
  channelRaw: string,
  addressRaw: string,
  origin: Origin | ConsentContext = 'admin',
): Promise<BlacklistChange> {
  return changeBlacklist(pool, parseBlacklistChannel(channelRaw), addressRaw, false, null, toContext(origin));
}

async function changeBlacklist(
  pool: Pool,
  channel: Channel,
  addressRaw: string,
  add: boolean,
  reason: string | null,
  ctx: ConsentContext,
): Promise<BlacklistChange> {
  const address = normalizeAddress(channel, addressRaw);
  return inTransaction(pool, async (client) => {
    const { rowCount } = add
      ? await client.query(
          `INSERT INTO blacklist (channel, address_hash, address, reason, origin)
           VALUES ($1, cf_address_hash($2), $2, $3, $4) ON CONFLICT DO NOTHING`,
          [channel, address, reason, ctx.origin],
        )
      : await client.query(
          `DELETE FROM blacklist WHERE channel = $1 AND address_hash = cf_address_hash($2)`,
          [channel, address],
        );
    const changed = (rowCount ?? 0) > 0;
    const contactIds = await contactsWithAddress(client, channel, address);
    if (changed) {
      const entry = {
        kind: 'blacklist' as const,
        channel,
        address,
        before: { blacklisted: !add },
        after: { blacklisted: add },
        source: reason ? { reason } : {},
      };
      await appendLedger(
        client,
        ctx,
        contactIds.length
          ? contactIds.map((contactId) => ({ ...entry, contactId }))
          : [{ ...entry, contactId: null }],
      );
    }
    return { channel, address, changed, contactIds };
  });
}

/** How the blacklists name themselves to people: by the kind of address. */
export type BlacklistName = 'email' | 'phone';
export const blacklistName = (channel: Channel): BlacklistName => (channel === 'sms' ? 'phone' : 'email');

export interface BlacklistEntry {
  list: BlacklistName;
  /** Null once the person behind it was erased (the digest keeps blocking). */
  address: string | null;
  reason: string | null;
  origin: string;
  added_at: Date;
}

/** The blacklist entries, of one list (email, or phone / sms) or both, newest first. */
export async function listBlacklist(
  pool: Pool,
  channelRaw?: string,
  limit = 1000,
): Promise<BlacklistEntry[]> {
  const channel = channelRaw ? parseBlacklistChannel(channelRaw) : null;
  const { rows } = await pool.query<BlacklistEntry & { channel: Channel }>(
    `SELECT channel, address, reason, origin, added_at FROM blacklist
     WHERE $1::text IS NULL OR channel = $1 ORDER BY added_at DESC, address LIMIT $2`,
    [channel, limit],
  );
  return rows.map(({ channel: c, ...r }) => ({ ...r, list: blacklistName(c) }));
}

export async function isBlacklisted(pool: Pool, channelRaw: string, addressRaw: string): Promise<boolean> {
  const channel = parseBlacklistChannel(channelRaw);
  const { rowCount } = await pool.query(
    `SELECT 1 FROM blacklist WHERE channel = $1 AND address_hash = cf_address_hash($2)`,
    [channel, normalizeAddress(channel, addressRaw)],
  );
  return (rowCount ?? 0) > 0;
}
