// Streams rows out of a CSV or JSON Lines file with their line numbers, never holding the file in memory.
// Problems that make the whole file unusable (missing, wrong encoding, unknown columns) throw
// ImportInputError before anything is written; a bad row only rejects that row.
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { IMPORT_COLUMNS } from '../columns';
import { CsvReader, CsvSyntaxError, MAX_RECORD_CHARS, type CsvRecord, type Delimiter } from './csv';
import { LineSplitter, type TextLine } from './lines';

export type ImportFormat = 'csv' | 'jsonl';

export class ImportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportInputError';
  }
}

export interface SourceRow {
  line: number;
  values: Record<string, unknown>;
  /** Set when the row cannot even be read (bad JSON, bytes that are not UTF-8). */
  unreadable?: string;
}

/** Every column an import file may carry: the contact's own, then the shorthands of one subscription. */
export const STANDARD_COLUMNS = [
  ...IMPORT_COLUMNS,
  'resource',
  'email_status',
  'sms_status',
  'priority',
  'categories',
] as const;

export function detectFormat(file: string, format?: string, label = file): ImportFormat {
  const f = (format ?? path.extname(label).slice(1)).toLowerCase();
  if (f === 'csv') return 'csv';
  if (f === 'jsonl' || f === 'ndjson' || f === 'json') return 'jsonl';
  // No extension at all (standard input, a file saved without one): the content tells.
  if (format === undefined && !path.extname(label)) return sniffFormat(file);
  throw new ImportInputError(
    format === undefined
      ? `cannot tell the format of ${label} from its extension; pass --format csv or --format jsonl`
      : `format "${format}" is not one the import reads; pass --format csv or --format jsonl`,
  );
}

/** A first character "{" means JSON Lines, anything else CSV. */
function sniffFormat(file: string): ImportFormat {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf
      .subarray(0, n)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('{')
      ? 'jsonl'
      : 'csv';
  } finally {
    closeSync(fd);
  }
}

/** Size in bytes; throws a clear error for a missing or unreadable file. */
export function fileSize(file: string, label = file): number {
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw new ImportInputError(
        `${label} is not a file; give the path of a .csv or .jsonl file (or - for standard input)`,
      );
    return st.size;
  } catch (err) {
    if (err instanceof ImportInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportInputError(
      code === 'ENOENT'
        ? `cannot read ${label}: there is no such file; check the path`
        : code === 'EACCES'
          ? `cannot read ${label}: permission denied; check its permissions`
          : `cannot read ${label}; check the path and its permissions`,
    );
  }
}

/** Looks at the first 64 KiB: UTF-16/32 byte-order marks and invalid UTF-8 make the file unusable. */
export async function checkEncoding(file: string, label = file): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      throw new ImportInputError(
        `${label} is UTF-16 encoded; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 "${label}" > contacts.utf8.csv) and import that`,
      );
    }
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    } catch {
      throw new ImportInputError(
        `${label} is not UTF-8 (it looks like Latin-1 / Windows-1252); convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8 "${label}" > contacts.utf8.csv`,
      );
    }
  } finally {
    await handle.close();
  }
}

const NOT_UTF8 = 'contains bytes that are not UTF-8; fix the encoding of this line';

/** UTF-8 text of the byte chunks. Never fails: a stray invalid byte becomes U+FFFD and rejects its row only. */
async function* decoded(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  for await (const chunk of chunks) yield decoder.decode(chunk, { stream: true });
  yield decoder.decode();
}

export async function* readRows(
  file: string,
  format: ImportFormat,
  onBytes: (n: number) => void,
  onHeader: (columns: string[]) => void,
  options: { delimiter?: Delimiter; label?: string } = {},
): AsyncGenerator<SourceRow> {
  const label = options.label ?? file;
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  raw.on('data', (chunk) => onBytes(chunk.length));
  if (format === 'jsonl') {
    let first = true;
    const rows = function* (lines: TextLine[]): Generator<SourceRow> {
      for (const { line, text } of lines) {
        if (text === undefined) {
          yield { line, values: {}, unreadable: `is longer than ${MAX_RECORD_CHARS} characters` };
          continue;
        }
        if (!text.trim()) continue;
        if (text.includes('\uFFFD')) {
          yield { line, values: {}, unreadable: NOT_UTF8 };
          continue;
        }
        try {
          const values: unknown = JSON.parse(text);
          if (!values || typeof values !== 'object' || Array.isArray(values)) {
            yield { line, values: {}, unreadable: 'is not a JSON object ({"email": ...} per line)' };
            continue;
          }
          if (first) onHeader(Object.keys(values).map((k) => k.toLowerCase()));
          first = false;
          yield { line, values: values as Record<string, unknown> };
        } catch (err) {
          yield { line, values: {}, unreadable: `is not valid JSON (${(err as Error).message})` };
        }
      }
    };
    const splitter = new LineSplitter();
    for await (const text of decoded(raw)) yield* rows(splitter.push(text));
    yield* rows(splitter.end());
    return;
  }
  const reader = new CsvReader(options.delimiter);
  let header: string[] | null = null;
  const rows = function* (records: CsvRecord[]): Generator<SourceRow> {
    for (const { line, fields } of records) {
      if (!header) {
        header = fields.map((c) => c.trim().toLowerCase());
        onHeader(header);
        continue;
      }
      if (fields.length !== header.length) {
        yield {
          line,
          values: {},
          unreadable: `has ${fields.length} fields but the header has ${header.length}; check quoting and separators (this file is read with "${reader.delimiter === '\t' ? 'tab' : reader.delimiter}" between fields)`,
        };
        continue;
      }
      const values: Record<string, string> = {};
      let unreadable: string | undefined;
      for (let i = 0; i < fields.length; i++) {
        const v = fields[i]!;
        if (v.includes('\uFFFD')) unreadable = NOT_UTF8;
        values[header[i]!] = v;
      }
      yield { line, values, unreadable };
    }
  };
  try {
    for await (const text of decoded(raw)) yield* rows(reader.push(text));
    yield* rows(reader.end());
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new ImportInputError(
      `${label} is not readable CSV near line ${err.line} (${err.message}); fix the quoting there and import again`,
    );
  }
  if (!header)
    throw new ImportInputError(`${label} is empty; a CSV import needs a header line naming the columns`);
}
