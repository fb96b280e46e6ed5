// Checks of a schema-valid definition against the rest of the project: every template it names must exist,
// and a custom-event journey should not send a transactional type, which skips the marketing gates and
// quiet hours (valid, but rarely meant).
import { readdirSync } from 'node:fs';
import { suggest, type SchemaProblem } from '../rules/problems';
import type { AutomationDefinition, SendSpec } from '../workflows/definitions';
import { lower } from './definition-problems';

export interface SendAt {
  /** JSON pointer of the send spec inside its definition file. */
  pointer: string;
  send: SendSpec;
}

// These walk the definition as plain data, so a file with schema errors elsewhere still gets its templates
// checked (every problem at once), and a malformed part is skipped rather than crashing the check.
const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const field = (value: unknown, key: string): unknown =>
  value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
const isSend = (value: unknown): value is SendSpec =>
  typeof field(value, 'template') === 'string' && typeof field(value, 'type') === 'string';

function eventSends(steps: unknown, at: string): SendAt[] {
  return items(steps).flatMap((step, i): SendAt[] => {
    const here = `${at}/${i}`;
    const send = field(step, 'send');
    if (isSend(send)) return [{ pointer: `${here}/send`, send }];
    const wait = field(step, 'waitForEvent');
    if (wait) return eventSends(field(wait, 'onTimeout'), `${here}/waitForEvent/onTimeout`);
    const branch = field(step, 'branch');
    if (branch)
      return [
        ...eventSends(field(branch, 'then'), `${here}/branch/then`),
        ...eventSends(field(branch, 'else'), `${here}/branch/else`),
      ];
    return [];
  });
}

const LISTS: Record<string, string[]> = {
  welcome: ['steps'],
  abandoned_cart: ['cartReminders', 'checkoutReminders'],
  order: ['confirmation', 'shipping', 'cancellation'],
};

/** Every send of a definition (or of what can be read of a broken one), with where it is written. */
export function sendsOf(d: unknown): SendAt[] {
  const kind = field(d, 'kind');
  if (kind === 'custom_event') return eventSends(field(d, 'steps'), '/steps');
  return (LISTS[String(kind)] ?? []).flatMap((key) =>
    items(field(d, key)).flatMap((send, i) => (isSend(send) ? [{ pointer: `/${key}/${i}`, send }] : [])),
  );
}

/** Template ids of a templates folder (file names without .json); throws when the folder cannot be read. */
export function templateIdsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.endsWith('.schema.json'))
    .map((n) => n.slice(0, -'.json'.length))
    .sort();
}

export function missingTemplates(
  d: unknown,
  templateIds: readonly string[],
  templatesDir: string,
): SchemaProblem[] {
  const known = new Set(templateIds);
  return sendsOf(d)
    .filter(({ send }) => !known.has(send.template))
    .map(({ pointer, send }) => {
      const near = suggest(send.template, templateIds).trim();
      return {
        pointer: `${pointer}/template`,
        message: `template "${send.template}" does not exist (no ${send.template}.json in ${templatesDir})`,
        hint: near ? lower(near) : `use one of: ${templateIds.join(', ') || '(the folder has no templates)'}`,
      };
    });
}

export function transactionalSends(
  d: AutomationDefinition,
  transactional: ReadonlySet<string>,
): SchemaProblem[] {
  if (d.kind !== 'custom_event') return [];
  return sendsOf(d)
    .filter(({ send }) => transactional.has(send.type))
    .map(({ pointer, send }) => ({
      pointer: `${pointer}/type`,
      message:
        `a custom-event journey sends the transactional type "${send.type}": it skips the marketing ` +
        'gates, unsubscribes and quiet hours',
      hint: 'use "custom_event" unless this message really is an order, shipping or cancellation confirmation',
    }));
}

/** Sends whose type the rule set does not define: one line each, the allowed types and the near miss. */
export function unknownTypes(d: unknown, messageTypes: readonly string[]): SchemaProblem[] {
  const known = new Set(messageTypes);
  return sendsOf(d)
    .filter(({ send }) => !known.has(send.type))
    .map(({ pointer, send }) => {
      const near = suggest(send.type, messageTypes).trim();
      return {
        pointer: `${pointer}/type`,
        message: `type "${send.type.slice(0, 60)}" is not one of: ${messageTypes.join(', ')}${near ? `; ${lower(near)}` : ''}`,
        hint: 'use a type of rules/message-types.json, or add it there (with the matrix row it follows)',
      };
    });
}
