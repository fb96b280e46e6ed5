// The one write path for contacts and their subscriptions: a batch of staged contacts is resolved against
// existing ones, locked, written set-based and recorded in the ledger inside the caller's transaction. The
// importer sends thousands of rows per call, upsertContact and subscribe send one, so both behave the same.
// Three round trips per batch: create/clear the staging tables, COPY the rows in, run batch-sql.ts.
import type { QueryResult } from 'pg';
import type { PoolClient } from '../pool';
import { batchSql } from './batch-sql';
import { STAGED_CONTACT_COLUMNS } from './columns';
import { copyRows } from './copy-rows';
import { contextAt } from './ledger';
import { enforceLimits, LIMIT_PER_PROFILE, LIMIT_PER_RESOURCE_CHANNEL } from './limits';
import type { ConsentContext, RowRejection, StagedContact } from './types';

export interface BatchResult {
  /** Staged row number -> contact id, for the rows that were written. */
  ids: Map<number, string>;
  inserted: number;
  /** Existing contacts the batch changed. */
  updated: number;
  /** Existing contacts the batch matched but that already were exactly as the rows say. */
  unchanged: number;
  /** Rows that asked to subscribe an opted-out contact or subscription, which an import never does. */
  keptOptedOut: number;
  rejected: RowRejection[];
  /** New subscriptions of an address erased earlier, kept at non_subscribed instead of subscribed. */
  heldBack: number;
  evicted: number;
}

export interface BatchOptions {
  /** Fill `ids` (staged row number -> contact id). The importer only needs counts. Default true. */
  ids?: boolean;
}

// Every time: a rolled-back first batch takes the CREATE with it.
const STAGE_DDL = `
CREATE TEMP TABLE IF NOT EXISTS cf_stage (
  n int PRIMARY KEY, line int, id text, email text, phone text, first_name text, last_name text,
  gender smallint, language text, country text, subdivision text, timezone text, birthday date, source text,
  implied_consent_basis text, implied_consent_at date, status text,
  active boolean, custom jsonb, subs jsonb,
  contact_id text, is_new boolean, before_status text, before_active boolean, final_status text,
  problem_field text, problem text, unchanged boolean, kept boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS cf_stage_subs (
  n int, line int, contact_id text, is_new boolean, channel text, resource text, address text, status text, priority int,
  categories jsonb, custom jsonb, sub_id bigint, sub_id_was bigint, before_status text, before_priority int,
  before_categories jsonb, before_deleted boolean, new_status text, new_priority int, held boolean,
  before_custom jsonb, kept boolean
) ON COMMIT DELETE ROWS;
TRUNCATE cf_stage, cf_stage_subs;`;

/** StagedContact fields, in the order COPY sends them to cf_stage. */
const STAGE_COLUMNS = [
  'n',
  'line',
  ...STAGED_CONTACT_COLUMNS,
  'subs',
] as const satisfies readonly (keyof StagedContact)[];

export async function writeContactBatch(
  client: PoolClient,
  rows: StagedContact[],
  ctx: ConsentContext,
  options: BatchOptions = {},
): Promise<BatchResult> {
  const result: BatchResult = {
    ids: new Map(),
    inserted: 0,
    updated: 0,
    unchanged: 0,
    keptOptedOut: 0,
    rejected: [],
    heldBack: 0,
    evicted: 0,
  };
  if (rows.length === 0) return result;
  await client.query(STAGE_DDL);
  await copyRows(
    client,
    'cf_stage',
    STAGE_COLUMNS,
    rows.map((r) => STAGE_COLUMNS.map((c) => r[c])),
  );
  const literal = (v: string) => client.escapeLiteral(v);
  const { sql, at } = batchSql(
    {
      origin: literal(ctx.origin),
      defaultStatus: literal(ctx.origin === 'form' ? 'unconfirmed' : 'subscribed'),
      at: `${literal(contextAt(ctx))}::timestamptz`,
      source: literal(JSON.stringify(ctx.source ?? {})),
    },
    Math.min(LIMIT_PER_RESOURCE_CHANNEL, LIMIT_PER_PROFILE),
    options.ids !== false,
  );
  const results = (await client.query(sql)) as unknown as QueryResult[];

  const rejected = results[at.rejected!]!.rows as (RowRejection & { n: number })[];
  result.rejected = rejected
    .sort((a, b) => a.n - b.n)
    .map(({ line, field, reason }) => ({ line, field, reason }));
  const counts = results[at.counts!]!.rows[0] as {
    inserted: number;
    updated: number;
    unchanged: number;
    kept: number;
    held: number;
  };
  result.inserted = counts.inserted;
  result.updated = counts.updated;
  result.unchanged = counts.unchanged;
  result.keptOptedOut = counts.kept;
  result.heldBack = counts.held;
  if (options.ids !== false) {
    for (const w of results[at.ids!]!.rows as { n: number; contact_id: string }[])
      result.ids.set(w.n, w.contact_id);
  }
  const touched = results[at.touched!]!.rows as { contact_id: string; ids: string[] }[];
  if (touched.length) {
    result.evicted = await enforceLimits(
      client,
      touched.map((t) => t.contact_id),
      touched.flatMap((t) => t.ids),
      ctx,
    );
  }
  return result;
}
