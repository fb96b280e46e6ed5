// Notes on a contact (SmartSender): at most 5, 500 characters each; deleting one cannot be undone.
import type { Pool } from '../pool';
import { ContactFieldError, NotesLimitError } from './errors';
import { inTransaction, lockContact, resolveContactKey } from './tx';
import { ContactNotFoundError } from './errors';

export const MAX_NOTES = 5;
export const MAX_NOTE_LENGTH = 500;

export interface Note {
  id: string;
  body: string;
  author: string;
  created_at: Date;
}

export async function addNote(pool: Pool, key: string, body: string, author = 'admin'): Promise<Note> {
  const text = body.trim();
  if (!text) throw new ContactFieldError('note', 'is empty');
  if ([...text].length > MAX_NOTE_LENGTH) {
    throw new ContactFieldError(
      'note',
      `is ${[...text].length} characters; the maximum is ${MAX_NOTE_LENGTH}`,
    );
  }
  return inTransaction(pool, async (client) => {
    const c = await lockContact(client, key);
    const { rows: count } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contact_notes WHERE contact_id = $1',
      [c.id],
    );
    if ((count[0]?.n ?? 0) >= MAX_NOTES) throw new NotesLimitError(c.id);
    const { rows } = await client.query<Note>(
      'INSERT INTO contact_notes (contact_id, body, author) VALUES ($1, $2, $3) RETURNING id::text, body, author, created_at',
      [c.id, text, author],
    );
    return rows[0]!;
  });
}

export async function listNotes(pool: Pool, key: string): Promise<Note[]> {
  const id = await resolveContactKey(pool, key);
  if (!id) throw new ContactNotFoundError(key);
  const { rows } = await pool.query<Note>(
    'SELECT id::text, body, author, created_at FROM contact_notes WHERE contact_id = $1 ORDER BY created_at, id',
    [id],
  );
  return rows;
}

export async function deleteNote(pool: Pool, key: string, noteId: string): Promise<boolean> {
  const id = await resolveContactKey(pool, key);
  if (!id) throw new ContactNotFoundError(key);
  const { rowCount } = await pool.query('DELETE FROM contact_notes WHERE contact_id = $1 AND id::text = $2', [
    id,
    noteId,
  ]);
  return (rowCount ?? 0) > 0;
}
