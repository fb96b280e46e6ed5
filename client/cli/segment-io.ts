// What the segment and campaign preview commands share: a segment file read and checked, --at and --message
// checked, and the contact store opened with its failures said in words. Every bad input is a CliError with
// exit code 2 naming what, where and how to fix; no driver message or stack trace reaches the user.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../config';
import type { Pool } from '../../db/pool';
import { loadRuleSet, RuleSetError, type RuleSet } from '../../rules';
import { MessageSpec } from '../../rules/model';
import { parseSegment, SegmentError, type Segment } from '../../segments/segment';
import { explainSchemaErrors } from '../definition-problems';
import { jsonSyntaxError } from '../json-locate';
import { CliError } from './errors';
import { poolRunner } from './store-pool';

export const display = (file: string): string => {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
};

/** The segment in `file`, or a CliError (exit 2) listing every problem with file:line:column. */
export function readSegment(file: string): Segment {
  let text: string;
  try {
    if (statSync(file).isDirectory())
      throw new CliError(`${file} is a folder; give one segment file, e.g. segments/vip.json`, 2);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `cannot read the segment file ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); check the path, e.g. segments/vip.json`,
      2,
    );
  }
  try {
    return parseSegment(text, display(file));
  } catch (err) {
    if (err instanceof SegmentError)
      throw new CliError(
        `${err.message}\n(see docs/segments.md; check with: consentflow segments validate ${display(file)})`,
        2,
      );
    throw err;
  }
}

/** --at: an ISO instant with its offset; default now. */
export function parseAt(raw: string | undefined): Date {
  if (raw === undefined) return new Date();
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(raw.trim());
  const at = new Date(raw.trim());
  if (!ok || Number.isNaN(at.getTime()))
    throw new CliError(
      `--at "${raw}" is not an ISO instant with its offset; e.g. --at 2026-03-01T09:00:00Z or --at 2026-03-01T09:00:00+01:00`,
      2,
    );
  return at;
}

/** The rule set, or a CliError saying which file is wrong (exit 2: the rules are input too). */
export function loadRules(dir: string | undefined): RuleSet {
  const folder = path.resolve(dir ?? loadSettings().rulesDir);
  try {
    return loadRuleSet(folder);
  } catch (err) {
    if (err instanceof RuleSetError)
      throw new CliError(
        `the rules at ${display(folder)} are not valid (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}); run: consentflow rules validate ${display(folder)}`,
        2,
      );
    throw err;
  }
}

const MESSAGE_EXAMPLE = `--message '{"channel":"email","type":"campaign","resource":"shop","category":"promo"}'`;

/** --message: the message the campaign would send, checked against the rule set's message types. */
export function parseMessage(raw: string, ruleSet: RuleSet): MessageSpec {
  const syntax = jsonSyntaxError(raw);
  if (syntax)
    throw new CliError(
      `--message is not valid JSON (column ${syntax.column}: ${syntax.found}); e.g. ${MESSAGE_EXAMPLE}`,
      2,
    );
  const value = JSON.parse(raw) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(`--message must be a JSON object; e.g. ${MESSAGE_EXAMPLE}`, 2);
  const problems = explainSchemaErrors(MessageSpec, value);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new CliError(
      `--message${p.pointer ? ` at ${p.pointer}` : ''}: ${p.message}; ${p.hint.replace('see docs/automations.md', `e.g. ${MESSAGE_EXAMPLE}`)}`,
      2,
    );
  }
  const message = value as MessageSpec;
  if (!ruleSet.messageTypes.includes(message.type))
    throw new CliError(
      `--message type "${message.type}" is not a message type of the rules; use one of ${ruleSet.messageTypes.join(', ')}`,
      2,
    );
  return message;
}

/** Runs `fn` with a pool on DATABASE_URL; a missing or unmigrated store is said in words (exit 1). */
export async function withStore<T>(connections: number, fn: (pool: Pool) => Promise<T>): Promise<T> {
  return poolRunner(connections, storeProblem)(fn);
}

function storeProblem(err: unknown): unknown {
  if (err instanceof CliError || (err as Error).name === 'DatabaseUnreachableError') return err;
  const code = (err as { code?: string }).code;
  if (typeof code === 'string')
    return new CliError(
      `the contact store could not answer the query (PostgreSQL error ${code}); check DATABASE_URL and run: consentflow db migrate`,
      1,
    );
  return err;
}
