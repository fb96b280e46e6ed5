// The contact fields a template may name ({{first_name}}, custom fields...), for a batch of contacts in one query:
// a campaign's delivery group renders all its messages after a single read, never a query per contact. The same
// fields, the same precedence (a standard column wins over a custom field of the same name) as
// loadTemplateFields in profile.ts, which a single delivery uses.
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
