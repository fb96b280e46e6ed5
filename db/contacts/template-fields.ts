// The contact fields a template may name ({{first_name}}, custom fields...): custom fields by name, never
// shadowing a standard field. A campaign's delivery group reads them for all its contacts in one query, never
// a query per contact; a single delivery reads one contact's the same way.
import type { Pool, PoolClient } from '../pool';

/** Every contact of `ids` that exists, by id; an erased contact is absent (its message is not rendered). */
export async function loadTemplateFieldsOf(
  db: Pool | PoolClient,
  ids: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (ids.length === 0) return out;
  const { rows } = await db.query<Record<string, unknown> & { id: string; custom: Record<string, unknown> }>(
    `SELECT id, first_name, last_name, email, phone, language, country, timezone,
       to_char(birthday, 'YYYY-MM-DD') AS birthday, gender, custom
     FROM contacts WHERE id = ANY($1::text[])`,
    [[...new Set(ids)]],
  );
  for (const row of rows) {
    const { custom, ...fields } = row;
    out.set(row.id, { ...custom, ...fields });
  }
  return out;
}

/** One contact's template fields; null when the contact does not exist (erased). */
export async function loadTemplateFields(
  db: Pool | PoolClient,
  id: string,
): Promise<Record<string, unknown> | null> {
  return (await loadTemplateFieldsOf(db, [id])).get(id) ?? null;
}
