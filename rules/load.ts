// Reads a folder of rule files into a RuleSet: every file checked against its schema, then the set checked as
// a whole (references between files, duplicates). Any problem fails the whole load: a worker never runs on
// half a rule set.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { RULE_FILE_KINDS, RULE_FILE_KIND_NAMES, type RuleFile, type RuleFileKind } from './rule-file';
import { suggest, validateAgainst } from './problems';
import { buildModel, type RuleModel } from './model-build';
import { quote } from './quote';
import { checkRowTypes, readMessageTypes } from './message-types';
import { decodeRuleFile, parseRuleFile } from './file-text';

export interface RuleProblem {
  /** File name inside the rules folder, or "(folder)" for a problem of the set as a whole. */
  file: string;
  /** JSON pointer into the file ("" is the whole file). */
  pointer: string;
  message: string;
  hint: string;
}

export class RuleSetError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: RuleProblem[],
  ) {
    const first = problems[0];
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the rules at ${dir}` +
        (first
          ? `; first: ${first.file}${first.pointer ? ` at ${first.pointer}` : ''}: ${first.message}`
          : ''),
    );
    this.name = 'RuleSetError';
  }
}

export interface LoadedFile {
  name: string;
  kind: RuleFileKind;
  content: RuleFile;
}

export interface RuleSet {
  /** Short sha256 of the canonical content of every file: the version stamped on each decision. */
  readonly hash: string;
  readonly dir: string;
  readonly files: readonly LoadedFile[];
  readonly model: RuleModel;
  /** The message types this rule set knows (from its message-types file); any other type is never sent. */
  readonly messageTypes: readonly string[];
}

/** JSON with sorted keys, so formatting and key order do not change the version hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What "$schema" may say: editors use it, the loader never follows it (it always checks with its own). */
export const RULE_FILE_SCHEMA_URL = 'https://consentflow.dev/schema/rule-file.schema.json';
const SCHEMA_FILE = 'rule-file.schema.json';

function schemaProblem(value: unknown): Omit<RuleProblem, 'file'> | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : '';
  const last = text.split(/[\\/]/).pop()?.split(/[?#]/)[0];
  if (text === RULE_FILE_SCHEMA_URL || last === SCHEMA_FILE) return undefined;
  return {
    pointer: '/$schema',
    message: `names ${JSON.stringify(value)}, which is not the consentflow rule-file schema`,
    hint: `Write "$schema": "./schema/${SCHEMA_FILE}" (a path to ${SCHEMA_FILE} from this file, or "${RULE_FILE_SCHEMA_URL}"), or remove the line; the rules are always checked with their own schema.`,
  };
}

function readOne(file: string): { value?: unknown; problem?: Omit<RuleProblem, 'file'> } {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) {
      return {
        problem: {
          pointer: '',
          message: 'is a folder, not a rule file',
          hint: 'Rename the folder so that it does not end in .json; sub-folders of the rules folder are not read.',
        },
      };
    }
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem: {
        pointer: '',
        message: `cannot be read (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'it disappeared while the folder was read' : 'the system refused'})`,
        hint: 'Make the file readable by the user running consentflow, or move it out of the rules folder.',
      },
    };
  }
  const decoded = decodeRuleFile(bytes);
  return decoded.problem ? { problem: decoded.problem } : parseRuleFile(decoded.text!);
}

function readFiles(dir: string, problems: RuleProblem[]): LoadedFile[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort();
  } catch (err) {
    problems.push({
      file: '(folder)',
      pointer: '',
      message: `cannot read the rules folder ${dir}: ${(err as Error).message}`,
      hint: 'Point --rules or CONSENTFLOW_RULES at a folder of rule files (the default is rules/ of the project).',
    });
    return [];
  }
  const files: LoadedFile[] = [];
  for (const name of names) {
    const parsed = readOne(path.join(dir, name));
    if (parsed.problem) {
      problems.push({ file: name, ...parsed.problem });
      continue;
    }
    const value = parsed.value;
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({
        file: name,
        pointer: '',
        message: 'must be a JSON object',
        hint: 'Start the file with { "kind": ... }.',
      });
      continue;
    }
    if (typeof kind !== 'string' || !(kind in RULE_FILE_KINDS)) {
      problems.push({
        file: name,
        pointer: '/kind',
        message: kind === undefined ? '"kind" is missing' : `${quote(kind)} is not a kind of rule file`,
        hint: `Set "kind" to one of ${RULE_FILE_KIND_NAMES.map((k) => `"${k}"`).join(', ')}.${suggest(kind, RULE_FILE_KIND_NAMES)}`,
      });
      continue;
    }
    const badSchema = schemaProblem((value as { $schema?: unknown }).$schema);
    if (badSchema) problems.push({ file: name, ...badSchema });
    const schemaProblems = validateAgainst(RULE_FILE_KINDS[kind as RuleFileKind], value);
    for (const p of schemaProblems) problems.push({ file: name, ...p });
    if (schemaProblems.length === 0 && !badSchema)
      files.push({ name, kind: kind as RuleFileKind, content: value as RuleFile });
  }
  return files;
}

// "$schema" only tells an editor where the schema is; moving the files must not change the version.
function withoutSchemaRef(content: RuleFile): unknown {
  const { $schema: _ignored, ...rest } = content;
  return rest;
}

/** Loads and checks every `*.json` rule file of `dir`. Throws RuleSetError listing every problem found. */
export function loadRuleSet(dir: string): RuleSet {
  const resolved = path.resolve(dir);
  const problems: RuleProblem[] = [];
  const files = readFiles(resolved, problems);
  const types = readMessageTypes(files, problems);
  if (types) checkRowTypes(files, types, problems);
  // Cross-file checks only make sense once each file is well-formed on its own.
  if (problems.length > 0) throw new RuleSetError(resolved, problems);
  const model = buildModel(files, types, problems);
  if (problems.length > 0 || !model) throw new RuleSetError(resolved, problems);
  const hash = createHash('sha256')
    .update(canonicalJson(files.map((f) => ({ name: f.name, content: withoutSchemaRef(f.content) }))))
    .digest('hex')
    .slice(0, 12);
  return Object.freeze({
    hash,
    dir: resolved,
    files: Object.freeze(files),
    model,
    messageTypes: model.messageTypes,
  });
}
