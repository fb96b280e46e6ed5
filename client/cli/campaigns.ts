// `consentflow campaigns start|pause|resume|cancel|status`: steer campaign workflows (docs/campaigns.md). The
// `campaigns` group may already exist (`campaigns preview` registers into it): these attach to it either way.
// The Temporal client and the segment compiler load when a command of this file runs, not at every CLI start.
import type * as TemporalClientModule from '@temporalio/client';
import type { Command } from 'commander';
import { loadSettings } from '../config';
import type * as TemporalModule from '../temporal';
import type * as CampaignsModule from '../campaigns';
import type * as InputModule from './campaign-input';
import type * as ReachModule from '../campaign-reach';
import type { CampaignStatus } from '../../contracts/campaign';
import type { CampaignRowsInStore } from '../../db/campaign-counts';
import { poolRunner } from './store-pool';
import { CliError } from './errors';
import { registerScheduleCommands } from './schedules';

let connectClient: typeof TemporalModule.connectClient;
let createCampaignClient: typeof CampaignsModule.createCampaignClient;
let CampaignExistsError: typeof CampaignsModule.CampaignExistsError;
let input: typeof InputModule;
let WorkflowNotFoundError: typeof TemporalClientModule.WorkflowNotFoundError;
let reachErrors: typeof ReachModule;

async function load(): Promise<void> {
  ({ connectClient } = await import('../temporal'));
  ({ WorkflowNotFoundError } = await import('@temporalio/client'));
  ({ createCampaignClient, CampaignExistsError } = await import('../campaigns'));
  input = await import('./campaign-input');
  reachErrors = await import('../campaign-reach');
}

/** The `campaigns` group, created here unless another file registered it first. */
export function campaignsGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'campaigns') ??
    program.command('campaigns').description('one message to a segment, decided per contact, at scale')
  );
}

/** Runs `fn` with a campaign client, turning "no such campaign" into a clear error. */
async function withCampaigns<T>(
  name: string,
  fn: (c: CampaignsModule.CampaignClient) => Promise<T>,
): Promise<T> {
  const settings = loadSettings();
  const client = await connectClient(settings);
  try {
    return await fn(createCampaignClient({ client, taskQueue: settings.taskQueue }));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(
        `no campaign named "${name}"; the Web UI lists campaigns under Automation = "campaign".`,
        2,
      );
    if (err instanceof CampaignExistsError || err instanceof reachErrors.CampaignEndedError)
      throw new CliError(err.message, 2);
    if (err instanceof reachErrors.NoWorkerError) throw new CliError(err.message, 1);
    throw err;
  } finally {
    await client.connection.close();
  }
}

type PrintedStatus = CampaignStatus & {
  rangeDetails?: { index: number; paused: boolean; delivering: boolean }[];
  /** What the contact store holds of a campaign that ended without a result (failed, terminated, timed out). */
  store?: CampaignRowsInStore;
};

const NO_RESULT: ReadonlySet<CampaignStatus['state']> = new Set(['failed', 'terminated', 'timed out']);

/** A campaign that ended without a result has no counts of its own: the store's, when it can be read. */
async function withStoreCounts(s: PrintedStatus): Promise<PrintedStatus> {
  if (!NO_RESULT.has(s.state)) return s;
  try {
    const { campaignRowsInStore } = await import('../../db/campaign-counts');
    const store = await poolRunner(1, (err) => err)((pool) => campaignRowsInStore(pool, s.campaignId));
    return { ...s, store };
  } catch {
    return s; // the hint below still names the rows to look at
  }
}

function printStatus(s: PrintedStatus, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const c = s.counts;
  process.stdout.write(
    `campaign ${s.campaignId}: ${s.state}\n` +
      `  decided ${c.decided}, enqueued ${c.enqueued}, deferred ${c.deferred}, suppressed ${c.suppressed}\n` +
      `  sent ${c.sent}, dropped at delivery ${c.dropped}, failed ${c.failed}\n`,
  );
  const store = s.store;
  if (store)
    process.stdout.write(
      `  the run ended without its final counts; from the contact store: enqueued ${store.enqueued} (sent ${store.sent}, ` +
        `dropped ${store.dropped}, failed ${store.failed}, never delivered ${store.pending}), suppressed ${store.suppressed}\n`,
    );
  else if (NO_RESULT.has(s.state))
    process.stdout.write(
      `  the run ended without its final counts: its outbox rows (campaign_id = '${s.campaignId}') say what was sent\n`,
    );
  for (const r of s.ranges) {
    const live = s.rangeDetails?.find((d) => d.index === r.index);
    const what = r.done ? 'done' : live?.paused ? 'paused' : live?.delivering ? 'delivering' : 'running';
    process.stdout.write(`  range ${r.index}: ${what}\n`);
  }
}

export function registerCampaignCommands(program: Command): void {
  const group = campaignsGroup(program);
  group
    .command('start <name>')
    .description('start a campaign: page the segment, decide each contact, deliver at the rate')
    .requiredOption('--segment <file>', 'segment JSON file (segments/)')
    .requiredOption('--message <json>', '{"channel","type","template","resource"?,"category"?}')
    .option('--rate <perSecond>', 'messages per second on this channel and provider (default 50)')
    .option('--provider <name>', 'the rate bucket: <channel>:<provider> (default "default")')
    .option('--concurrency <n>', 'deliveries in flight per range (default 10)')
    .option('--ranges <n>', 'page ranges, each a child workflow (default 4)')
    .option('--page-size <n>', 'contacts decided per page (default 1000)')
    .option('--at <iso>', 'decide as of this virtual instant (tests, demos)')
    .hook('preAction', load)
    .action(async (name: string, o: Record<string, string | undefined>) => {
      input.checkName(name);
      const segment = input.readSegmentFile(o.segment as string);
      const message = input.parseMessage(o.message as string);
      const pace = input.paceFromFlags(o);
      const clockStart = o.at !== undefined ? input.parseInstant('--at', o.at) : undefined;
      const id = await withCampaigns(name, (c) =>
        c.start({
          name,
          segment,
          segmentName: o.segment,
          message,
          ...pace,
          ...(clockStart ? { clockStart } : {}),
        }),
      );
      process.stdout.write(`${id}\n`);
    });
  group
    .command('pause <name>')
    .description("hold every range's delivery pool (returns once nothing is in flight)")
    .option('--json', 'print the status as JSON')
    .hook('preAction', load)
    .action(async (name: string, o: { json?: boolean }) => {
      printStatus(await withCampaigns(name, (c) => c.pause(name)), o.json ?? false);
    });
  group
    .command('resume <name>')
    .description('release a paused campaign')
    .option('--json', 'print the status as JSON')
    .hook('preAction', load)
    .action(async (name: string, o: { json?: boolean }) => {
      printStatus(await withCampaigns(name, (c) => c.resume(name)), o.json ?? false);
    });
  group
    .command('cancel <name>')
    .description('stop the campaign: no delivery starts after it (returns once every range stopped)')
    .option('--json', 'print the status as JSON')
    .hook('preAction', load)
    .action(async (name: string, o: { json?: boolean }) => {
      printStatus(await withCampaigns(name, (c) => c.cancel(name)), o.json ?? false);
    });
  group
    .command('status <name>')
    .description('state and counts of a campaign and each of its ranges')
    .option('--json', 'print the status as JSON')
    .hook('preAction', load)
    .action(async (name: string, o: { json?: boolean }) => {
      printStatus(await withStoreCounts(await withCampaigns(name, (c) => c.status(name))), o.json ?? false);
    });
  registerScheduleCommands(program);
}
