// Segment tests: contacts written straight into the store's tables (created_at, time zones and custom values
// chosen exactly), and a segment's members as the keyset page query of a campaign reads them.
import type { Pool } from '../../db/pool';
import { compileSegment } from '../../segments/compile';
import { parseSegment } from '../../segments/segment';

export interface ContactRow {
  id: string;
  email?: string | null;
  status?: string;
  active?: boolean;
  first_name?: string | null;
  language?: string | null;
  gender?: number | null;
  country?: string | null;
  subdivision?: string | null;
  timezone?: string | null;
  birthday?: string | null;
  source?: string | null;
  created_at?: string;
  custom?: Record<string, unknown>;
}

export async function insertContacts(pool: Pool, rows: ContactRow[]): Promise<void> {
  for (const r of rows) {
    await pool.query(
      `INSERT INTO contacts (id, email, status, active, first_name, language, gender, country, subdivision,
         timezone, birthday, source, created_at, custom)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13::timestamptz, now()), $14)`,
      [
        r.id,
        r.email === undefined ? `${r.id.toLowerCase()}@example.test` : r.email,
        r.status ?? 'subscribed',
        r.active ?? true,
        r.first_name ?? null,
        r.language ?? null,
        r.gender ?? null,
        r.country ?? null,
        r.subdivision ?? null,
        r.timezone ?? null,
        r.birthday ?? null,
        r.source ?? null,
        r.created_at ?? null,
        JSON.stringify(r.custom ?? {}),
      ],
    );
  }
}

export async function insertSubscription(
  pool: Pool,
  s: {
    contact: string;
    resource?: string;
    channel?: 'email' | 'sms';
    status: string;
    categories?: Record<string, string>;
    deleted?: boolean;
    address?: string;
  },
): Promise<void> {
  const channel = s.channel ?? 'email';
  await pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status, categories, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END)`,
    [
      s.contact,
      s.resource ?? 'shop',
      channel,
      s.address ?? (channel === 'email' ? `${s.contact.toLowerCase()}@example.test` : '+447700900001'),
      s.status,
      JSON.stringify(s.categories ?? {}),
      s.deleted ?? false,
    ],
  );
}

/** The ids the segment `where` selects at `at`, read as a campaign page is (parameters after two of its own). */
export async function members(
  pool: Pool,
  where: unknown,
  at: string | Date,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const segment = parseSegment(JSON.stringify({ id: 'test', ...extra, where }));
  const compiled = compileSegment(segment, { at: new Date(at), paramOffset: 2 });
  const { rows } = await pool.query<{ id: string }>(
    `SELECT c.id FROM contacts c WHERE c.id > $1 AND (${compiled.where}) ORDER BY c.id LIMIT $2`,
    ['', 10_000, ...compiled.params],
  );
  return rows.map((r) => r.id);
}

/** A ledger condition both page-reading tests use: subscribed to the shop's email more than 30 days ago. */
export const SUBSCRIBED_30_DAYS_AGO = {
  ledger: {
    kind: 'subscription',
    resource: 'shop',
    channel: 'email',
    to: 'subscribed',
    olderThan: '30 days',
  },
};
