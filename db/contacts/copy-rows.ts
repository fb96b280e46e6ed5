// Sends rows to PostgreSQL with COPY ... FROM STDIN (text format): for thousands of staged rows this is an
// order of magnitude cheaper than one big JSON parameter unpacked by jsonb_populate_recordset.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../pool';

const SPECIAL = /[\\\t\n\r]/;

/** One value in COPY text format: \N for null, objects as JSON, backslash escapes for the four specials. */
export function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number') return String(v);
  else if (typeof v === 'boolean') return v ? 't' : 'f';
  else s = JSON.stringify(v);
  if (!SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export async function copyRows(
  client: PoolClient,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  let body = '';
  for (const row of rows) {
    for (let j = 0; j < row.length; j++) body += j ? `\t${copyValue(row[j])}` : copyValue(row[j]);
    body += '\n';
  }
  await pipeline(
    Readable.from([body]),
    client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}
