// Loads and validates the automation definitions in automations/. A bad file fails loudly with its path and
// the JSON pointer of the problem; nothing half-valid reaches a workflow.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { Type } from '@sinclair/typebox';
import {
  AbandonedCartDefinition,
  EventAutomationDefinition,
  OrderDefinition,
  WelcomeDefinition,
  type AutomationDefinition,
} from '../workflows/definitions';
import { msOf } from '../workflows/duration';
import { REPO_ROOT } from './config';

export const AUTOMATIONS_DIR = path.join(REPO_ROOT, 'automations');

export const AutomationSchema = Type.Union(
  [WelcomeDefinition, AbandonedCartDefinition, OrderDefinition, EventAutomationDefinition],
  {
    $id: 'https://consentflow.dev/schema/automation.schema.json',
    title: 'consentflow automation definition',
  },
);

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = {
  welcome: ajv.compile(WelcomeDefinition),
  abandoned_cart: ajv.compile(AbandonedCartDefinition),
  order: ajv.compile(OrderDefinition),
  custom_event: ajv.compile(EventAutomationDefinition),
};

export class DefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { pointer: string; message: string }[],
  ) {
    super(
      `${path.relative(process.cwd(), file)}: invalid automation definition:\n` +
        problems.map((p) => `  at ${p.pointer || '/'}: ${p.message}`).join('\n'),
    );
    this.name = 'DefinitionError';
  }
}

function describe(errors: ErrorObject[] | null | undefined): { pointer: string; message: string }[] {
  return (errors ?? []).map((e) => ({
    pointer: e.instancePath,
    message:
      e.keyword === 'additionalProperties'
        ? `unknown property "${String(e.params.additionalProperty)}" (remove it or check its spelling)`
        : (e.message ?? 'invalid'),
  }));
}

export function parseDefinition(file: string, text: string): AutomationDefinition {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DefinitionError(file, [{ pointer: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const kind = (data as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !(kind in validators)) {
    throw new DefinitionError(file, [
      { pointer: '/kind', message: `must be one of ${Object.keys(validators).join(', ')}` },
    ]);
  }
  const validate = validators[kind as keyof typeof validators];
  if (!validate(data)) throw new DefinitionError(file, describe(validate.errors));
  return data;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== 'schema')
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return jsonFiles(full);
      return name.endsWith('.json') ? [full] : [];
    })
    .sort();
}

export interface AutomationCatalog {
  welcome: WelcomeDefinition;
  abandonedCart: AbandonedCartDefinition;
  order: OrderDefinition;
  events: EventAutomationDefinition[];
}

export function loadAutomations(dir = AUTOMATIONS_DIR): AutomationCatalog {
  const all = jsonFiles(dir).map((file) => parseDefinition(file, readFileSync(file, 'utf8')));
  const one = <K extends AutomationDefinition['kind']>(
    kind: K,
  ): Extract<AutomationDefinition, { kind: K }> => {
    const found = all.filter((d) => d.kind === kind);
    if (found.length !== 1)
      throw new Error(`${dir}: expected exactly one "${kind}" automation, found ${found.length}.`);
    return found[0] as Extract<AutomationDefinition, { kind: K }>;
  };
  const events = all.filter((d): d is EventAutomationDefinition => d.kind === 'custom_event');
  const ids = new Set<string>();
  for (const d of all) {
    if (ids.has(d.id)) throw new Error(`${dir}: two automations share the id "${d.id}".`);
    ids.add(d.id);
  }
  return { welcome: one('welcome'), abandonedCart: one('abandoned_cart'), order: one('order'), events };
}

/**
 * A copy of a definition whose every duration is multiplied by `factor` (as milliseconds). The demo and tests
 * run the real definitions at, say, 1/86400 speed; the scaled durations are visible in the workflow input.
 */
export function scaleDurations<T>(definition: T, factor: number): T {
  if (factor === 1) return definition;
  const durationKeys = new Set(['after', 'wait', 'timeout', 'closeAfter', 'confirmationTimeout', 'deadline']);
  const walk = (value: unknown, key?: string): unknown => {
    if (key && durationKeys.has(key) && (typeof value === 'string' || typeof value === 'number')) {
      return Math.max(0, Math.round(msOf(value) * factor));
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(definition) as T;
}
