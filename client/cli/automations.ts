import type { Command } from 'commander';
import { loadSettings } from '../config';
import { connectClient } from '../temporal';
import { createAutomationClient } from '../automations';
import { AUTOMATIONS_DIR, loadAutomations } from '../definitions';
import type { StepRecord } from '../../workflows/send-step';
import { CliError } from './errors';

function parseProperties(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `--props is not valid JSON (${(err as Error).message}); e.g. --props '{"plan":"pro"}'.`,
      2,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError('--props must be a JSON object, e.g. --props \'{"plan":"pro"}\'.', 2);
  }
  return value as Record<string, unknown>;
}

export function registerAutomationCommands(program: Command): void {
  const events = program.command('events').description('fire custom events at custom-event automations');
  events
    .command('send <name>')
    .description('fire an event for a contact; prints the workflow ids it reached')
    .requiredOption('--contact <id>', 'contact id')
    .option('--props <json>', 'event properties as a JSON object (no personal data)')
    .option('--id <eventId>', 'event id (default: random), for deduplication')
    .action(async (name: string, opts: { contact: string; props?: string; id?: string }) => {
      const properties = parseProperties(opts.props);
      const settings = loadSettings();
      const client = await connectClient(settings);
      try {
        const automations = createAutomationClient({ client, taskQueue: settings.taskQueue });
        const ids = await automations.sendEvent({
          contactId: opts.contact,
          name,
          properties,
          ...(opts.id ? { id: opts.id } : {}),
        });
        process.stdout.write(
          ids.length ? `${ids.join('\n')}\n` : `no automation is triggered by or waiting for "${name}"\n`,
        );
      } finally {
        await client.connection.close();
      }
    });

  const automations = program.command('automations').description('automation definitions and runs');
  automations
    .command('validate [dir]')
    .description('validate the automation definitions (default automations/)')
    .action((dir?: string) => {
      const catalog = loadAutomations(dir ?? AUTOMATIONS_DIR);
      const all = [catalog.welcome, catalog.abandonedCart, catalog.order, ...catalog.events];
      for (const d of all) process.stdout.write(`ok  ${d.id} v${d.version} (${d.kind})\n`);
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
