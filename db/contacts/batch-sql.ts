// The statements that write one staged batch (cf_stage, cf_stage_subs) into contacts, subscriptions and the
// ledger. They go to the server as ONE multi-statement query: the database then runs the whole batch without
// waiting for this process between statements (the importer is busy parsing the next batch meanwhile).
// The simple query protocol has no bind parameters, so the few values are inlined with escapeLiteral.

/** Statuses an import never turns back into subscribed: only the person can (form + double opt-in). */
const OPTED_OUT = `('unsubscribed', 'complainer', 'hard_bounced')`;

export interface BatchLiterals {
  /** Each already quoted by escapeLiteral. */
  origin: string;
  defaultStatus: string;
  at: string;
  source: string;
}

export type ResultName = 'rejected' | 'counts' | 'touched' | 'ids';

export interface BatchSql {
  sql: string;
  /** Result position of each statement whose rows the writer reads. */
  at: Partial<Record<ResultName, number>>;
}

/**
 * The statements of one batch. The first two switch the planner to index probes: a batch looks up a few
 * thousand keys in tables that grow to millions of rows, and with hash joins every batch read the whole of
 * contacts and subscriptions (110 ms per 5,000-row batch at 90k contacts, and growing with the table). The
 * last two switch them back; a failed batch's SET LOCAL ends with its transaction or savepoint.
 */
