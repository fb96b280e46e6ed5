// `consentflow decide` between bytes and the batch answerer: splits stdin into lines by bytes, so a line's
// length is known before it is decoded, a line over the limit is skipped without being held in memory, and a
// line that is not UTF-8 is named instead of read with replacement characters. Time is linear in the input.
import { isUtf8 } from 'node:buffer';
import { MAX_LINE_BYTES, decideBatch, type BatchOptions, type UnreadLine } from '../../rules/decide-lines';

const LF = 0x0a;
const CR = 0x0d;
const count = (n: number) => n.toLocaleString('en-US');

/** Lines of a byte stream (LF or CRLF), each decoded on its own; a UTF-8 byte-order mark on line 1 is dropped. */
export class ByteLines {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private line = 0;

  constructor(private readonly max = MAX_LINE_BYTES) {}

  push(chunk: Buffer): Array<string | UnreadLine> {
    const out: Array<string | UnreadLine> = [];
    let p = 0;
    for (let nl = chunk.indexOf(LF, p); nl !== -1; nl = chunk.indexOf(LF, p)) {
      this.take(chunk.subarray(p, nl));
      out.push(this.finish());
      p = nl + 1;
    }
    this.take(chunk.subarray(p));
    return out;
  }

  end(): Array<string | UnreadLine> {
    return this.size > 0 || this.skipping ? [this.finish()] : [];
  }

  private take(piece: Buffer) {
    if (this.skipping || piece.length === 0) return;
    // One byte of slack for the CR of a CRLF line end, which is not part of the line.
    if (this.size + piece.length > this.max + 1) {
      this.skipping = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private finish(): string | UnreadLine {
    const line = ++this.line;
    const skipped = this.skipping;
    let bytes = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    if (bytes.at(-1) === CR) bytes = bytes.subarray(0, -1);
    if (skipped || bytes.length > this.max) {
      return {
        line,
        error: `Line ${line} is longer than ${count(this.max)} bytes, the limit of a request line; it was skipped unread. Send one request object per line (a request is a few hundred bytes).`,
      };
    }
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (!isUtf8(bytes)) {
      return {
        line,
        error: `Line ${line} is not UTF-8 text (it has bytes no UTF-8 character is made of); it was not read. Send the requests as UTF-8.`,
      };
    }
    return bytes.toString('utf8');
  }
}

export interface StreamResult {
  lines: number;
  invalid: number;
  unavailable: number;
}

/**
 * Answers every line of `chunks` in order, one output line each, writing after every chunk: a large input
 * goes through in big batches (one contact-store lookup each), a slow writer gets prompt answers.
 */
export async function answerStream(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  write: (text: string) => void | Promise<void>,
  opts: BatchOptions & { maxLineBytes?: number },
): Promise<StreamResult> {
  const splitter = new ByteLines(opts.maxLineBytes);
  const total: StreamResult = { lines: 0, invalid: 0, unavailable: 0 };
  const flush = async (input: Array<string | UnreadLine>) => {
    if (input.length === 0) return;
    const result = await decideBatch(input, opts);
    total.lines += result.lines.length;
    total.invalid += result.invalid;
    total.unavailable += result.unavailable;
    await write(`${result.lines.join('\n')}\n`);
  };
  for await (const chunk of chunks)
    await flush(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
  await flush(splitter.end());
  return total;
}
