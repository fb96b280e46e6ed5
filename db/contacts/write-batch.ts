// The one write path for contacts and their subscriptions: a batch of staged contacts is resolved against
// existing ones, locked, written set-based and recorded in the ledger inside the caller's transaction. The
// importer sends thousands of rows per call, upsertContact and subscribe send one, so both behave the same.
import type { PoolClient } from '../pool';
import { contextAt } from './ledger';
import { enforceLimits } from './limits';
import type { ConsentContext, RowRejection, StagedContact } from './types';

export interface BatchResult {
  /** Staged row number -> contact id, for the rows that were written. */
  ids: Map<number, string>;
  inserted: number;
  updated: number;
  rejected: RowRejection[];
  /** New subscriptions of an address erased earlier, kept at non_subscribed instead of subscribed. */
  heldBack: number;
  evicted: number;
}

const STAGE_DDL = `
CREATE TEMP TABLE IF NOT EXISTS cf_stage (
  n int PRIMARY KEY, line int, id text, email text, phone text, first_name text, last_name text,
  gender smallint, language text, country text, timezone text, birthday date, source text, status text,
  active boolean, custom jsonb, subs jsonb,
  contact_id text, is_new boolean, before_status text, before_active boolean, final_status text,
  problem_field text, problem text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS cf_stage_subs (
  n int, line int, contact_id text, channel text, resource text, address text, status text, priority int,
  categories jsonb, custom jsonb, sub_id bigint, sub_id_was bigint, before_status text, before_priority int,
  before_categories jsonb, before_deleted boolean, new_status text, new_priority int, held boolean
) ON COMMIT DELETE ROWS;`;

/** Statuses an import never turns back into subscribed: only the person can (form + double opt-in). */
const OPTED_OUT = `('unsubscribed', 'complainer', 'hard_bounced')`;

