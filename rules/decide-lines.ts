// The decision contract over JSON Lines, one batch at a time: every input line gets exactly one output line,
// in order; a bad line gets an error line and never stops the others. Stored contacts come through a lookup
// the caller provides, so this module stays free of any database.
import type { ContactProfile, HistoryEntry } from './model';
import type { RuleSet } from './load';
import { decideSend } from './decide';
import { validateDecideRequest, type DecideRequest, type RequestError } from './request';
import { MAX_JSON_DEPTH, jsonDepthOffset } from './json-position';
import { clip, quote } from './quote';

/**
 * Longest request line read, in bytes (UTF-8), as the importer's JSON Lines limit. A longer line is answered
 * with an error by its number and never held in memory; a real request is a few hundred bytes.
 */
export const MAX_LINE_BYTES = 1 << 20;
/** A line the reader could not turn into text: too long or not UTF-8. `error` says which, with its number. */
export interface UnreadLine {
  line: number;
  error: string;
}

export type ProfileLookup = (ids: string[]) => Promise<Map<string, ContactProfile>>;
/** The messages the outbox holds for a stored contact, as caps count them at `at` (decideStep's own read). */
export type HistoryLookup = (ruleSet: RuleSet, contactId: string, at: Date) => Promise<HistoryEntry[]>;

export interface BatchOptions {
  ruleSet: RuleSet;
  /** Called once per batch with the contact ids the batch names; absent means no store is available. */
  lookup?: ProfileLookup;
  /**
   * Reads a stored contact's history from the outbox; used for a `contactId` request without `history` of its
   * own (a request's history is a what-if the caller chose). Absent: no history.
   */
  history?: HistoryLookup;
  now?: () => Date;
}

export interface BatchResult {
  /** One JSON text per input line, without newline. */
  lines: string[];
  /** Lines that were not valid requests (or named unknown contacts). */
  invalid: number;
  /** Lines whose stored contact could not be loaded (store unreachable or missing). */
  unavailable: number;
}

type Pending = { kind: 'done'; text: string } | { kind: 'request'; request: DecideRequest };

const errorLine = (id: unknown, error: RequestError) =>
  JSON.stringify(typeof id === 'string' ? { id, error } : { error });

const rejected = (message: string) => ({
  kind: 'done' as const,
  invalid: true,
  text: errorLine(undefined, { message, path: '' }),
});

function parseLine(line: string | UnreadLine, types: readonly string[]): Pending & { invalid?: boolean } {
  if (typeof line !== 'string') return rejected(line.error);
  // Checked before parsing: every later walker over the value (validator, error quoting) may then recurse.
  const deep = jsonDepthOffset(line, MAX_JSON_DEPTH);
  if (deep >= 0) {
    return rejected(
      `The line nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep (at column ${deep + 1}); a request is at most 5 levels deep. Write one request object per line.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const message =
      line.trim() === ''
        ? 'The line is empty.'
        : `The line is not JSON (${clip((err as Error).message, 200)}).`;
    return rejected(`${message} Write one request object per line.`);
  }
  const check = validateDecideRequest(value, types);
  if (!check.ok)
    return { kind: 'done', invalid: true, text: errorLine((value as { id?: unknown })?.id, check.error) };
  return { kind: 'request', request: check.request };
}

export async function decideBatch(
  input: ReadonlyArray<string | UnreadLine>,
  opts: BatchOptions,
): Promise<BatchResult> {
  const now = opts.now ?? (() => new Date());
  let invalid = 0;
  let unavailable = 0;
  const pending = input.map((line) => {
    const p = parseLine(line, opts.ruleSet.messageTypes);
    if (p.invalid) invalid++;
    return p;
  });

  const ids = [
    ...new Set(
      pending.flatMap((p) => (p.kind === 'request' && p.request.contactId ? [p.request.contactId] : [])),
    ),
  ];
  let profiles = new Map<string, ContactProfile>();
  let storeError: string | undefined;
  if (ids.length > 0) {
    if (!opts.lookup)
      storeError = 'No contact store is available to look up "contactId"; send the profile as "contact".';
    else {
      try {
        profiles = await opts.lookup(ids);
      } catch (err) {
        storeError = `Could not load the contact: ${clip((err as Error).message, 300)}.`;
      }
    }
  }

  // Only a stored contact's history needs the store: every other line is answered without a promise.
  const answer = (p: Pending): string | Promise<string> => {
    if (p.kind === 'done') return p.text;
    const { request } = p;
    const at = request.at !== undefined ? new Date(request.at) : now();
    const decide = (contact: ContactProfile, history: readonly HistoryEntry[] | undefined) => {
      const decision = decideSend(opts.ruleSet, {
        contact,
        message: request.message,
        at,
        ...(history ? { history } : {}),
      });
      return JSON.stringify(request.id !== undefined ? { id: request.id, ...decision } : decision);
    };
    const id = request.contactId;
    if (id === undefined) return decide(request.contact!, request.history);
    if (storeError) {
      unavailable++;
      return errorLine(request.id, { message: storeError, path: '/contactId' });
    }
    const contact = profiles.get(id);
    if (!contact) {
      invalid++;
      return errorLine(request.id, {
        message: `No contact with id ${quote(id)} in the contact store. Check the id, or send the profile as "contact".`,
        path: '/contactId',
      });
    }
    if (request.history || !opts.history) return decide(contact, request.history);
    return opts.history(opts.ruleSet, id, at).then(
      (history) => decide(contact, history),
      (err: unknown) => {
        unavailable++;
        return errorLine(request.id, {
          message: `Could not read the contact's history: ${clip((err as Error).message, 300)}.`,
          path: '/contactId',
        });
      },
    );
  };
  const answers = pending.map(answer);
  const lines = answers.some((a) => typeof a !== 'string')
    ? await Promise.all(answers.map((a) => Promise.resolve(a)))
    : (answers as string[]);
  return { lines, invalid, unavailable };
}
