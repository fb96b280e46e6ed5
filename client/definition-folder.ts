// Checks a folder of automation definitions and reports every problem of every file at once: a marketer who
// fixes one typo should not discover the next one only on the next run. Each problem names the file, the JSON
// pointer and line:column of the spot, and how to fix it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { suggest, type SchemaProblem } from '../rules/problems';
import {
  AbandonedCartDefinition,
  EventAutomationDefinition,
  OrderDefinition,
  WelcomeDefinition,
  type AutomationDefinition,
} from '../workflows/definitions';
import { explainSchemaErrors, shown } from './definition-problems';
import { missingTemplates, templateIdsIn, transactionalSends, unknownTypes } from './definition-checks';
import { missingUnsubscribeLinks } from './definition-unsubscribe';
import { jsonSyntaxError, lineColumnAt, pointerOffset } from './json-locate';

export interface DefinitionProblem {
  severity: 'error' | 'warning';
  /** The definition file, or the folder for a problem of the set as a whole. */
  file: string;
  /** JSON pointer into the file ("" is the whole file). */
  pointer: string;
  line?: number;
  column?: number;
  message: string;
  hint: string;
}

export interface CheckedFile {
  file: string;
  /** Present when the file has no error (it may have warnings). */
  definition?: AutomationDefinition;
  problems: DefinitionProblem[];
}

export interface FolderReport {
  dir: string;
  files: CheckedFile[];
  /** Problems of the folder or of the set as a whole (missing kinds, shared ids). */
  problems: DefinitionProblem[];
}

export interface CheckOptions {
  /** Check that every template a send names exists in this folder. */
  templatesDir?: string;
  /** Message types that are transactional: a custom-event journey sending one gets a warning. */
  transactional?: ReadonlySet<string>;
  /** The message types the rule set defines (rules/message-types.json): a send of another type is an error. */
  messageTypes?: readonly string[];
}

const SCHEMAS: Record<AutomationDefinition['kind'], TSchema> = {
  welcome: WelcomeDefinition,
  abandoned_cart: AbandonedCartDefinition,
  order: OrderDefinition,
  custom_event: EventAutomationDefinition,
};
const KINDS = Object.keys(SCHEMAS) as AutomationDefinition['kind'][];
/** Kinds a folder must hold exactly once: the client starts them by kind. */
const SINGLE_KINDS: AutomationDefinition['kind'][] = ['welcome', 'abandoned_cart', 'order'];

// ajv is the gate (the JSON Schema editors use); TypeBox's error tree only explains a failure.
const ajv = new Ajv({ allErrors: true, strict: false });
const gates = new Map<string, ValidateFunction>(KINDS.map((k) => [k, ajv.compile(SCHEMAS[k])]));

/** Checks one definition file's text. */
export function checkDefinitionText(file: string, text: string, opts: CheckOptions = {}): CheckedFile {
  const problem = (severity: DefinitionProblem['severity'], p: SchemaProblem): DefinitionProblem => ({
    severity,
    file,
    ...p,
    ...lineColumnAt(text, pointerOffset(text, p.pointer)),
  });
  const syntax = jsonSyntaxError(text);
  if (syntax) {
    const { found, ...at } = syntax;
    return {
      file,
      problems: [
        {
          severity: 'error',
          file,
          pointer: '',
          ...at,
          message: `not valid JSON: ${found}`,
          hint: 'double quotes around names and strings, a comma between entries and none after the last',
        },
      ],
    };
  }
  const data = JSON.parse(text) as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return {
      file,
      problems: [
        problem('error', {
          pointer: '',
          message: 'must be a JSON object',
          hint: 'start the file with { "kind": ... }',
        }),
      ],
    };
  }
  const kind = (data as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !gates.has(kind)) {
    return {
      file,
      problems: [
        problem('error', {
          pointer: '/kind',
          message:
            kind === undefined ? '"kind" is missing' : `kind ${shown(kind)} is not a kind of automation`,
          hint: `set "kind" to one of: ${KINDS.join(', ')}${suggest(kind, KINDS).replace(' Did', '; did')}`,
        }),
      ],
    };
  }
  const gate = gates.get(kind)!;
  const templates = [
    ...(opts.templatesDir
      ? missingTemplates(data, templateIdsIn(opts.templatesDir), displayPath(opts.templatesDir))
      : []),
    ...(opts.messageTypes ? unknownTypes(data, opts.messageTypes) : []),
    ...(opts.templatesDir && opts.transactional
      ? missingUnsubscribeLinks(data, opts.templatesDir, opts.transactional)
      : []),
  ];
  if (!gate(data)) {
    const explained = explainSchemaErrors(SCHEMAS[kind as AutomationDefinition['kind']], data);
    const problems = explained.length
      ? explained
      : (gate.errors ?? []).map((e) => ({
          pointer: e.instancePath,
          message: e.message ?? 'is invalid',
          hint: 'see automations/schema/automation.schema.json',
        }));
    const elsewhere = templates.filter((t) => !problems.some((p) => p.pointer === t.pointer));
    return { file, problems: [...problems, ...elsewhere].map((p) => problem('error', p)) };
  }
  const definition = data as AutomationDefinition;
  const errors = templates;
  const warnings = opts.transactional ? transactionalSends(definition, opts.transactional) : [];
  return {
    file,
    ...(errors.length ? {} : { definition }),
    problems: [...errors.map((p) => problem('error', p)), ...warnings.map((p) => problem('warning', p))],
  };
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== 'schema' && !name.startsWith('.'))
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return jsonFiles(full);
      return name.endsWith('.json') ? [full] : [];
    })
    .sort();
}

