// `consentflow automations validate`: every file checked, every problem on one line (stderr), an ok line per
// good file (stdout). Exit 2 when any file has an error, or a warning under --strict.
import { loadRuleSet, RuleSetError } from '../../rules';
import { loadSettings } from '../config';
import {
  allProblems,
  checkAutomationFolder,
  displayPath,
  formatProblem,
  type DefinitionProblem,
} from '../definition-folder';

export interface ValidateOptions {
  templates: string;
  rules?: string;
  strict?: boolean;
}

/** The transactional message types of the rule set, or a warning saying the check was skipped. */
function transactionalTypes(rulesDir: string): {
  types?: ReadonlySet<string>;
  messageTypes?: readonly string[];
  warning?: DefinitionProblem;
} {
  try {
    const ruleSet = loadRuleSet(rulesDir);
    return { types: ruleSet.model.transactional, messageTypes: ruleSet.messageTypes };
  } catch (err) {
    if (!(err instanceof RuleSetError)) throw err;
    return {
      warning: {
        severity: 'warning',
        file: err.dir,
        pointer: '',
        message: 'the rules cannot be loaded, so journeys sending transactional types were not looked for',
        hint: `run: consentflow rules validate ${err.dir}`,
      },
    };
  }
}

/** Prints the report; returns the exit code. */
export function validateAutomations(dir: string, opts: ValidateOptions): number {
  const { types, messageTypes, warning } = transactionalTypes(opts.rules ?? loadSettings().rulesDir);
  const report = checkAutomationFolder(dir, {
    templatesDir: opts.templates,
    ...(types ? { transactional: types } : {}),
    ...(messageTypes ? { messageTypes } : {}),
  });
  for (const f of report.files) {
    const d = f.definition;
    if (d) process.stdout.write(`ok  ${displayPath(f.file)}  ${d.id} v${d.version} (${d.kind})\n`);
  }
  const problems = [...allProblems(report), ...(warning ? [warning] : [])];
  for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
  const bad = report.files.filter((f) => f.problems.some((p) => p.severity === 'error')).length;
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (problems.length > 0) {
    process.stderr.write(
      `${bad} of ${report.files.length} files have errors; ${errors} error${errors === 1 ? '' : 's'}, ` +
        `${warnings} warning${warnings === 1 ? '' : 's'} in all\n`,
    );
  }
  return errors > 0 || (opts.strict && warnings > 0) ? 2 : 0;
}
