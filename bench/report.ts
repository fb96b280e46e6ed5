// Turns each benchmark's result into table rows: the figure, its baseline from the same run, the ratio and
// the target. Absolute figures drift on shared machines; the ratios are what the targets are about.
export interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
  /** e.g. ">= 0.1"; absent when the issue sets no target for this figure. */
  target?: string;
  met?: boolean;
}

type Result = Record<string, unknown>;

const num = (r: Result, key: string): number => {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`benchmark result has no numeric "${key}" (got ${JSON.stringify(v)})`);
  return v;
};
const sub = (r: Result, key: string): Result => (r[key] ?? {}) as Result;

export const BENCHMARKS = [
  'decisions',
  'decideCli',
  'startup',
  'import',
  'audience',
  'preview',
  'automations',
  'campaign',
] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** One audience size of the campaign benchmark (bench/campaign.ts) as table rows. */
function campaignRows(size: Result): Row[] {
  const n = num(size, 'contacts').toLocaleString('en');
  return [
    {
      benchmark: 'campaign',
      figure: `${n} contacts decided and enqueued`,
      value: num(size, 'enqueuedRowsPerSecond'),
      unit: 'outbox rows/s',
      baseline: 'COPY of the same rows',
      baselineValue: num(size, 'copyRowsPerSecond'),
      ratio: num(size, 'ratioToCopy'),
      target: '>= 0.5',
      met: num(size, 'ratioToCopy') >= 0.5,
    },
    {
      benchmark: 'campaign',
      figure: `${n} contacts: delivered to the SMTP sink`,
      value: num(size, 'deliveredPerSecond'),
      unit: 'messages/s',
      baseline: 'bare batch of the same sends',
      baselineValue: num(size, 'bareSendsPerSecond'),
      ratio: num(size, 'deliveryRatioToBare'),
    },
    {
      benchmark: 'campaign',
      figure: `${n} contacts: peak RSS`,
      value: num(size, 'peakRssMiB'),
      unit: 'MiB',
    },
  ];
}

