// `consentflow decide` and `consentflow rules validate|explain|lint`: the decision contract and the tools
// marketers use on their rule files. Nothing here needs Temporal; PostgreSQL is opened only when a request
// names a stored contact.
import type { Command } from 'commander';
import { once } from 'node:events';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type {
  ContactProfile,
  HistoryLookup,
  ProfileLookup,
  RuleProblem,
  RuleSet,
  RuleSetError as RuleSetErrorClass,
} from '../../rules/index';
import type * as RulesApi from '../../rules/index';
import { MAX_JSON_DEPTH, jsonDepthOffset } from '../../rules/json-position';
import type * as QuoteModule from '../../rules/quote';
import { loadSettings } from '../config';
import type * as DecideStream from './decide-stream';
import { CliError } from './errors';

// The rule engine (Ajv, json-rules-engine, Luxon) loads when a command of this file runs, not for
// `consentflow --help` or another command: start-up is most of a short CLI call (docs/deployment.md).
let decideWithEngine: typeof RulesApi.decideWithEngine;
let explainDecision: typeof RulesApi.explainDecision;
let lintRuleSet: typeof RulesApi.lintRuleSet;
let loadRuleSet: typeof RulesApi.loadRuleSet;
let RuleSetError: typeof RuleSetErrorClass;
let validateDecideRequest: typeof RulesApi.validateDecideRequest;
let answerStream: typeof DecideStream.answerStream;
let MAX_LINE_BYTES: number;
let clip: typeof QuoteModule.clip;
let quote: typeof QuoteModule.quote;

async function loadRuleEngine(): Promise<void> {
  ({ decideWithEngine, explainDecision, lintRuleSet, loadRuleSet, RuleSetError, validateDecideRequest } =
    await import('../../rules/index'));
  ({ answerStream } = await import('./decide-stream'));
  ({ MAX_LINE_BYTES } = await import('../../rules/decide-lines'));
  ({ clip, quote } = await import('../../rules/quote'));
}

interface RulesOption {
  rules?: string;
}

const rulesDir = (dir: string | undefined) => path.resolve(dir ?? loadSettings().rulesDir);

function problemLines(problems: RuleProblem[]): string {
  return problems
    .map((p) => `${p.file}${p.pointer ? ` ${p.pointer}` : ''}: ${p.message}\n    fix: ${p.hint}`)
    .join('\n');
}

function loadOrExplain(dir: string): RuleSet {
  try {
    return loadRuleSet(dir);
  } catch (err) {
    if (err instanceof RuleSetError) {
      throw new CliError(
        `the rules at ${err.dir} are not valid:\n${problemLines(err.problems)}\n(run: consentflow rules validate ${err.dir})`,
      );
    }
    throw err;
  }
}

/** Why the contact store failed, in words with the fix; a driver's own text and the password stay out. */
function storeProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return clip((err as Error).message ?? String(err), 200);
  let where = 'DATABASE_URL';
  try {
    const url = new URL(loadSettings().databaseUrl);
    where = `${url.host}${url.pathname}`;
  } catch {
    // not a URL: name the variable only
  }
  return `the contact store at ${where} could not be used (${code}); check DATABASE_URL and that PostgreSQL is running`;
}

/** The contact store, opened on first use; the module is another room's, so it is imported only then. */
function storeLookup(): { lookup: ProfileLookup; history: HistoryLookup; close(): Promise<void> } {
  let pool: { end(): Promise<void> } | undefined;
  let load: ((ids: string[]) => Promise<Map<string, ContactProfile>>) | undefined;
  let read: HistoryLookup | undefined;
  const store = {
    async lookup(ids: string[]) {
      if (!load) {
        const profileModule = '../../db/contacts/profile';
        let mod: { loadProfiles?: (pool: unknown, ids: string[]) => Promise<Map<string, ContactProfile>> };
        try {
          mod = (await import(profileModule)) as typeof mod;
        } catch {
          throw new Error('the contact store is not part of this build (db/contacts/profile is missing)');
        }
        if (typeof mod.loadProfiles !== 'function')
          throw new Error('db/contacts/profile has no loadProfiles()');
        const { createPool } = await import('../../db/pool');
        const p = createPool(loadSettings().databaseUrl, 4);
        pool = p;
        const loadProfiles = mod.loadProfiles;
        load = (list) => loadProfiles(p, list);
        // The history decideStep reads under its lock, by the same function: the CLI only reads, so no lock.
        const { readHistory } = await import('../../activities/history');
        read = (ruleSet, contactId, at) => readHistory(p, ruleSet, contactId, '', at);
      }
      try {
        return await load(ids);
      } catch (err) {
        throw new Error(storeProblem(err));
      }
    },
    /** Called only for a contact `lookup` found, so the store is open. */
    async history(ruleSet: RuleSet, contactId: string, at: Date) {
      try {
        return await read!(ruleSet, contactId, at);
      } catch (err) {
        throw new Error(storeProblem(err));
      }
    },
    async close() {
      await pool?.end();
    },
  };
  return store;
}

async function runDecide(opts: RulesOption): Promise<void> {
  const ruleSet = loadOrExplain(rulesDir(opts.rules));
  const store = storeLookup();
  const out = process.stdout;
  let result;
  try {
    result = await answerStream(
      process.stdin as AsyncIterable<Buffer>,
      async (text) => {
        if (!out.write(text)) await once(out, 'drain');
      },
      { ruleSet, lookup: store.lookup, history: store.history },
    );
  } finally {
    await store.close();
  }
  if (result.unavailable > 0) {
    process.stderr.write(
      `consentflow decide: ${result.unavailable} request(s) named a stored contact that could not be loaded\n`,
    );
    process.exitCode = 1;
  } else if (result.invalid > 0) {
    process.stderr.write(
      `consentflow decide: ${result.invalid} line(s) were not valid requests; see their "error"\n`,
    );
    process.exitCode = 2;
  }
}

