// A strict RFC 4180 CSV reader that streams records with the line each starts on. Written for the import's
// hot path: a line without quotes is one indexOf and one split, and records come out a chunk at a time, not
// one promise each (csv-parse with line info cost more CPU than validating the rows).
// Rules: one separator for the file (comma, semicolon, tab or pipe: given, or guessed from the header line),
// double-quote quoting with "" as an escaped quote, fields may hold commas and line
// breaks when quoted, LF or CRLF line ends, a UTF-8 byte-order mark is dropped, blank lines are skipped.

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/** A record this long is a quote left open (or not CSV); stop before the rest of the file is in memory. */
export const MAX_RECORD_CHARS = 1 << 20;

/** Separators a file may use; the header line decides which (Excel writes ";" where "," is the decimal mark). */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/** The separator the header line uses most outside quotes; a comma when it names a single column. */
export function guessDelimiter(header: string): Delimiter {
  const unquoted = header.replace(/"[^"]*"/g, '');
  let best: Delimiter = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = unquoted.split(d).length - 1;
    if (n > most) {
      most = n;
      best = d;
    }
  }
  return best;
}

export class CsvReader {
  private buffer = '';
  private line = 1;
  private started = false;
  private sep = '';
  private sepCode = 0;

  /** Without a delimiter, the header line (the first record) decides. */
  constructor(delimiter?: Delimiter) {
    if (delimiter) this.use(delimiter);
  }

  get delimiter(): string {
    return this.sep;
  }

  private use(d: string): void {
    this.sep = d;
    this.sepCode = d.charCodeAt(0);
  }

  /** Records completed by this chunk; a record cut by the chunk's end waits for the next one. */
  push(chunk: string): CsvRecord[] {
    if (!this.started && chunk) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buffer = this.buffer ? this.buffer + chunk : chunk;
    return this.drain(false);
  }

  /** The last record (one without a final line break), or an error if a quote was left open. */
  end(): CsvRecord[] {
    return this.drain(true);
  }

  private drain(eof: boolean): CsvRecord[] {
    const records: CsvRecord[] = [];
    const buf = this.buffer;
    if (!this.sep) {
      const nl = buf.indexOf('\n');
      if (nl === -1 && !eof) return records;
      this.use(guessDelimiter(nl === -1 ? buf : buf.slice(0, nl)));
    }
    let p = 0;
    while (p < buf.length) {
      let nl = buf.indexOf('\n', p);
      if (nl === -1) {
        if (!eof) break;
        nl = buf.length;
      }
      const end = nl > p && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === p) {
        this.line++; // blank line
        p = nl + 1;
        continue;
      }
      const text = buf.slice(p, end);
      if (text.indexOf('"') === -1) {
        records.push({ line: this.line, fields: text.split(this.sep) });
        this.line++;
        p = nl + 1;
        continue;
      }
      const quoted = this.quotedRecord(buf, p, eof);
      if (!quoted) break; // a quoted field goes on in the next chunk
      records.push(quoted.record);
      p = quoted.next;
    }
    this.buffer = p >= buf.length ? '' : buf.slice(p);
    if (this.buffer.length > MAX_RECORD_CHARS) {
      throw new CsvSyntaxError(
        this.line,
        `the record starting on line ${this.line} runs on for more than ${MAX_RECORD_CHARS} characters; ` +
          'look for a quote that is never closed',
      );
    }
    return records;
  }

  /** Parses a record that has quotes; null when the buffer ends before the record does. */
  private quotedRecord(buf: string, start: number, eof: boolean): { record: CsvRecord; next: number } | null {
    const sep = this.sepCode;
    const fields: string[] = [];
    let lines = 0;
    let p = start;
    for (;;) {
      let value: string;
      if (buf.charCodeAt(p) === 34) {
        value = '';
        let from = p + 1;
        for (;;) {
          const q = buf.indexOf('"', from);
          if (q === -1 || (q === buf.length - 1 && !eof)) {
            if (!eof) return null;
            throw new CsvSyntaxError(
              this.line,
              `a quoted field opened on line ${this.line} is never closed; add the closing quote`,
            );
          }
          value += buf.slice(from, q);
          if (buf.charCodeAt(q + 1) === 34) {
            value += '"';
            from = q + 2;
            continue;
          }
          p = q + 1;
          break;
        }
        for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) lines++;
        const c = buf.charCodeAt(p);
        const atEnd = p >= buf.length || c === sep || c === 10 || (c === 13 && buf.charCodeAt(p + 1) === 10);
        if (!atEnd) {
          throw new CsvSyntaxError(
            this.line + lines,
            `text after the closing quote of field ${fields.length + 1} on line ${this.line + lines}; ` +
              'quote the whole field and write a quote inside it as ""',
          );
        }
      } else {
        let q = p;
        while (q < buf.length) {
          const c = buf.charCodeAt(q);
          if (c === sep || c === 10 || (c === 13 && buf.charCodeAt(q + 1) === 10)) break;
          if (c === 34) {
            throw new CsvSyntaxError(
              this.line + lines,
              `a quote inside unquoted field ${fields.length + 1} on line ${this.line + lines}; ` +
                'quote the whole field and write a quote inside it as ""',
            );
          }
          q++;
        }
        if (q >= buf.length && !eof) return null;
        value = buf.slice(p, q);
        p = q;
      }
      fields.push(value);
      const c = buf.charCodeAt(p);
      if (c === sep) {
        p++;
        continue;
      }
      if (c === 13) p++;
      if (p >= buf.length && !eof) return null;
      const record = { line: this.line, fields };
      this.line += 1 + lines;
      return { record, next: p + 1 };
    }
  }
}
