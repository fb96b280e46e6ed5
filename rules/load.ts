// Reads a folder of rule files into a RuleSet: every file checked against its schema, then the set checked as
// a whole (references between files, duplicates). Any problem fails the whole load: a worker never runs on
// half a rule set.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { RULE_FILE_KINDS, RULE_FILE_KIND_NAMES, type RuleFile, type RuleFileKind } from './rule-file';
import { suggest, validateAgainst } from './problems';
import { buildModel, type RuleModel } from './model-build';
import { jsonErrorOffset } from './json-position';
import { quote } from './quote';

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

function parseJson(text: string): { value?: unknown; problem?: Omit<RuleProblem, 'file'> } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    const offset = Math.max(0, jsonErrorOffset(text));
    const before = text.slice(0, offset);
    const where = `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    const what =
      offset < text.length ? `unexpected ${JSON.stringify(text[offset])}` : 'the text ends too early';
    return {
      problem: {
        pointer: '',
        message: `is not valid JSON (${where}): ${what}`,
        hint: 'Fix the syntax: double quotes around names and strings, commas between entries, none after the last.',
      },
    };
  }
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
    const parsed = parseJson(readFileSync(path.join(dir, name), 'utf8'));
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
    const schemaProblems = validateAgainst(RULE_FILE_KINDS[kind as RuleFileKind], value);
    for (const p of schemaProblems) problems.push({ file: name, ...p });
    if (schemaProblems.length === 0)
      files.push({ name, kind: kind as RuleFileKind, content: value as RuleFile });
  }
  return files;
}

/** Loads and checks every `*.json` rule file of `dir`. Throws RuleSetError listing every problem found. */
export function loadRuleSet(dir: string): RuleSet {
  const resolved = path.resolve(dir);
  const problems: RuleProblem[] = [];
  const files = readFiles(resolved, problems);
  // Cross-file checks only make sense once each file is well-formed on its own.
  if (problems.length > 0) throw new RuleSetError(resolved, problems);
  const model = buildModel(files, problems);
  if (problems.length > 0 || !model) throw new RuleSetError(resolved, problems);
  const hash = createHash('sha256')
    .update(canonicalJson(files.map((f) => ({ name: f.name, content: f.content }))))
    .digest('hex')
    .slice(0, 12);
  return Object.freeze({ hash, dir: resolved, files: Object.freeze(files), model });
}