/** stdin as bytes, stopping with an error once it is longer than a request may be. */
async function readRequestBytes(): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LINE_BYTES + 2) throw tooLong();
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

const tooLong = () =>
  new CliError(
    `the request is longer than ${MAX_LINE_BYTES.toLocaleString('en-US')} bytes, the limit of a request; pass one request object (a few hundred bytes)`,
    2,
  );

/** One request as `decide` reads a line: bounded length, UTF-8, bounded depth, then JSON. */
function parseRequest(input: Buffer | string): unknown {
  let bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (bytes.length > MAX_LINE_BYTES + 2) throw tooLong();
  if (!isUtf8(bytes)) throw new CliError('the request is not UTF-8 text; send it as UTF-8', 2);
  const text = bytes.toString('utf8');
  const deep = jsonDepthOffset(text, MAX_JSON_DEPTH);
  if (deep >= 0)
    throw new CliError(
      `the request nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep (at character ${deep + 1}); a request is at most 5 levels deep`,
      2,
    );
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `the request is not JSON (${clip((err as Error).message, 200)}); pass one request object as argument or on stdin`,
      2,
    );
  }
}

async function runExplain(
  request: string | undefined,
  opts: RulesOption & { json?: boolean },
): Promise<void> {
  const ruleSet = loadOrExplain(rulesDir(opts.rules));
  const value = parseRequest(request ?? (await readRequestBytes()));
  const check = validateDecideRequest(value, ruleSet.messageTypes);
  if (!check.ok) throw new CliError(`invalid request at "${check.error.path}": ${check.error.message}`, 2);
  let contact = check.request.contact;
  const at = check.request.at ? new Date(check.request.at) : new Date();
  let history = check.request.history;
  if (check.request.contactId !== undefined) {
    const id = check.request.contactId;
    const store = storeLookup();
    try {
      contact = (await store.lookup([id])).get(id);
      // a stored contact's history is the outbox's, as the send step reads it (unless the request brings one)
      if (contact && !history) history = await store.history(ruleSet, id, at);
    } finally {
      await store.close();
    }
    if (!contact) throw new CliError(`no contact with id ${quote(id)} in the contact store`, 2);
  }
  const result = await decideWithEngine(ruleSet, {
    contact: contact!,
    message: check.request.message,
    at,
    ...(history ? { history } : {}),
  });
  if (check.request.id !== undefined) result.decision = { id: check.request.id, ...result.decision };
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : // an unknown zone name is printed back: cut like every quoted value (a real one is short)
        explainDecision(result, {
          timezone: typeof contact!.timezone === 'string' ? clip(contact!.timezone) : contact!.timezone,
        }),
  );
}

export function registerRulesCommands(program: Command): void {
  const rulesOption = [
    '--rules <dir>',
    'folder of rule files (default: $CONSENTFLOW_RULES or rules/)',
  ] as const;

  program
    .command('decide')
    .description('answer JSON Lines decision requests from stdin, in order')
    .option(...rulesOption)
    .hook('preAction', loadRuleEngine)
    .action(runDecide);

  const rules = program
    .command('rules')
    .description('validate, explain and lint the consent rule files')
    .hook('preAction', loadRuleEngine);

  rules
    .command('validate [dir]')
    .description('Check every rule file; list each problem with file, JSON pointer and how to fix it.')
    .option(...rulesOption)
    .option('--json', 'print the problems as JSON')
    .action((dir: string | undefined, opts: RulesOption & { json?: boolean }) => {
      const where = rulesDir(dir ?? opts.rules);
      try {
        const rs = loadRuleSet(where);
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ valid: true, dir: rs.dir, version: rs.hash, problems: [] })}\n`,
          );
        else
          process.stdout.write(
            `The rules at ${rs.dir} are valid: ${rs.files.length} files, version ${rs.hash}.\n`,
          );
      } catch (err) {
        if (!(err instanceof RuleSetError)) throw err;
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ valid: false, dir: err.dir, problems: err.problems })}\n`);
        else
          process.stdout.write(
            `${err.problems.length} problem(s) in the rules at ${err.dir}:\n${problemLines(err.problems)}\n`,
          );
        process.exitCode = 1;
      }
    });

  rules
    .command('explain [request]')
    .description(
      'Decide one request (JSON argument or stdin) and print, in plain words, each rule that fired or not and why.',
    )
    .option(...rulesOption)
    .option('--json', 'print the decision and the full engine trace as JSON')
    .action(runExplain);

  rules
    .command('lint')
    .description(
      'Warn about settings that are valid but risky (e.g. custom events reaching unsubscribed contacts).',
    )
    .option(...rulesOption)
    .option('--strict', 'exit 1 when there is any warning')
    .option('--json', 'print the warnings as JSON')
    .action((opts: RulesOption & { strict?: boolean; json?: boolean }) => {
      const rs = loadOrExplain(rulesDir(opts.rules));
      const warnings = lintRuleSet(rs);
      if (opts.json) process.stdout.write(`${JSON.stringify(warnings, null, 2)}\n`);
      else if (warnings.length === 0)
        process.stdout.write(`No warnings for the rules at ${rs.dir} (version ${rs.hash}).\n`);
      else {
        process.stdout.write(`${warnings.length} warning(s) for the rules at ${rs.dir}:\n`);
        for (const w of warnings) {
          process.stdout.write(
            `warning [${w.check}] ${w.file}${w.pointer ? ` ${w.pointer}` : ''}: ${w.message}\n    fix: ${w.hint}\n`,
          );
        }
      }
      if (opts.strict && warnings.length > 0) process.exitCode = 1;
    });
}
