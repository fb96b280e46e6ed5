// Splits decoded text into lines (LF or CRLF) with their numbers, holding at most `max` characters of an
// unfinished line: a line longer than that is reported as too long and skipped, not kept in memory.
import { MAX_RECORD_CHARS } from './csv';

export interface TextLine {
  line: number;
  /** Absent when the line was too long to keep. */
  text?: string;
}

export class LineSplitter {
  private rest = '';
  private skipping = false;
  private line = 0;

  constructor(private readonly max = MAX_RECORD_CHARS) {}

  push(chunk: string): TextLine[] {
    const out: TextLine[] = [];
    const buf = this.rest ? this.rest + chunk : chunk;
    let p = 0;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n', p)) {
      this.line++;
      if (this.skipping) {
        this.skipping = false;
        out.push({ line: this.line });
      } else {
        out.push({ line: this.line, text: buf.slice(p, nl > p && buf[nl - 1] === '\r' ? nl - 1 : nl) });
      }
      p = nl + 1;
    }
    this.rest = buf.slice(p);
    if (this.rest.length > this.max || (this.skipping && this.rest)) {
      this.skipping = true;
      this.rest = '';
    }
    return out;
  }

  end(): TextLine[] {
    if (this.skipping) {
      this.skipping = false;
      return [{ line: ++this.line }];
    }
    if (!this.rest) return [];
    const text = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
    this.rest = '';
    return [{ line: ++this.line, text }];
  }
}
