// Feedback events as JSON Lines (a provider export, a webhook log, `consentflow feedback --file`): one result
// per non-blank line, in order. A bad line is refused with its number, field and fix and the next line goes
// on; nothing about one line can stop or crash the others.
import type { Pool } from '../pool';
import { jsonErrorOffset } from '../../rules/json-position';
import { ContactFieldError } from './errors';
import { applyFeedback, type FeedbackOptions, type FeedbackResult } from './feedback';
import { LineSplitter, type TextLine } from './import/lines';

/** An event is a few hundred characters; a longer line is not one, and is skipped without being held. */
export const MAX_FEEDBACK_LINE_CHARS = 64 * 1024;

const EXAMPLE = '{"kind": "inbound_sms", "address": "+14155550100", "text": "STOP"}';

export type FeedbackLineResult =
  | ({ line: number; ok: true } & FeedbackResult)
  | {
      line: number;
      ok: false;
      field: string;
      error: string;
      /** Not the line's fault: the store failed (the CLI exits 1, not 2). `cause` is for debugging only. */
      internal?: true;
      cause?: unknown;
    };

function notJson(text: string): string {
  let where = '';
  try {
    const offset = jsonErrorOffset(text);
    if (offset >= 0) where = ` at column ${offset + 1}`;
  } catch {
    // Nested too deeply to walk: the message without a column is still true.
  }
  return `is not valid JSON${where}; give one JSON object per line, e.g. ${EXAMPLE}`;
}

function describeFailure(line: number, err: unknown): FeedbackLineResult {
  if (err instanceof ContactFieldError) return { line, ok: false, field: err.field, error: err.reason };
  const missingTables = (err as { code?: string }).code === '42P01';
  return {
    line,
    ok: false,
    field: 'event',
    error: missingTables
      ? 'could not be applied: the contact tables are missing; run: consentflow db migrate'
      : 'could not be applied: the contact store failed, nothing of this line was written; try again (CONSENTFLOW_DEBUG=1 shows the cause)',
    internal: true,
    cause: err,
  };
}

async function applyLine(
  pool: Pool,
  { line, text }: TextLine,
  options: FeedbackOptions,
): Promise<FeedbackLineResult | null> {
  if (text === undefined)
    return {
      line,
      ok: false,
      field: 'line',
      error: `is longer than ${MAX_FEEDBACK_LINE_CHARS} characters; one event per line, e.g. ${EXAMPLE}`,
    };
  if (!text.trim()) return null;
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { line, ok: false, field: 'line', error: notJson(text) };
  }
  try {
    const r = await applyFeedback(pool, event as never, {
      ...options,
      source: { ...options.source, line },
    });
    return { line, ok: true, ...r };
  } catch (err) {
    return describeFailure(line, err);
  }
}

/** Applies each line of `input` (bytes or text, UTF-8) and yields its result as soon as it is known. */
export async function* applyFeedbackLines(
  pool: Pool,
  input: AsyncIterable<Buffer | string>,
  options: FeedbackOptions = {},
): AsyncGenerator<FeedbackLineResult> {
  const splitter = new LineSplitter(MAX_FEEDBACK_LINE_CHARS);
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  const settle = async function* (lines: TextLine[]): AsyncGenerator<FeedbackLineResult> {
    for (const l of lines) {
      const r = await applyLine(pool, l, options);
      if (r) yield r;
    }
  };
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* settle(splitter.push(text));
  }
  yield* settle(splitter.push(decoder.decode()));
  yield* settle(splitter.end());
}