export const ROWS: Record<BenchmarkName, (r: Result) => Row[]> = {
  campaign: (r) => ((r.sizes ?? []) as Result[]).flatMap(campaignRows),
  decisions: (r) => [
    {
      benchmark: 'decisions',
      figure: 'decideSend',
      value: num(r, 'decideSendPerSecond'),
      unit: 'decisions/s',
      baseline: 'plain matrix lookup',
      baselineValue: num(r, 'plainLookupPerSecond'),
      ratio: num(r, 'ratioToPlainLookup'),
      target: '>= 0.1',
      met: num(r, 'ratioToPlainLookup') >= 0.1,
    },
    {
      benchmark: 'decisions',
      figure: 'decideSend p99',
      value: num(r, 'decideSendP99Ms'),
      unit: 'ms',
      target: '< 1 ms',
      met: num(r, 'decideSendP99Ms') < 1,
    },
    {
      benchmark: 'decisions',
      figure: 'json-rules-engine',
      value: num(r, 'jsonRulesEnginePerSecond'),
      unit: 'decisions/s',
      baseline: 'decideSend',
      baselineValue: num(r, 'decideSendPerSecond'),
      ratio: Number((num(r, 'jsonRulesEnginePerSecond') / num(r, 'decideSendPerSecond')).toFixed(5)),
    },
  ],
  decideCli: (r) => [
    {
      benchmark: 'decide CLI',
      figure: `consentflow decide, ${num(r, 'lines')} lines`,
      value: num(r, 'linesPerSecond'),
      unit: 'lines/s',
      baseline: 'node parse + answer',
      baselineValue: num(r, 'baselineLinesPerSecond'),
      ratio: num(r, 'ratioToBaseline'),
    },
  ],
  startup: (r) => [
    {
      benchmark: 'start-up',
      figure: 'consentflow --help (compiled)',
      value: num(r, 'helpMs'),
      unit: 'ms',
      baseline: "node -e ''",
      baselineValue: num(r, 'nodeMs'),
      ratio: num(r, 'helpRatioToNode'),
      target: '< 300 ms',
      met: num(r, 'helpMs') < 300,
    },
    {
      benchmark: 'start-up',
      figure: 'consentflow decide, first line (compiled)',
      value: num(r, 'decideFirstLineMs'),
      unit: 'ms',
      baseline: "node -e ''",
      baselineValue: num(r, 'nodeMs'),
      ratio: num(r, 'decideRatioToNode'),
      target: '< 500 ms',
      met: num(r, 'decideFirstLineMs') < 500,
    },
  ],
  import: (r) => {
    // Every import figure has the same target, against one of the two COPY baselines.
    const row = (lanes: string, value: string, baseline: string, baselineValue: string, ratio: string) => ({
      benchmark: 'import',
      figure: `contacts import, ${num(r, 'rows')} rows, ${lanes}`,
      value: num(r, value),
      unit: 'rows/s',
      baseline,
      baselineValue: num(r, baselineValue),
      ratio: num(r, ratio),
      target: '>= 0.5',
      met: num(r, ratio) >= 0.5,
    });
    const landed = ['COPY of the landed rows', 'landedCopyRowsPerSecond'] as const;
    return [
      row('2 connections', 'importRowsPerSecond', ...landed, 'ratioToLandedCopy'),
      row('1 connection', 'oneConnectionRowsPerSecond', ...landed, 'oneConnectionRatioToLandedCopy'),
      row(
        '2 connections',
        'importRowsPerSecond',
        'COPY of the file, plain table',
        'copyRowsPerSecond',
        'ratio',
      ),
    ];
  },
  audience: (r) => [
    {
      benchmark: 'audience',
      figure: `campaign for ${num(r, 'contacts')} contacts`,
      value: num(r, 'contactsPerSecond'),
      unit: 'contacts/s',
      baseline: 'read batches only',
      baselineValue: num(r, 'readOnlyContactsPerSecond'),
      ratio: num(r, 'ratioToReadOnly'),
    },
  ],
  preview: (r) => [
    {
      benchmark: 'preview',
      figure: `campaign preview of ${num(r, 'contacts')} contacts`,
      value: num(r, 'previewSeconds'),
      unit: 's',
      baseline: 'read the same pages and columns',
      baselineValue: num(r, 'readOnlySeconds'),
      ratio: num(r, 'ratioToReadOnly'),
      target: num(r, 'contacts') >= 1_000_000 ? '< 10 s' : undefined,
      met: num(r, 'contacts') >= 1_000_000 ? num(r, 'previewSeconds') < 10 : undefined,
    },
  ],
  automations: (r) => [
    {
      benchmark: 'automations',
      figure: 'order confirmations',
      value: num(r, 'ordersPerSecond'),
      unit: 'workflows/s',
      baseline: 'bare no-op workflow',
      baselineValue: num(r, 'bareWorkflowsPerSecond'),
      ratio: num(r, 'ratioToBare'),
      target: '>= 0.667',
      met: num(r, 'ratioToBare') >= 2 / 3,
    },
    {
      benchmark: 'automations',
      figure: 'send step p50 / p99',
      value: num(r, 'sendStepP50Ms'),
      unit: `ms (p99 ${num(r, 'sendStepP99Ms')})`,
    },
    {
      benchmark: 'automations',
      figure: 'bare, SQLite WAL',
      value: num(sub(sub(r, 'sqlite'), 'withPragmas'), 'bareWorkflowsPerSecond'),
      unit: 'workflows/s',
      baseline: 'bare, no pragmas',
      baselineValue: num(sub(sub(r, 'sqlite'), 'withoutPragmas'), 'bareWorkflowsPerSecond'),
      ratio: num(sub(r, 'sqlite'), 'speedupFromPragmas'),
    },
  ],
};

const fmt = (v: number | undefined): string =>
  v === undefined ? '' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : String(v);

export function formatTable(rows: Row[]): string {
  const header = ['benchmark', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'status'];
  const lines = rows.map((r) => [
    r.benchmark,
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline}: ${fmt(r.baselineValue)}` : '',
    r.ratio === undefined ? '' : String(r.ratio),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'met' : 'NOT MET',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)].join('\n');
}
