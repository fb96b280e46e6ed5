// `consentflow decide` and `consentflow rules validate|explain|lint`: the decision contract and the tools
// marketers use on their rule files. Nothing here needs Temporal; PostgreSQL is opened only when a request
// names a stored contact.
import type { Command } from 'commander';
import { once } from 'node:events';
import path from 'node:path';
import {
  decideBatch,
  decideWithEngine,
  explainDecision,
  lintRuleSet,
  loadRuleSet,
  RuleSetError,
  validateDecideRequest,
  type ContactProfile,
  type ProfileLookup,
  type RuleProblem,
  type RuleSet,
} from '../../rules/index';
import { loadSettings } from '../config';
import { CliError } from './errors';

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

/** The contact store, opened on first use; the module is another room's, so it is imported only then. */
function storeLookup(): { lookup: ProfileLookup; close(): Promise<void> } {
  let pool: { end(): Promise<void> } | undefined;
  let load: ((ids: string[]) => Promise<Map<string, ContactProfile>>) | undefined;
  return {
    async lookup(ids) {
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
      }
      return load(ids);
    },
    async close() {
      await pool?.end();
    },
  };
}

async function runDecide(opts: RulesOption): Promise<void> {
  const ruleSet = loadOrExplain(rulesDir(opts.rules));
  const store = storeLookup();
  let invalid = 0;
  let unavailable = 0;
  let rest = '';
  const out = process.stdout;
  const flush = async (lines: string[]) => {
    if (lines.length === 0) return;
    const result = await decideBatch(lines, { ruleSet, lookup: store.lookup });
    invalid += result.invalid;
    unavailable += result.unavailable;
    if (!out.write(`${result.lines.join('\n')}\n`)) await once(out, 'drain');
  };
  try {
    process.stdin.setEncoding('utf8');
    // Each chunk read is one batch: large inputs go through in big batches, a slow writer gets prompt answers.
    for await (const chunk of process.stdin as AsyncIterable<string>) {
      const text = rest + chunk;
      const cut = text.lastIndexOf('\n');
      if (cut < 0) {
        rest = text;
        continue;
      }
      rest = text.slice(cut + 1);
      await flush(
        text
          .slice(0, cut)
          .split('\n')
          .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)),
      );
    }
    if (rest !== '') await flush([rest]);
  } finally {
    await store.close();
  }
  if (unavailable > 0) {
    process.stderr.write(
      `consentflow decide: ${unavailable} request(s) named a stored contact that could not be loaded\n`,
    );
    process.exitCode = 1;
  } else if (invalid > 0) {
    process.stderr.write(
      `consentflow decide: ${invalid} line(s) were not valid requests; see their "error"\n`,
    );
    process.exitCode = 2;
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin as AsyncIterable<string>) text += chunk;
  return text;
}

async function runExplain(
  request: string | undefined,
  opts: RulesOption & { json?: boolean },
): Promise<void> {
  const ruleSet = loadOrExplain(rulesDir(opts.rules));
  const text = request ?? (await readStdin());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `the request is not JSON (${(err as Error).message}); pass one request object as argument or on stdin`,
      2,
    );
  }
  const check = validateDecideRequest(value, ruleSet.messageTypes);
  if (!check.ok) throw new CliError(`invalid request at "${check.error.path}": ${check.error.message}`, 2);
  let contact = check.request.contact;
  if (check.request.contactId !== undefined) {
    const store = storeLookup();
    try {
      contact = (await store.lookup([check.request.contactId])).get(check.request.contactId);
    } finally {
      await store.close();
    }
    if (!contact)
      throw new CliError(
        `no contact with id ${JSON.stringify(check.request.contactId)} in the contact store`,
        2,
      );
  }
  const at = check.request.at ? new Date(check.request.at) : new Date();
  const result = await decideWithEngine(ruleSet, { contact: contact!, message: check.request.message, at });
  if (check.request.id !== undefined) result.decision = { id: check.request.id, ...result.decision };
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : explainDecision(result, { timezone: contact!.timezone }),
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
    .action(runDecide);

  const rules = program.command('rules').description('validate, explain and lint the consent rule files');

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
