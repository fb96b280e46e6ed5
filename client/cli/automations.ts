import path from 'node:path';
import type { Command } from 'commander';
import { loadSettings, REPO_ROOT } from '../config';
import type * as TemporalModule from '../temporal';
import type * as AutomationsModule from '../automations';
import type * as DefinitionsModule from '../definitions';
import type * as EventMatchModule from '../event-match';
import type * as ValidateModule from './automations-validate';
import { jsonSyntaxError } from '../json-locate';
import type { StepRecord } from '../../workflows/send-step';
import { CliError } from './errors';
import type { ValidateOptions } from './automations-validate';

// The Temporal client and the definition checks load when a command of this file runs, not at every CLI start.
let connectClient: typeof TemporalModule.connectClient;
let createAutomationClient: typeof AutomationsModule.createAutomationClient;
let AUTOMATIONS_DIR: string;
let DefinitionError: typeof DefinitionsModule.DefinitionError;
let catalogOf: typeof DefinitionsModule.catalogOf;
let checkAutomationFolder: typeof DefinitionsModule.checkAutomationFolder;
let explainUnreached: typeof EventMatchModule.explainUnreached;
let validateAutomations: typeof ValidateModule.validateAutomations;

async function loadAutomationModules(): Promise<void> {
  ({ connectClient } = await import('../temporal'));
  ({ createAutomationClient } = await import('../automations'));
  ({ AUTOMATIONS_DIR, DefinitionError, catalogOf, checkAutomationFolder } = await import('../definitions'));
  ({ explainUnreached } = await import('../event-match'));
  ({ validateAutomations } = await import('./automations-validate'));
}

/** The catalog a command runs on; broken definitions are bad input (exit 2), listed in full. */
function catalogFor(dir: string | undefined) {
  try {
    return catalogOf(checkAutomationFolder(dir ?? AUTOMATIONS_DIR));
  } catch (err) {
    if (err instanceof DefinitionError)
      throw new CliError(`${err.message}\n(run: consentflow automations validate ${dir ?? ''})`, 2);
    throw err;
  }
}

function parseProperties(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  const syntax = jsonSyntaxError(text);
  if (syntax) {
    throw new CliError(
      `--props is not valid JSON (column ${syntax.column}: ${syntax.found}); e.g. --props '{"plan":"pro"}'.`,
      2,
    );
  }
  const value = JSON.parse(text) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError('--props must be a JSON object, e.g. --props \'{"plan":"pro"}\'.', 2);
  }
  return value as Record<string, unknown>;
}

export function registerAutomationCommands(program: Command): void {
  const events = program
    .command('events')
    .description('fire custom events at custom-event automations')
    .hook('preAction', loadAutomationModules);
  events
    .command('send <name>')
    .description('fire an event for a contact; prints the workflow ids it reached')
    .requiredOption('--contact <id>', 'contact id')
    .option('--props <json>', 'event properties as a JSON object (no personal data)')
    .option('--id <eventId>', 'event id (default: random), for deduplication')
    .option('--automations <dir>', 'folder of automation definitions (default automations/)')
    .action(
      async (name: string, opts: { contact: string; props?: string; id?: string; automations?: string }) => {
        const properties = parseProperties(opts.props);
        const catalog = catalogFor(opts.automations);
        const settings = loadSettings();
        const client = await connectClient(settings);
        try {
          const automations = createAutomationClient({ client, taskQueue: settings.taskQueue, catalog });
          const ids = await automations.sendEvent({
            contactId: opts.contact,
            name,
            properties,
            ...(opts.id ? { id: opts.id } : {}),
          });
          const lines = ids.length ? ids : explainUnreached(catalog.events, name, properties);
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          await client.connection.close();
        }
      },
    );

  const automations = program
    .command('automations')
    .description('automation definitions and runs')
    .hook('preAction', loadAutomationModules);
  automations
    .command('validate [dir]')
    .description('check every automation definition and the templates it names (default automations/)')
    .option('--templates <dir>', 'folder of message templates', path.join(REPO_ROOT, 'templates'))
    .option('--rules <dir>', 'rule folder that says which message types are transactional')
    .option('--strict', 'exit 2 on warnings too')
    .action((dir: string | undefined, opts: ValidateOptions) => {
      process.exitCode = validateAutomations(dir ?? AUTOMATIONS_DIR, opts);
    });
  automations
    .command('steps <workflowId>')
    .description('the steps a run has done and their verdicts (a query on the running or closed workflow)')
    .action(async (workflowId: string) => {
      const settings = loadSettings();
      const client = await connectClient(settings);
      try {
        const steps = await client.workflow.getHandle(workflowId).query<StepRecord[]>('steps');
        for (const s of steps) {
          process.stdout.write(
            `${s.step.padEnd(28)} ${s.channel.padEnd(5)} ${s.type.padEnd(26)} ${s.verdict.padEnd(8)} ${s.delivery ?? ''} ${s.reasons.map((r) => r.message).join('; ')}\n`,
          );
        }
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('demo')
    .description('run every automation end to end and print the verdicts')
    .option('--keep', 'leave the dev server and Web UI running afterwards (Ctrl-C stops them)')
    .option(
      '--time-scale <factor>',
      'multiply every automation duration (default: one day takes one second)',
      String(1 / 86_400),
    )
    .action(async (opts: { keep?: boolean; timeScale: string }) => {
      const { runDemo } = await import('../demo');
      await runDemo({ keep: opts.keep ?? false, timeScale: Number(opts.timeScale) });
    });
}
