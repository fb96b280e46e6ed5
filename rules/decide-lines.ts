// The decision contract over JSON Lines, one batch at a time: every input line gets exactly one output line,
// in order; a bad line gets an error line and never stops the others. Stored contacts come through a lookup
// the caller provides, so this module stays free of any database.
import type { ContactProfile } from './model';
import type { RuleSet } from './load';
import { decideSend } from './decide';
import { validateDecideRequest, type DecideRequest, type RequestError } from './request';

export type ProfileLookup = (ids: string[]) => Promise<Map<string, ContactProfile>>;

export interface BatchOptions {
  ruleSet: RuleSet;
  /** Called once per batch with the contact ids the batch names; absent means no store is available. */
  lookup?: ProfileLookup;
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

function parseLine(line: string, types: readonly string[]): Pending & { invalid?: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const message =
      line.trim() === '' ? 'The line is empty.' : `The line is not JSON (${(err as Error).message}).`;
    return {
      kind: 'done',
      invalid: true,
      text: errorLine(undefined, { message: `${message} Write one request object per line.`, path: '' }),
    };
  }
  const check = validateDecideRequest(value, types);
  if (!check.ok)
    return { kind: 'done', invalid: true, text: errorLine((value as { id?: unknown })?.id, check.error) };
  return { kind: 'request', request: check.request };
}

export async function decideBatch(input: string[], opts: BatchOptions): Promise<BatchResult> {
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
        storeError = `Could not load the contact: ${(err as Error).message}`;
      }
    }
  }

  const lines = pending.map((p) => {
    if (p.kind === 'done') return p.text;
    const { request } = p;
    let contact = request.contact;
    if (request.contactId !== undefined) {
      if (storeError) {
        unavailable++;
        return errorLine(request.id, { message: storeError, path: '/contactId' });
      }
      contact = profiles.get(request.contactId);
      if (!contact) {
        invalid++;
        return errorLine(request.id, {
          message: `No contact with id ${JSON.stringify(request.contactId)} in the contact store. Check the id, or send the profile as "contact".`,
          path: '/contactId',
        });
      }
    }
    const decision = decideSend(opts.ruleSet, {
      contact: contact!,
      message: request.message,
      at: request.at !== undefined ? new Date(request.at) : now(),
    });
    return JSON.stringify(request.id !== undefined ? { id: request.id, ...decision } : decision);
  });
  return { lines, invalid, unavailable };
}