export async function writeContactBatch(
  client: PoolClient,
  rows: StagedContact[],
  ctx: ConsentContext,
): Promise<BatchResult> {
  const result: BatchResult = {
    ids: new Map(),
    inserted: 0,
    updated: 0,
    rejected: [],
    heldBack: 0,
    evicted: 0,
  };
  if (rows.length === 0) return result;
  // Every time: a rolled-back first batch takes the CREATE with it.
  await client.query(STAGE_DDL);
  await client.query('TRUNCATE cf_stage, cf_stage_subs');
  await client.query(
    `INSERT INTO cf_stage SELECT * FROM jsonb_populate_recordset(NULL::cf_stage, $1::jsonb)`,
    [JSON.stringify(rows)],
  );
  const origin = ctx.origin;
  const defaultStatus = origin === 'form' ? 'unconfirmed' : 'subscribed';

  // Identity: id, email and phone must all point at the same contact (or at none).
  await client.query(`
    WITH m AS (
      SELECT s.n, bi.id AS by_id, be.id AS by_email, bp.id AS by_phone
      FROM cf_stage s
      LEFT JOIN contacts bi ON bi.id = s.id
      LEFT JOIN contacts be ON be.email = s.email
      LEFT JOIN contacts bp ON bp.phone = s.phone)
    UPDATE cf_stage s SET
      contact_id = coalesce(m.by_id, m.by_email, m.by_phone),
      problem_field = CASE
        WHEN m.by_email IS NOT NULL AND m.by_email <> coalesce(s.id, m.by_id, m.by_email) THEN 'email'
        WHEN m.by_phone IS NOT NULL AND m.by_phone <> coalesce(s.id, m.by_id, m.by_email, m.by_phone) THEN 'phone' END,
      problem = CASE
        WHEN m.by_email IS NOT NULL AND m.by_email <> coalesce(s.id, m.by_id, m.by_email)
          THEN 'already belongs to contact ' || m.by_email || ', not ' || coalesce(s.id, m.by_id)
            || ' (one contact per address: fix the row or erase/merge the other contact)'
        WHEN m.by_phone IS NOT NULL AND m.by_phone <> coalesce(s.id, m.by_id, m.by_email, m.by_phone)
          THEN 'already belongs to contact ' || m.by_phone || ', not ' || coalesce(s.id, m.by_id, m.by_email)
            || ' (one contact per phone: fix the row or erase/merge the other contact)' END
    FROM m WHERE m.n = s.n`);

  // Lock existing contacts in a fixed order (no deadlocks between batches), then read their state.
  await client.query(`
    SELECT c.id FROM contacts c JOIN cf_stage s ON s.contact_id = c.id AND s.problem IS NULL
    ORDER BY c.id FOR UPDATE OF c`);
  await client.query(`
    UPDATE cf_stage s SET is_new = c.id IS NULL, before_status = c.status, before_active = c.active,
      contact_id = coalesce(c.id, s.id, gen_random_uuid()::text)
    FROM cf_stage s2 LEFT JOIN contacts c ON c.id = s2.contact_id
    WHERE s2.n = s.n AND s.problem IS NULL`);

  await client.query(`
    INSERT INTO cf_stage_subs (n, line, contact_id, channel, resource, address, status, priority, categories, custom)
    SELECT s.n, s.line, s.contact_id, e.channel, e.resource,
      coalesce(e.address, CASE e.channel WHEN 'email' THEN coalesce(s.email, c.email) ELSE coalesce(s.phone, c.phone) END),
      e.status, e.priority, e.categories, e.custom
    FROM cf_stage s
    CROSS JOIN LATERAL jsonb_to_recordset(s.subs) AS e(channel text, resource text, address text, status text,
      priority int, categories jsonb, custom jsonb)
    LEFT JOIN contacts c ON c.id = s.contact_id
    WHERE s.problem IS NULL`);
  await client.query(`
    UPDATE cf_stage s SET problem_field = ss.channel,
      problem = 'the contact has no ' || CASE ss.channel WHEN 'email' THEN 'email address' ELSE 'phone number' END
        || ' to subscribe; give the address'
    FROM cf_stage_subs ss WHERE ss.n = s.n AND ss.address IS NULL AND s.problem IS NULL`);
  const { rows: bad } = await client.query<{ line: number | null; field: string; reason: string }>(`
    WITH d AS (DELETE FROM cf_stage WHERE problem IS NOT NULL RETURNING n, line, problem_field, problem)
    SELECT line, problem_field AS field, problem AS reason FROM d ORDER BY n`);
  result.rejected = bad;
  if (bad.length)
    await client.query(
      `DELETE FROM cf_stage_subs ss WHERE NOT EXISTS (SELECT 1 FROM cf_stage s WHERE s.n = ss.n)`,
    );

  await client.query(
    `UPDATE cf_stage SET final_status = CASE
       WHEN is_new THEN coalesce(status, $1)
       WHEN status IS NULL THEN before_status
       WHEN $2 = 'import' AND status = 'subscribed' AND before_status IN ${OPTED_OUT} THEN before_status
       WHEN $2 = 'form' AND before_status = 'subscribed' THEN before_status
       ELSE status END`,
    [defaultStatus, origin],
  );
  await client.query(`
    INSERT INTO contacts (id, email, phone, first_name, last_name, gender, language, country, timezone, birthday,
      source, status, active, custom)
    SELECT contact_id, email, phone, first_name, last_name, gender, language, country, timezone, birthday,
      source, final_status, coalesce(active, true), jsonb_strip_nulls(coalesce(custom, '{}'))
    FROM cf_stage WHERE is_new ORDER BY n`);
  await client.query(`
    UPDATE contacts c SET
      email = coalesce(s.email, c.email), phone = coalesce(s.phone, c.phone),
      first_name = coalesce(s.first_name, c.first_name), last_name = coalesce(s.last_name, c.last_name),
      gender = coalesce(s.gender, c.gender), language = coalesce(s.language, c.language),
      country = coalesce(s.country, c.country), timezone = coalesce(s.timezone, c.timezone),
      birthday = coalesce(s.birthday, c.birthday), source = coalesce(s.source, c.source),
      status = s.final_status, active = coalesce(s.active, c.active),
      custom = jsonb_strip_nulls(c.custom || coalesce(s.custom, '{}')), updated_at = now()
    FROM cf_stage s WHERE c.id = s.contact_id AND NOT s.is_new`);

  await writeSubscriptions(client, origin, defaultStatus);
  await writeLedger(client, ctx);

  const { rows: written } = await client.query<{
    n: number;
    contact_id: string;
    is_new: boolean;
    held: number;
  }>(`
    SELECT s.n, s.contact_id, s.is_new, coalesce(h.held, 0) AS held
    FROM cf_stage s
    LEFT JOIN (SELECT n, count(*)::int AS held FROM cf_stage_subs WHERE held GROUP BY n) h ON h.n = s.n
    ORDER BY s.n`);
  for (const w of written) {
    result.ids.set(w.n, w.contact_id);
    if (w.is_new) result.inserted++;
    else result.updated++;
    result.heldBack += w.held;
  }
  const { rows: touched } = await client.query<{ contact_id: string; ids: string[] }>(
    `SELECT contact_id, array_agg(sub_id)::text[] AS ids FROM cf_stage_subs GROUP BY contact_id`,
  );
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

async function writeSubscriptions(client: PoolClient, origin: string, defaultStatus: string): Promise<void> {
  await client.query(`
    UPDATE cf_stage_subs ss SET sub_id = x.id, sub_id_was = x.id, before_status = x.status, before_priority = x.priority,
      before_categories = x.categories, before_deleted = x.deleted_at IS NOT NULL
    FROM subscriptions x
    WHERE x.contact_id = ss.contact_id AND x.resource = ss.resource AND x.channel = ss.channel AND x.address = ss.address`);
  await client.query(
    `UPDATE cf_stage_subs ss SET
       held = (sub_id IS NULL OR before_deleted) AND $1 <> 'form' AND coalesce(status, $2) = 'subscribed'
         AND EXISTS (SELECT 1 FROM erased_addresses ea
                     WHERE ea.channel = ss.channel AND ea.address_hash = cf_address_hash(ss.address)),
       new_priority = coalesce(priority, CASE WHEN before_deleted THEN NULL ELSE before_priority END, 0)`,
    [origin, defaultStatus],
  );
  await client.query(
    `UPDATE cf_stage_subs SET new_status = CASE
       WHEN held THEN 'non_subscribed'
       WHEN sub_id IS NULL OR before_deleted THEN coalesce(status, $2)
       WHEN status IS NULL THEN before_status
       WHEN $1 = 'import' AND status = 'subscribed' AND before_status IN ${OPTED_OUT} THEN before_status
       WHEN $1 = 'form' AND before_status = 'subscribed' THEN before_status
       ELSE status END`,
    [origin, defaultStatus],
  );
  await client.query(`
    UPDATE subscriptions x SET status = ss.new_status, priority = ss.new_priority,
      categories = CASE WHEN ss.before_deleted THEN coalesce(ss.categories, '{}') ELSE x.categories || coalesce(ss.categories, '{}') END,
      custom = jsonb_strip_nulls(CASE WHEN ss.before_deleted THEN '{}' ELSE x.custom END || coalesce(ss.custom, '{}')),
      created_at = CASE WHEN ss.before_deleted THEN clock_timestamp() ELSE x.created_at END,
      deleted_at = NULL, updated_at = now()
    FROM cf_stage_subs ss WHERE x.id = ss.sub_id`);
  await client.query(`
    WITH ins AS (
      INSERT INTO subscriptions (contact_id, resource, channel, address, status, priority, categories, custom)
      SELECT contact_id, resource, channel, address, new_status, new_priority, coalesce(categories, '{}'),
        jsonb_strip_nulls(coalesce(custom, '{}'))
      FROM cf_stage_subs WHERE sub_id IS NULL ORDER BY n
      RETURNING id, contact_id, resource, channel, address)
    UPDATE cf_stage_subs ss SET sub_id = ins.id FROM ins
    WHERE ss.sub_id IS NULL AND ins.contact_id = ss.contact_id AND ins.resource = ss.resource
      AND ins.channel = ss.channel AND ins.address = ss.address`);
}

async function writeLedger(client: PoolClient, ctx: ConsentContext): Promise<void> {
  await client.query(
    `INSERT INTO consent_ledger (at, contact_id, kind, channel, resource, category, address, before, after, origin, source)
     SELECT $1, contact_id, kind, channel, resource, category, address, before, after, $2,
       $3::jsonb || CASE WHEN line IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('line', line) END || extra
     FROM (
       SELECT n, 0 AS o, line, contact_id, 'created' AS kind, NULL AS channel, NULL AS resource, NULL AS category,
         NULL AS address, NULL::jsonb AS before,
         jsonb_build_object('status', final_status, 'active', coalesce(active, true)) AS after, '{}'::jsonb AS extra
       FROM cf_stage WHERE is_new
       UNION ALL
       SELECT n, 1, line, contact_id, 'status', NULL, NULL, NULL, NULL, jsonb_build_object('status', before_status),
         jsonb_build_object('status', final_status), '{}'
       FROM cf_stage WHERE NOT is_new AND final_status <> before_status
       UNION ALL
       SELECT n, 2, line, contact_id, 'activity', NULL, NULL, NULL, NULL, jsonb_build_object('active', before_active),
         jsonb_build_object('active', active), '{}'
       FROM cf_stage WHERE NOT is_new AND active IS NOT NULL AND active <> before_active
       UNION ALL
       SELECT n, 3, line, contact_id, 'subscription', channel, resource, NULL, address,
         CASE WHEN sub_id_was IS NULL OR before_deleted THEN NULL
           ELSE jsonb_build_object('status', before_status, 'priority', before_priority) END,
         -- A new subscription's categories are part of its one ledger row.
         jsonb_build_object('status', new_status, 'priority', new_priority) ||
           CASE WHEN (sub_id_was IS NULL OR before_deleted) AND categories IS NOT NULL AND categories <> '{}'
             THEN jsonb_build_object('categories', categories) ELSE '{}'::jsonb END,
         CASE WHEN held THEN jsonb_build_object('held_back', 'address was erased before; needs a fresh opt-in')
           ELSE '{}'::jsonb END
       FROM cf_stage_subs
       WHERE before_status IS NULL OR before_deleted OR before_status <> new_status OR before_priority <> new_priority
       UNION ALL
       SELECT ss.n, 4, ss.line, ss.contact_id, 'category', ss.channel, ss.resource, cat.key, ss.address,
         CASE WHEN NOT coalesce(ss.before_categories ? cat.key, false) THEN NULL
           ELSE jsonb_build_object('status', ss.before_categories -> cat.key) END,
         jsonb_build_object('status', cat.value), '{}'
       FROM cf_stage_subs ss CROSS JOIN LATERAL jsonb_each(coalesce(ss.categories, '{}')) AS cat
       WHERE ss.sub_id_was IS NOT NULL AND NOT ss.before_deleted
         AND (ss.before_categories -> cat.key) IS DISTINCT FROM cat.value
     ) e ORDER BY n, o`,
    [contextAt(ctx), ctx.origin, JSON.stringify(ctx.source ?? {})],
  );
}
