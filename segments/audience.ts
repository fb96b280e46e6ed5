// A segment's audience in the contact store: its size, a sample, and keyset pages in id order (each page a
// query that starts after the previous page's last id, so a page costs the same at the start and the end of
// a million contacts, and a contact added or removed meanwhile never shifts the others).
import type { Pool, PoolClient } from '../db/pool';
import { compileSegment, type CompiledSegment } from './compile';
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

/** Up to `limit` contact ids of the audience after `after` (exclusive; '' for the first page), in id order. */
export async function audiencePage(
  db: Db,
  segment: Segment,
  at: Date,
  after: string,
  limit: number,
): Promise<string[]> {
  return pageOf(db, compileSegment(segment, { at, paramOffset: 2 }), after, limit);
}

async function pageOf(db: Db, compiled: CompiledSegment, after: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT c.id FROM contacts c WHERE c.id > $1 AND (${compiled.where}) ORDER BY c.id LIMIT $2`,
    [after, limit, ...compiled.params],
  );
  return rows.map((r) => r.id);
}

/** Every page of the audience in id order; the next page is read while the caller works on this one. */
export async function* audiencePages(
  db: Db,
  segment: Segment,
  at: Date,
  pageSize: number,
): AsyncGenerator<string[]> {
  const compiled = compileSegment(segment, { at, paramOffset: 2 }); // once: every page asks the same
  let next = pageOf(db, compiled, '', pageSize);
  for (;;) {
    const page = await next;
    if (page.length === 0) return;
    next =
      page.length < pageSize ? Promise.resolve([]) : pageOf(db, compiled, page[page.length - 1]!, pageSize);
    // A caller that stops early leaves `next` running: its rejection must not be unhandled.
    next.catch(() => undefined);
    yield page;
  }
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
