// A segment's audience in the contact store: its size, a sample, and the filter of the keyset pages a campaign
// range reads in id order (segments/audience-window.ts: each page starts after the previous page's last id, so
// a page costs the same at the start and the end of a million contacts, and a contact added or removed
// meanwhile never shifts the others).
import type { Pool, PoolClient } from '../db/pool';
import type { PageFilter } from '../db/contacts/profile-pages';
import { compileSegment } from './compile';
import type { Segment } from './segment';

type Db = Pool | PoolClient;

/** How many contacts the segment selects at `at`. */
export async function countAudience(db: Db, segment: Segment, at: Date): Promise<number> {
  const { where, params } = compileSegment(segment, { at });
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM contacts c WHERE (${where})`,
    params,
  );
  return Number(rows[0]!.n);
}

/** Where in the store a campaign range reads: up to `upTo` (inclusive), and only contacts at a local hour. */
export interface AudienceScope {
  upTo?: string;
  /** Only contacts whose local hour at `at` is this one (a birthday schedule's send hour). */
  localHour?: number;
  /** `upTo` ends the page's id window (segments/audience-window.ts): other tables are read in it only. */
  windowed?: boolean;
}

/** The segment's audience at `at` within `scope`, as the filter of a keyset page of profiles. */
export function audienceFilter(segment: Segment, at: Date, scope: AudienceScope = {}): PageFilter {
  // $1 and $2 are the page's keyset and size (db/contacts/profile-pages.ts).
  const fixed: unknown[] = [scope.upTo ?? null];
  let hour = '';
  if (scope.localHour !== undefined) {
    fixed.push(at, scope.localHour);
    hour = ` AND extract(hour FROM $4::timestamptz AT TIME ZONE COALESCE(c.timezone, 'UTC')) = $5`;
  }
  const compiled = compileSegment(segment, {
    at,
    paramOffset: 2 + fixed.length,
    paged: scope.windowed ? { after: '$1::text', through: '$3::text' } : true,
  });
  return {
    where: `($3::text IS NULL OR c.id <= $3)${hour} AND (${compiled.where})`,
    params: [...fixed, ...compiled.params],
  };
}

/** A few audience members for a person to look at: ids and the non-personal fields segments test most. */
export interface SampleRow {
  id: string;
  status: string;
  country: string | null;
  subdivision: string | null;
  timezone: string | null;
  created_at: Date;
}

export async function sampleAudience(
  db: Db,
  segment: Segment,
  at: Date,
  limit: number,
): Promise<SampleRow[]> {
  const { where, params } = compileSegment(segment, { at, paramOffset: 1 });
  const { rows } = await db.query<SampleRow>(
    `SELECT c.id, c.status, c.country, c.subdivision, c.timezone, c.created_at
       FROM contacts c WHERE (${where}) ORDER BY c.id LIMIT $1`,
    [limit, ...params],
  );
  return rows;
}
