// The consent ledger: append-only proof of every consent change (GDPR Art. 7(1)). Writers append through
// appendLedger; readers get a contact's history or the activity feed filtered like SmartSender's.
import type { Pool } from '../pool';
import type { Channel } from '../../rules/model';
import type { ConsentContext, Origin } from './types';
import { resolveContactKey, type Queryable } from './tx';
import { ContactFieldError, ContactNotFoundError } from './errors';

export type LedgerKind =
  'created' | 'status' | 'activity' | 'subscription' | 'category' | 'eviction' | 'blacklist' | 'erase';

export interface LedgerEntry {
  contactId: string | null;
  kind: LedgerKind;
  channel?: Channel | null;
  resource?: string | null;
  category?: string | null;
  address?: string | null;
  before?: unknown;
  after?: unknown;
  /** Merged over the context's source. */
  source?: Record<string, unknown>;
}

export interface LedgerRow {
  id: string;
  at: Date;
  recorded_at: Date;
  contact_id: string | null;
  kind: LedgerKind;
  channel: Channel | null;
  resource: string | null;
  category: string | null;
  address: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  origin: Origin;
  source: Record<string, unknown>;
}

export function contextAt(ctx: ConsentContext): string {
  return ctx.at ? new Date(ctx.at).toISOString() : new Date().toISOString();
}

export async function appendLedger(
  db: Queryable,
  ctx: ConsentContext,
  entries: LedgerEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    contact_id: e.contactId,
    kind: e.kind,
    channel: e.channel ?? null,
    resource: e.resource ?? null,
    category: e.category ?? null,
    address: e.address ?? null,
    before: e.before ?? null,
    after: e.after ?? null,
    source: { ...(ctx.source ?? {}), ...(e.source ?? {}) },
  }));
  await db.query(
    `INSERT INTO consent_ledger (at, contact_id, kind, channel, resource, category, address, before, after, origin, source)
     SELECT $1, r.contact_id, r.kind, r.channel, r.resource, r.category, r.address, r.before, r.after, $2, r.source
     FROM jsonb_to_recordset($3::jsonb) AS r(contact_id text, kind text, channel text, resource text,
       category text, address text, before jsonb, after jsonb, source jsonb)`,
    [contextAt(ctx), ctx.origin, JSON.stringify(rows)],
  );
}

export interface FeedFilter {
  channel?: Channel;
  origin?: Origin;
  /** Matches the status after the change (subscription, category or global). */
  status?: string;
  kind?: LedgerKind;
  /** Only the last N days (SmartSender offers 7, 14, 30). */
  days?: number;
  limit?: number;
}

/** A contact's ledger rows, newest first, filtered by channel, origin, status and period. */
export async function activityFeed(pool: Pool, key: string, filter: FeedFilter = {}): Promise<LedgerRow[]> {
  if (filter.days !== undefined && (!Number.isInteger(filter.days) || filter.days < 1)) {
    throw new ContactFieldError(
      'days',
      `${String(filter.days)} is not a number of days (a whole number, 1 or more)`,
    );
  }
  const id = await resolveContactKey(pool, key);
  if (!id) throw new ContactNotFoundError(key);
  const { rows } = await pool.query<LedgerRow>(
    `SELECT id::text, at, recorded_at, contact_id, kind, channel, resource, category, address, before, after, origin, source
     FROM consent_ledger
     WHERE contact_id = $1
       AND ($2::text IS NULL OR channel = $2)
       AND ($3::text IS NULL OR origin = $3)
       AND ($4::text IS NULL OR after->>'status' = $4)
       AND ($5::text IS NULL OR kind = $5)
       AND ($6::int IS NULL OR at >= now() - make_interval(days => $6))
     ORDER BY at DESC, id DESC
     LIMIT $7`,
    [
      id,
      filter.channel ?? null,
      filter.origin ?? null,
      filter.status ?? null,
      filter.kind ?? null,
      filter.days ?? null,
      filter.limit ?? 1000,
    ],
  );
  return rows;
}
