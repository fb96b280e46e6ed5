// Where to cut the contact id space into parts of about equal size: campaign ranges (one child workflow each)
// and preview ranges (one grouped read each). A contact added later still falls into exactly one part.
import type { Pool, PoolClient } from '../pool';
import type { PageRange } from '../../contracts/campaign';

/**
 * Ranges `(after, upTo]` covering every contact id, about `parts` of them (fewer when there are few
 * contacts); the last is open-ended. The cuts are quantiles of the stored ids: of all of them (one sorted read
 * of the primary key), or given `sampleOf` (about how many contacts are stored), of a sample of the table's
 * pages holding about ten thousand ids, which is as good for sharing work and costs a hundredth at a million.
 */
export async function contactIdRanges(
  db: Pool | PoolClient,
  parts: number,
  opts: { sampleOf?: number } = {},
): Promise<PageRange[]> {
  const n = Math.max(1, Math.min(64, Math.floor(parts)));
  const cuts = Array.from({ length: n - 1 }, (_, i) => (i + 1) / n);
  let bounds: string[] = [];
  if (cuts.length > 0) {
    const percent = opts.sampleOf === undefined ? 100 : Math.min(100, 1e6 / Math.max(1, opts.sampleOf));
    const { rows } = await db.query<{ bounds: string[] | null }>(
      `SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY id) AS bounds
         FROM contacts ${percent < 100 ? 'TABLESAMPLE SYSTEM ($2)' : ''}`,
      percent < 100 ? [cuts, percent] : [cuts],
    );
    // Few contacts give repeated quantiles: a range after the same id as the previous one would be empty.
    bounds = [...new Set(rows[0]?.bounds ?? [])];
  }
  const ranges: PageRange[] = [];
  let after = '';
  bounds.forEach((upTo, index) => {
    ranges.push({ index, after, upTo });
    after = upTo;
  });
  ranges.push({ index: ranges.length, after });
  return ranges;
}
