// `consentflow campaigns preview`: a campaign's dry run over the stored audience, writing nothing. Prints the
// audience size, counts by verdict and by deciding rule with a few sample contact ids per rule; --json prints
// exactly {"total", "verdicts": {"send", "suppress", "defer"}, "reasons": {"<rule id>": count}}.
// `registerCampaignPreviewCommand` adds the subcommand to whichever `campaigns` command the CLI has.
import type { Command } from 'commander';
import type { PreviewResult } from '../../campaigns/preview';
import type { MessageSpec } from '../../rules/model';
import { numberOption } from './errors';

interface PreviewFlags {
  segment: string;
  message: string;
  at?: string;
  json?: boolean;
  rules?: string;
  /** Absent: the preview's own page size (campaigns/preview.ts DEFAULT_PAGE_SIZE). */
  pageSize?: number;
  samples: number;
}

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

export function registerCampaignPreviewCommand(campaigns: Command): void {
  campaigns
    .command('preview')
    .description(
      'dry run: decide a message for every contact of a segment, as the workers would, and count; writes nothing',
    )
    .requiredOption('--segment <file>', 'segment file, e.g. segments/vip.json')
    .requiredOption(
      '--message <json>',
      'the message: {"channel", "type", "resource"?, "category"?}, e.g. \'{"channel":"email","type":"campaign"}\'',
    )
    .option('--at <iso>', 'decide as of this instant (ISO with offset; default now)')
    .option('--json', 'print {"total", "verdicts", "reasons"} only')
    .option('--rules <dir>', 'folder of rule files (default: $CONSENTFLOW_RULES or rules/)')
    .option(
      '--page-size <n>',
      'stored contacts per grouped read (default 100000; the store is read in ranges of about this size)',
      numberOption('--page-size', {
        what: 'stored contacts per grouped read',
        min: 1,
        max: 10_000_000,
        example: 100000,
      }),
    )
    .option(
      '--samples <n>',
      'sample contact ids per rule',
      numberOption('--samples', { what: 'sample contact ids per rule', min: 0, max: 100, example: 3 }),
      3,
    )
    .action(runPreview);
}

async function runPreview(flags: PreviewFlags): Promise<void> {
  const io = await import('./segment-io');
  const { previewCampaign } = await import('../../campaigns/preview');
  const segment = io.readSegment(flags.segment);
  const at = io.parseAt(flags.at);
  const ruleSet = io.loadRules(flags.rules);
  const message = io.parseMessage(flags.message, ruleSet);
  const result = await io.withStore(4, (pool) =>
    previewCampaign(pool, ruleSet, segment, message, at, {
      ...(flags.pageSize !== undefined ? { pageSize: flags.pageSize } : {}),
      samplesPerRule: flags.samples,
    }),
  );
  if (flags.json) {
    const { total, verdicts, reasons } = result;
    out(JSON.stringify({ total, verdicts, reasons }));
    return;
  }
  printPreview(segment.id, message, at, result);
}

function describeMessage(m: MessageSpec): string {
  const scope = [m.resource ? `resource ${m.resource}` : '', m.category ? `category ${m.category}` : '']
    .filter(Boolean)
    .join(', ');
  return `${m.channel} ${m.type}${scope ? ` (${scope})` : ''}`;
}

function printPreview(segmentId: string, message: MessageSpec, at: Date, r: PreviewResult): void {
  const n = (x: number) => x.toLocaleString('en');
  out(
    `preview of ${describeMessage(message)} to segment ${segmentId} at ${at.toISOString()} (nothing written)`,
  );
  out(`audience: ${n(r.total)} contact${r.total === 1 ? '' : 's'}`);
  out(
    `verdicts: send ${n(r.verdicts.send)}, suppress ${n(r.verdicts.suppress)}, defer ${n(r.verdicts.defer)}`,
  );
  const rules = Object.entries(r.reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rules.length === 0) return;
  out('by deciding rule:');
  const width = Math.max(...rules.map(([rule]) => rule.length));
  for (const [rule, count] of rules) {
    const samples = r.samples[rule] ?? [];
    out(
      `  ${rule.padEnd(width)}  ${n(count).padStart(9)}${samples.length ? `  e.g. ${samples.join(', ')}` : ''}`,
    );
  }
}
