// A campaign reads its audience in keyset pages; a page deep into the store must read no more of the
// subscriptions and ledger tables than the first page does. A segment's EXISTS turned into a join reads the
// other table from its start on every page (the page's id bound does not carry over), so a million-contact
// campaign slowed down page after page. Counted in rows PostgreSQL read (EXPLAIN ANALYZE), not in time.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { audienceFilter } from '../../segments/audience';
import { parseSegment } from '../../segments/segment';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { SUBSCRIBED_30_DAYS_AGO } from './support';

let db: TestDatabase;
const N = 20_000;
const PAGE = 100;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    `INSERT INTO contacts (id, email, status) SELECT 'kp-' || lpad(g::text, 5, '0'), 'kp' || g || '@example.test',
       'subscribed' FROM generate_series(1, $1::int) g`,
    [N],
  );
  await db.pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status)
     SELECT id, 'shop', 'email', email, CASE WHEN substr(id, 4)::int % 2 = 0 THEN 'subscribed' ELSE 'unsubscribed' END
       FROM contacts`,
  );
  await db.pool.query(
    `INSERT INTO consent_ledger (contact_id, kind, resource, channel, after, at, origin)
     SELECT id, 'subscription', 'shop', 'email', '{"status": "subscribed"}', now() - interval '40 days', 'import'
       FROM contacts`,
  );
  await db.pool.query('ANALYZE contacts; ANALYZE subscriptions; ANALYZE consent_ledger');
});
afterAll(async () => {
  await db.drop();
});

/**
 * Rows read from `table` by a page of the segment after `after`: summed over every scan node of it. With
 * `through`, the page is read in the id window (after, through], as a campaign range reads it.
 */
async function rowsRead(where: unknown, after: string, table: string, through?: string): Promise<number> {
  const segment = parseSegment(JSON.stringify({ id: 'keyset', where }));
  const filter = audienceFilter(
    segment,
    new Date(),
    through === undefined ? {} : { upTo: through, windowed: true },
  );
  const { rows } = await db.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) SELECT c.id FROM contacts c WHERE c.id > $1 AND (${filter.where})
      ORDER BY c.id LIMIT $2`,
    [after, PAGE, ...filter.params],
  );
  let read = 0;
  const visit = (node: PlanNode): void => {
    if (node['Relation Name'] === table)
      // A probe that found nothing still read the index: at least one row per loop.
      read += Math.max(1, node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(rows[0]!['QUERY PLAN'][0].Plan);
  return read;
}

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

test.each([
  [
    'a subscription state',
    { subscription: { resource: 'shop', channel: 'email', status: 'subscribed' } },
    'subscriptions',
  ],
  [
    'a category state',
    { category: { resource: 'shop', channel: 'email', category: 'promo', state: 'unset' } },
    'subscriptions',
  ],
  ['a ledger event', SUBSCRIBED_30_DAYS_AGO, 'consent_ledger'],
])('%s: a page near the end reads no more than the first page', async (_name, where, table) => {
  const first = await rowsRead(where, '', table);
  const deep = await rowsRead(where, `kp-${String(N - 4 * PAGE).padStart(5, '0')}`, table);
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThanOrEqual(4 * PAGE);
  expect(deep).toBeLessThanOrEqual(4 * PAGE);
  // In id windows of 3 pages' contacts: the other table is read for the window only (hashed or probed).
  const window = async (from: number): Promise<number> =>
    rowsRead(where, kp(from), table, kp(from + 3 * PAGE));
  const firstWindow = await window(0);
  expect(firstWindow).toBeGreaterThan(0);
  expect(firstWindow).toBeLessThanOrEqual(4 * PAGE);
  expect(await window(N - 4 * PAGE)).toBeLessThanOrEqual(4 * PAGE);
});

const kp = (i: number): string => (i === 0 ? '' : `kp-${String(i).padStart(5, '0')}`);
