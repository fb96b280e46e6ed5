// Loads the automation definitions in automations/ (checked by definition-folder.ts). A bad file fails loudly
// with its path, line:column and JSON pointer of each problem; nothing half-valid reaches a workflow.
import path from 'node:path';
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
import {
  allProblems,
  checkAutomationFolder,
  checkDefinitionText,
  formatProblem,
  type DefinitionProblem,
  type FolderReport,
} from './definition-folder';

export {
  allProblems,
  checkAutomationFolder,
  formatProblem,
  type DefinitionProblem,
  type FolderReport,
} from './definition-folder';

export const AUTOMATIONS_DIR = path.join(REPO_ROOT, 'automations');

export const AutomationSchema = Type.Union(
  [WelcomeDefinition, AbandonedCartDefinition, OrderDefinition, EventAutomationDefinition],
  {
    $id: 'https://consentflow.dev/schema/automation.schema.json',
    title: 'consentflow automation definition',
  },
);

/** The definitions could not be loaded; `problems` lists every problem of every file. */
export class DefinitionError extends Error {
  constructor(readonly problems: DefinitionProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      `${errors.length} problem${errors.length === 1 ? '' : 's'} in the automation definitions:\n` +
        errors.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'DefinitionError';
  }
}

/** Parses and checks one definition file's text; throws DefinitionError listing every problem. */
export function parseDefinition(file: string, text: string): AutomationDefinition {
  const checked = checkDefinitionText(file, text);
  if (!checked.definition) throw new DefinitionError(checked.problems);
  return checked.definition;
}

export interface AutomationCatalog {
  welcome: WelcomeDefinition;
  abandonedCart: AbandonedCartDefinition;
  order: OrderDefinition;
  events: EventAutomationDefinition[];
}

/** The catalog of a checked folder, or a DefinitionError naming every problem of every file. */
export function catalogOf(report: FolderReport): AutomationCatalog {
  const problems = allProblems(report).filter((p) => p.severity === 'error');
  if (problems.length > 0) throw new DefinitionError(problems);
  const all = report.files.map((f) => f.definition!);
  const one = <K extends AutomationDefinition['kind']>(kind: K) =>
    all.find((d) => d.kind === kind) as Extract<AutomationDefinition, { kind: K }>;
  const events = all.filter((d): d is EventAutomationDefinition => d.kind === 'custom_event');
  return { welcome: one('welcome'), abandonedCart: one('abandoned_cart'), order: one('order'), events };
}

export function loadAutomations(dir = AUTOMATIONS_DIR): AutomationCatalog {
  return catalogOf(checkAutomationFolder(dir));
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