function setProblems(dir: string, files: CheckedFile[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const valid = files.filter((f) => f.definition);
  const byId = new Map<string, string>();
  for (const f of valid) {
    const id = f.definition!.id;
    const first = byId.get(id);
    if (first)
      problems.push({
        severity: 'error',
        file: f.file,
        pointer: '/id',
        message: `the id "${id}" is already used by ${first}`,
        hint: 'give each automation its own id',
      });
    else byId.set(id, f.file);
  }
  // A kind whose file is broken is reported there; "missing" would only mislead.
  const broken = files.some((f) => !f.definition);
  for (const kind of SINGLE_KINDS) {
    const found = valid.filter((f) => f.definition!.kind === kind);
    if (found.length === 0 && !broken)
      problems.push({
        severity: 'error',
        file: dir,
        pointer: '',
        message: `no "${kind}" automation in this folder`,
        hint: `add one definition file with "kind": "${kind}" (see the project's automations/)`,
      });
    for (const extra of found.slice(1))
      problems.push({
        severity: 'error',
        file: extra.file,
        pointer: '/kind',
        message: `a second "${kind}" automation (the first is ${found[0]!.file})`,
        hint: `keep exactly one "${kind}" automation: merge or delete one of the files`,
      });
  }
  return problems;
}

/** Checks every definition file under `dir` (not schema/), then the set as a whole. Never throws for bad input. */
export function checkAutomationFolder(dir: string, opts: CheckOptions = {}): FolderReport {
  const resolved = path.resolve(dir);
  const unreadable = (message: string, hint: string): FolderReport => ({
    dir: resolved,
    files: [],
    problems: [{ severity: 'error', file: resolved, pointer: '', message, hint }],
  });
  let names: string[];
  try {
    if (!statSync(resolved).isDirectory()) throw new Error('not a folder');
    names = jsonFiles(resolved);
  } catch {
    return unreadable(
      'cannot read this folder of automation definitions',
      'give the path of a folder of definition files (the default is automations/ of the project)',
    );
  }
  if (opts.templatesDir) {
    try {
      templateIdsIn(opts.templatesDir);
    } catch {
      return unreadable(
        `cannot read the templates folder ${opts.templatesDir}`,
        'give --templates the folder of message templates (the default is templates/ of the project)',
      );
    }
  }
  const files = names.map((file): CheckedFile => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      const hint = 'check that it is a readable file, or move it out of the folder';
      return { file, problems: [{ severity: 'error', file, pointer: '', message: 'cannot be read', hint }] };
    }
    return checkDefinitionText(file, text, opts);
  });
  return { dir: resolved, files, problems: setProblems(resolved, files) };
}

/** Every problem of a report, files first, each file's in document order. */
export function allProblems(report: FolderReport): DefinitionProblem[] {
  const ordered = report.files.flatMap((f) =>
    [...f.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
  );
  return [...ordered, ...report.problems];
}

/** A file as a person reads it: relative to the working folder when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** One line: file:line:column, severity, pointer, what is wrong and how to fix it. */
export function formatProblem(p: DefinitionProblem, cwd = process.cwd()): string {
  const file = displayPath(p.file, cwd);
  const where = p.line ? `${file}:${p.line}:${p.column}` : file;
  return `${where}: ${p.severity}${p.pointer ? ` at ${p.pointer}` : ''}: ${p.message}; ${p.hint}`;
}