export function batchSql(l: BatchLiterals, limit: number, withIds: boolean): BatchSql {
  const settle = (s: string, before: string) => `CASE
      WHEN ${before} IS NULL THEN coalesce(${s}.status, ${l.defaultStatus})
      WHEN ${s}.status IS NULL THEN ${before}
      WHEN ${l.origin} = 'import' AND ${s}.status = 'subscribed' AND ${before} IN ${OPTED_OUT} THEN ${before}
      WHEN ${l.origin} = 'form' AND ${before} = 'subscribed' THEN ${before}
      ELSE ${s}.status END`;
  const statements: Statement[] = [
    `SET LOCAL enable_hashjoin = off`,
    `SET LOCAL enable_mergejoin = off`,
    // Identity: id, email and phone must all point at the same contact (or at none). A row that matches
    //    no contact is new and settled here.
    `WITH m AS (
      SELECT s.n, bi.id AS by_id, be.id AS by_email, bp.id AS by_phone
      FROM cf_stage s
      LEFT JOIN contacts bi ON bi.id = s.id
      LEFT JOIN contacts be ON be.email = s.email
      LEFT JOIN contacts bp ON bp.phone = s.phone)
    UPDATE cf_stage s SET
      contact_id = coalesce(m.by_id, m.by_email, m.by_phone, s.id, gen_random_uuid()::text),
      is_new = m.by_id IS NULL AND m.by_email IS NULL AND m.by_phone IS NULL,
      final_status = CASE WHEN m.by_id IS NULL AND m.by_email IS NULL AND m.by_phone IS NULL
        THEN coalesce(s.status, ${l.defaultStatus}) END,
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
    FROM m WHERE m.n = s.n`,
    // Lock existing contacts in a fixed order (no deadlocks between batches)...
    `SELECT count(*) FROM (
       SELECT c.id FROM contacts c
       WHERE c.id IN (SELECT contact_id FROM cf_stage WHERE NOT is_new AND problem IS NULL)
       ORDER BY c.id FOR UPDATE OF c) locked`,
    // ...then settle them from the state the lock protects (one that vanished meanwhile is new again).
    `UPDATE cf_stage s SET is_new = c.id IS NULL, before_status = c.status, before_active = c.active,
       contact_id = coalesce(c.id, s.id, gen_random_uuid()::text),
       final_status = ${settle('s', 'c.status')},
       kept = ${l.origin} = 'import' AND s.status = 'subscribed' AND c.status IN ${OPTED_OUT}
     FROM cf_stage s2 LEFT JOIN contacts c ON c.id = s2.contact_id
     WHERE s2.n = s.n AND s.problem IS NULL AND NOT s.is_new`,
    // Every subscription of the batch with the state it replaces and the status it will get.
    `INSERT INTO cf_stage_subs (n, line, contact_id, is_new, channel, resource, address, status, priority,
       categories, custom, sub_id, sub_id_was, before_status, before_priority, before_categories, before_deleted,
       held, new_priority, new_status, before_custom, kept)
     SELECT n, line, contact_id, is_new, channel, resource, address, status, priority, categories, custom,
       -- New subscriptions take their id from the sequence here, so the INSERT needs no RETURNING join.
       CASE WHEN x_id IS NULL AND address IS NOT NULL THEN nextval('subscriptions_id_seq') ELSE x_id END,
       x_id, x_status, x_priority, x_categories, x_deleted, held,
       coalesce(priority, CASE WHEN x_deleted THEN NULL ELSE x_priority END, 0),
       CASE WHEN held THEN 'non_subscribed'
         ELSE ${settle('q', 'CASE WHEN x_deleted THEN NULL ELSE x_status END')} END,
       x_custom,
       ${l.origin} = 'import' AND status = 'subscribed' AND NOT x_deleted AND x_status IN ${OPTED_OUT}
     FROM (
       SELECT b.*, x.id AS x_id, x.status AS x_status, x.priority AS x_priority, x.categories AS x_categories,
         x.custom AS x_custom,
         x.deleted_at IS NOT NULL AS x_deleted,
         (x.id IS NULL OR x.deleted_at IS NOT NULL) AND ${l.origin} <> 'form'
           AND coalesce(b.status, ${l.defaultStatus}) = 'subscribed'
           AND EXISTS (SELECT 1 FROM erased_addresses ea
                       WHERE ea.channel = b.channel AND ea.address_hash = cf_address_hash(b.address)) AS held
       FROM (
         SELECT s.n, s.line, s.contact_id, s.is_new, e.channel, e.resource,
           coalesce(e.address, CASE e.channel WHEN 'email' THEN coalesce(s.email, c.email)
                                              ELSE coalesce(s.phone, c.phone) END) AS address,
           e.status, e.priority, e.categories, e.custom
         FROM cf_stage s
         CROSS JOIN LATERAL jsonb_to_recordset(s.subs) AS e(channel text, resource text, address text,
           status text, priority int, categories jsonb, custom jsonb)
         -- A new contact has nothing stored to look up; OFFSET 0 keeps "NOT is_new" a per-row gate that
         -- skips the index probe instead of a filter applied after it.
         LEFT JOIN LATERAL (SELECT c.email, c.phone FROM contacts c
                            WHERE NOT s.is_new AND c.id = s.contact_id OFFSET 0) c ON true
         WHERE s.problem IS NULL) b
       LEFT JOIN LATERAL (SELECT * FROM subscriptions x
                          WHERE NOT b.is_new AND x.contact_id = b.contact_id AND x.resource = b.resource
                            AND x.channel = b.channel AND x.address = b.address OFFSET 0) x ON true) q`,
    // A subscription needs an address: the contact's email or phone when the row gives none.
    `UPDATE cf_stage s SET problem_field = ss.channel,
       problem = 'the contact has no ' || CASE ss.channel WHEN 'email' THEN 'email address' ELSE 'phone number' END
         || ' to subscribe; give the address'
     FROM cf_stage_subs ss WHERE ss.n = s.n AND ss.address IS NULL AND s.problem IS NULL`,
    // Rows with a problem are not written at all...
    `DELETE FROM cf_stage_subs ss
     WHERE EXISTS (SELECT 1 FROM cf_stage WHERE problem IS NOT NULL)
       AND ss.n IN (SELECT n FROM cf_stage WHERE problem IS NOT NULL)`,
    // ...and are reported.
    {
      reads: 'rejected',
      sql: `DELETE FROM cf_stage WHERE problem IS NOT NULL
       RETURNING n, line, problem_field AS field, problem AS reason`,
    },
    // An existing contact that already is exactly as its row says (re-importing the same file) is counted
    //    as unchanged and not rewritten.
    `UPDATE cf_stage s SET unchanged = true FROM contacts c
     WHERE c.id = s.contact_id AND NOT s.is_new
       AND c.email IS NOT DISTINCT FROM coalesce(s.email, c.email)
       AND c.phone IS NOT DISTINCT FROM coalesce(s.phone, c.phone)
       AND c.first_name IS NOT DISTINCT FROM coalesce(s.first_name, c.first_name)
       AND c.last_name IS NOT DISTINCT FROM coalesce(s.last_name, c.last_name)
       AND c.gender IS NOT DISTINCT FROM coalesce(s.gender, c.gender)
       AND c.language IS NOT DISTINCT FROM coalesce(s.language, c.language)
       AND c.country IS NOT DISTINCT FROM coalesce(s.country, c.country)
       AND c.timezone IS NOT DISTINCT FROM coalesce(s.timezone, c.timezone)
       AND c.subdivision IS NOT DISTINCT FROM coalesce(s.subdivision, c.subdivision)
       AND c.birthday IS NOT DISTINCT FROM coalesce(s.birthday, c.birthday)
       AND c.source IS NOT DISTINCT FROM coalesce(s.source, c.source)
       AND c.implied_consent_basis IS NOT DISTINCT FROM coalesce(s.implied_consent_basis, c.implied_consent_basis)
       AND c.implied_consent_at IS NOT DISTINCT FROM coalesce(s.implied_consent_at, c.implied_consent_at)
       AND c.status = s.final_status AND c.active = coalesce(s.active, c.active)
       AND c.custom = jsonb_strip_nulls(c.custom || coalesce(s.custom, '{}'))
       AND NOT EXISTS (SELECT 1 FROM cf_stage_subs ss WHERE ss.n = s.n AND (
         ss.sub_id_was IS NULL OR ss.before_deleted OR ss.before_status IS DISTINCT FROM ss.new_status
         OR ss.before_priority IS DISTINCT FROM ss.new_priority
         OR ss.before_categories || coalesce(ss.categories, '{}') <> ss.before_categories
         OR jsonb_strip_nulls(ss.before_custom || coalesce(ss.custom, '{}')) <> ss.before_custom))`,
    // Contacts.
    `INSERT INTO contacts (id, email, phone, first_name, last_name, gender, language, country, subdivision, timezone,
       birthday, source, implied_consent_basis, implied_consent_at, status, active, custom)
     SELECT contact_id, email, phone, first_name, last_name, gender, language, country, subdivision, timezone,
       birthday, source, implied_consent_basis, implied_consent_at, final_status, coalesce(active, true),
       jsonb_strip_nulls(coalesce(custom, '{}'))
     FROM cf_stage WHERE is_new ORDER BY n`,
    `UPDATE contacts c SET
       email = coalesce(s.email, c.email), phone = coalesce(s.phone, c.phone),
       first_name = coalesce(s.first_name, c.first_name), last_name = coalesce(s.last_name, c.last_name),
       gender = coalesce(s.gender, c.gender), language = coalesce(s.language, c.language),
       country = coalesce(s.country, c.country), timezone = coalesce(s.timezone, c.timezone),
       subdivision = coalesce(s.subdivision, c.subdivision),
       birthday = coalesce(s.birthday, c.birthday), source = coalesce(s.source, c.source),
       implied_consent_basis = coalesce(s.implied_consent_basis, c.implied_consent_basis),
       implied_consent_at = coalesce(s.implied_consent_at, c.implied_consent_at),
       status = s.final_status, active = coalesce(s.active, c.active),
       custom = jsonb_strip_nulls(c.custom || coalesce(s.custom, '{}')), updated_at = now()
     FROM cf_stage s WHERE c.id = s.contact_id AND NOT s.is_new AND s.unchanged IS NULL`,
    // Subscriptions: changed ones, then new ones.
    `UPDATE subscriptions x SET status = ss.new_status, priority = ss.new_priority,
       categories = CASE WHEN ss.before_deleted THEN coalesce(ss.categories, '{}')
                         ELSE x.categories || coalesce(ss.categories, '{}') END,
       custom = jsonb_strip_nulls(CASE WHEN ss.before_deleted THEN '{}' ELSE x.custom END
                                  || coalesce(ss.custom, '{}')),
       created_at = CASE WHEN ss.before_deleted THEN clock_timestamp() ELSE x.created_at END,
       deleted_at = NULL, updated_at = now()
     FROM cf_stage_subs ss WHERE x.id = ss.sub_id_was
       AND NOT EXISTS (SELECT 1 FROM cf_stage s WHERE s.n = ss.n AND s.unchanged)`,
    `INSERT INTO subscriptions (id, contact_id, resource, channel, address, status, priority, categories, custom)
     SELECT sub_id, contact_id, resource, channel, address, new_status, new_priority, coalesce(categories, '{}'),
       jsonb_strip_nulls(coalesce(custom, '{}'))
     FROM cf_stage_subs WHERE sub_id_was IS NULL ORDER BY n`,
    // The ledger.
    ledgerStatement(l),
    // What happened.
    {
      reads: 'counts',
      sql: `SELECT count(*) FILTER (WHERE is_new)::int AS inserted,
         count(*) FILTER (WHERE NOT is_new AND unchanged IS NULL)::int AS updated,
         count(*) FILTER (WHERE unchanged)::int AS unchanged,
         (SELECT count(*) FROM (SELECT n FROM cf_stage WHERE kept
                                UNION SELECT n FROM cf_stage_subs WHERE kept) k)::int AS kept,
         (SELECT count(*) FROM cf_stage_subs WHERE held)::int AS held
       FROM cf_stage`,
    },
    // Only a contact that existed, or got more new subscriptions than a limit allows, can be over a limit.
    {
      reads: 'touched',
      sql: `SELECT min(contact_id) AS contact_id, array_agg(sub_id)::text[] AS ids
     FROM cf_stage_subs GROUP BY n
     HAVING NOT bool_and(is_new) OR count(*) > ${limit}`,
    },
  ];
  if (withIds) statements.push({ reads: 'ids', sql: `SELECT n, contact_id FROM cf_stage ORDER BY n` });
  statements.push(`SET LOCAL enable_hashjoin = on`, `SET LOCAL enable_mergejoin = on`);
  const at: BatchSql['at'] = {};
  statements.forEach((st, i) => {
    if (typeof st !== 'string') at[st.reads] = i;
  });
  return { sql: statements.map((st) => (typeof st === 'string' ? st : st.sql)).join(';\n'), at };
}

/** A statement, or one whose result rows the writer reads back by name. */
type Statement = string | { reads: ResultName; sql: string };

function ledgerStatement(l: BatchLiterals): string {
  return `INSERT INTO consent_ledger (at, contact_id, kind, channel, resource, category, address, before, after,
       origin, source)
     SELECT ${l.at}, contact_id, kind, channel, resource, category, address, before, after, ${l.origin},
       ${l.source}::jsonb || CASE WHEN line IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('line', line) END
         || extra
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
     ) e ORDER BY n, o`;
}
