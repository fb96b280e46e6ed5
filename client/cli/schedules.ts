// `consentflow schedules create|list|delete`: segment automations (birthday, replenishment, reactivation) on a
// Temporal Schedule; each run is a campaign. Policies and the birthday design: client/schedules.ts and
// docs/campaigns.md.
import type * as TemporalClientModule from '@temporalio/client';
import type { Command } from 'commander';
import { loadSettings } from '../config';
import type * as TemporalModule from '../temporal';
import type * as SchedulesModule from '../schedules';
import type * as InputModule from './campaign-input';
import { CliError } from './errors';

let connectClient: typeof TemporalModule.connectClient;
let createScheduleClient: typeof SchedulesModule.createScheduleClient;
let OVERLAP_POLICIES: typeof SchedulesModule.OVERLAP_POLICIES;
let input: typeof InputModule;
let ScheduleAlreadyRunning: typeof TemporalClientModule.ScheduleAlreadyRunning;
let ScheduleNotFoundError: typeof TemporalClientModule.ScheduleNotFoundError;

async function load(): Promise<void> {
  ({ connectClient } = await import('../temporal'));
  ({ ScheduleAlreadyRunning, ScheduleNotFoundError } = await import('@temporalio/client'));
  ({ createScheduleClient, OVERLAP_POLICIES } = await import('../schedules'));
  input = await import('./campaign-input');
}

const DURATION = /^\d+\s*(s|m|h|d|seconds?|minutes?|hours?|days?)$/;

function duration(flag: string, raw: string, example: string): string {
  if (!DURATION.test(raw.trim()))
    throw new CliError(`${flag} "${raw}" is not a duration; e.g. ${flag} "${example}" (s, m, h or d)`, 2);
  return raw.trim();
}

async function withSchedules<T>(fn: (s: SchedulesModule.ScheduleClient) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  const client = await connectClient(settings);
  try {
    return await fn(createScheduleClient({ client, taskQueue: settings.taskQueue }));
  } finally {
    await client.connection.close();
  }
}

export function registerScheduleCommands(program: Command): void {
  const group = program
    .command('schedules')
    .description('segment automations on a schedule: birthday, reactivation…')
    .hook('preAction', load);
  group
    .command('create <name>')
    .description('run a campaign to a segment on an interval or a cron expression')
    .requiredOption('--segment <file>', 'segment JSON file (segments/)')
    .requiredOption('--message <json>', '{"channel","type","template","resource"?,"category"?}')
    .option('--every <duration>', 'interval, e.g. "1h" (birthday: with --local-hour)')
    .option('--cron <expr>', 'cron expression, e.g. "0 9 * * 1" (UTC unless --timezone)')
    .option('--timezone <tz>', 'IANA zone the cron expression is read in')
    .option('--local-hour <h>', "only contacts whose local time is this hour at the run's instant (0-23)")
    .option(
      '--overlap <policy>',
      'skip | buffer-one | buffer-all | cancel-other | allow-all (default buffer-one)',
    )
    .option('--catchup <duration>', 'how late a missed run still starts after an outage (default 6h)')
    .option('--rate <perSecond>', 'messages per second on this channel and provider (default 50)')
    .option('--provider <name>', 'the rate bucket: <channel>:<provider>')
    .option('--concurrency <n>', 'deliveries in flight per range (default 10)')
    .option('--ranges <n>', 'page ranges, each a child workflow (default 4)')
    .action(async (name: string, o: Record<string, string | undefined>) => {
      input.checkName(name, 'schedule name');
      if (!o.every === !o.cron)
        throw new CliError('give exactly one of --every "1h" or --cron "0 9 * * *".', 2);
      if (o.overlap !== undefined && !(o.overlap in OVERLAP_POLICIES))
        throw new CliError(
          `--overlap "${o.overlap}" is not one of: ${Object.keys(OVERLAP_POLICIES).join(', ')}.`,
          2,
        );
      if (o.timezone !== undefined && !validZone(o.timezone))
        throw new CliError(`--timezone "${o.timezone}" is not an IANA time zone; e.g. Europe/Paris`, 2);
      const segment = input.readSegmentFile(o.segment as string);
      const message = input.parseMessage(o.message as string);
      const pace = input.paceFromFlags(o);
      const id = await withSchedules((s) =>
        s
          .create({
            name,
            segment,
            segmentName: o.segment,
            message,
            ...pace,
            ...(o.every ? { every: duration('--every', o.every, '1h') } : {}),
            ...(o.cron ? { cron: o.cron } : {}),
            ...(o.timezone ? { timezone: o.timezone } : {}),
            ...(o.overlap ? { overlap: o.overlap as SchedulesModule.OverlapName } : {}),
            ...(o.catchup ? { catchupWindow: duration('--catchup', o.catchup, '6h') } : {}),
          })
          .catch((err: unknown) => {
            if (err instanceof ScheduleAlreadyRunning)
              throw new CliError(
                `a schedule named "${name}" exists; delete it first (consentflow schedules delete ${name}).`,
                2,
              );
            if ((err as Error).message?.includes('Invalid cron'))
              throw new CliError(`--cron "${o.cron}" is not a cron expression; e.g. --cron "0 9 * * *"`, 2);
            throw err;
          }),
      );
      process.stdout.write(`${id}\n`);
    });
  group
    .command('list')
    .description('the segment automation schedules and their next run')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withSchedules((s) => s.list());
      if (o.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else
        for (const s of list)
          process.stdout.write(
            `${s.id}\t${s.paused ? 'paused' : 'active'}\tnext ${s.next ?? '-'}\t${s.note ?? ''}\n`,
          );
    });
  group
    .command('delete <name>')
    .description('delete a schedule (runs already started go on)')
    .action(async (name: string) => {
      await withSchedules((s) =>
        s.delete(name).catch((err: unknown) => {
          if (err instanceof ScheduleNotFoundError)
            throw new CliError(`no schedule named "${name}" (consentflow schedules list shows them).`, 2);
          throw err;
        }),
      );
    });
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
