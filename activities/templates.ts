// Message templates: marketer-editable JSON files in templates/, one per message. Variables are written
// `{{first_name}}` (dot paths reach nested fields: `{{order.id}}`); a fallback must be explicit,
// `{{first_name|default:"there"}}`. A variable with no value and no fallback is an error naming the template and
// the variable: a message that says "Hi ," is worse than one that waits for a fix.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { Channel } from '../rules/model';
import { TemplateError } from './errors';

export const DEFAULT_TEMPLATES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'templates',
);

const TemplateId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' });

export const EmailTemplate = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: TemplateId,
    channel: Type.Literal('email'),
    description: Type.Optional(Type.String()),
    subject: Type.String({ minLength: 1 }),
    text: Type.String({ minLength: 1 }),
    html: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export const SmsTemplate = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: TemplateId,
    channel: Type.Literal('sms'),
    description: Type.Optional(Type.String()),
    body: Type.String({ minLength: 1, maxLength: 1600 }),
  },
  { additionalProperties: false },
);
export const MessageTemplate = Type.Union([EmailTemplate, SmsTemplate]);
export type EmailTemplate = Static<typeof EmailTemplate>;
export type SmsTemplate = Static<typeof SmsTemplate>;
export type MessageTemplate = Static<typeof MessageTemplate>;

export type RenderedMessage =
  | {
      channel: 'email';
      subject: string;
      text: string;
      html?: string;
      /** Extra headers (List-Unsubscribe on marketing email), added by deliver, not by templates. */
      headers?: Record<string, string>;
    }
  | { channel: 'sms'; body: string };

/** Where `deliver` gets templates from. Reading per call lets a marketer's edit apply without a restart. */
export interface TemplateSource {
  get(id: string): MessageTemplate;
}

const ajv = new Ajv({ allErrors: true });
const validateTemplate = ajv.compile<MessageTemplate>(MessageTemplate);

/** Parses and validates one template file's text; `where` names the file in errors. */
export function parseTemplate(text: string, where: string, expectedId?: string): MessageTemplate {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TemplateError(`Template ${where} is not valid JSON: ${(err as Error).message}.`);
  }
  if (!validateTemplate(data)) {
    const problems = (validateTemplate.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new TemplateError(
      `Template ${where} is invalid: ${problems}. An email template needs id, channel "email", subject and ` +
        `text; an SMS template needs id, channel "sms" and body.`,
    );
  }
  if (expectedId !== undefined && data.id !== expectedId) {
    throw new TemplateError(
      `Template ${where} declares id "${data.id}"; rename the file or the id to match.`,
    );
  }
  for (const [name, part] of templateParts(data)) checkSyntax(part, `${where} (${name})`);
  return data;
}

/** Reads templates/<id>.json on every call, caching by modification time. */
export function createTemplateSource(dir: string = DEFAULT_TEMPLATES_DIR): TemplateSource {
  const cache = new Map<string, { mtimeMs: number; template: MessageTemplate }>();
  return {
    get(id) {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) {
        throw new TemplateError(`Template id "${id}" is not valid: use lowercase letters, digits, - and _.`);
      }
      const file = path.join(dir, `${id}.json`);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        throw new TemplateError(`Template "${id}" not found: expected the file ${file}.`);
      }
      const hit = cache.get(id);
      if (hit && hit.mtimeMs === stat.mtimeMs) return hit.template;
      const template = parseTemplate(fs.readFileSync(file, 'utf8'), file, id);
      cache.set(id, { mtimeMs: stat.mtimeMs, template });
      return template;
    },
  };
}

/** Loads and validates every template in a directory (for `validate` commands and tests). */
export function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Map<string, MessageTemplate> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith('.schema.json'));
  } catch (err) {
    throw new TemplateError(`Templates directory ${dir} cannot be read: ${(err as Error).message}.`);
  }
  const out = new Map<string, MessageTemplate>();
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    out.set(name.slice(0, -5), parseTemplate(fs.readFileSync(file, 'utf8'), file, name.slice(0, -5)));
  }
  return out;
}

/** The variable names a template uses (without fallbacks), for previews and checks. */
export function templateVariables(template: MessageTemplate): string[] {
  const names = new Set<string>();
  for (const [, part] of templateParts(template)) {
    for (const m of part.matchAll(PLACEHOLDER)) names.add(m[1] as string);
  }
  return [...names];
}

export function renderTemplate(
  template: MessageTemplate,
  fields: Record<string, unknown>,
  channel?: Channel,
): RenderedMessage {
  if (channel && template.channel !== channel) {
    throw new TemplateError(
      `Template "${template.id}" is for ${template.channel}, but this step sends ${channel}; ` +
        `pick a ${channel} template in the automation definition.`,
    );
  }
  const fill = (part: string) => substitute(part, fields, template.id);
  if (template.channel === 'sms') return { channel: 'sms', body: fill(template.body) };
  return {
    channel: 'email',
    subject: fill(template.subject),
    text: fill(template.text),
    ...(template.html ? { html: fill(template.html) } : {}),
  };
}

// {{ name }} or {{ name|default:"fallback" }} (single quotes too).
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*default\s*:\s*(?:"([^"]*)"|'([^']*)')\s*)?\}\}/g;

function templateParts(t: MessageTemplate): Array<[string, string]> {
  if (t.channel === 'sms') return [['body', t.body]];
  return [
    ['subject', t.subject],
    ['text', t.text],
    ...(t.html ? ([['html', t.html]] as Array<[string, string]>) : []),
  ];
}

function checkSyntax(part: string, where: string): void {
  const leftover = part.replace(PLACEHOLDER, '');
  const bad = /\{\{[^}]*\}?\}?/.exec(leftover);
  if (bad) {
    throw new TemplateError(
      `Template ${where} has a malformed placeholder "${bad[0]}": write {{variable}} or ` +
        `{{variable|default:"text"}}.`,
    );
  }
}

function lookup(fields: Record<string, unknown>, dotted: string): unknown {
  let value: unknown = fields;
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function substitute(part: string, fields: Record<string, unknown>, templateId: string): string {
  return part.replace(PLACEHOLDER, (_m, name: string, dq?: string, sq?: string) => {
    const value = lookup(fields, name);
    const fallback = dq ?? sq;
    if (value === undefined || value === null || value === '') {
      if (fallback !== undefined) return fallback;
      throw new TemplateError(
        `Template "${templateId}" uses {{${name}}}, but the contact has no value for "${name}". Fill the ` +
          `field, or give the template a fallback: {{${name}|default:"..."}}.`,
      );
    }
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      return String(value);
    throw new TemplateError(
      `Template "${templateId}" uses {{${name}}}, which is ${Array.isArray(value) ? 'a list' : 'an object'}, ` +
        `not text; name one of its fields.`,
    );
  });
}
