// `npm run chaos -- --minutes N --seed S --workers K [--out run.json] [--md run.md] [--ci]`: a fault-injection
// run against the real stack. Exit 0 when every target line passes, 1 when one fails, 2 on bad input.
import { Command, InvalidArgumentError } from 'commander';
import { writeFileSync } from 'node:fs';
import { DEFAULT_OPTIONS, runChaos } from './run';
import { renderMarkdown, renderText } from './report';

function number(name: string, min: number, max: number, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}.`,
      );
    }
    return n;
  };
}

const SKIPPABLE = ['worker-sigkill', 'dev-server-restart', 'pg-terminate', 'sink'];

function skipList(value: string): string[] {
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const bad = kinds.find((k) => !SKIPPABLE.includes(k));
  if (bad) throw new InvalidArgumentError(`unknown fault kind "${bad}"; one of ${SKIPPABLE.join(', ')}.`);
  return kinds;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('chaos')
    .description('fault-injection run: real dev server, worker processes, PostgreSQL, SMTP and SMS sinks')
    .option(
      '--minutes <n>',
      'length of the fault window',
      number('--minutes', 0.1, 240),
      DEFAULT_OPTIONS.minutes,
    )
    .option(
      '--seed <s>',
      'seed of the workload and fault schedule',
      number('--seed', 0, 2 ** 32 - 1, true),
      DEFAULT_OPTIONS.seed,
    )
    .option('--workers <k>', 'worker processes', number('--workers', 1, 8, true), DEFAULT_OPTIONS.workers)
    .option(
      '--settle-seconds <n>',
      'upper bound of the settle phase',
      number('--settle-seconds', 0, 3600),
      DEFAULT_OPTIONS.settleSeconds,
    )
    .option(
      '--journey-every-ms <n>',
      'mean time between new journeys',
      number('--journey-every-ms', 50, 600_000),
      DEFAULT_OPTIONS.journeyEveryMs,
    )
    .option(
      '--min-faults <n>',
      'target: faults to inject (default 50 per minute)',
      number('--min-faults', 0, 1e7, true),
    )
    .option('--skip <kinds>', 'fault kinds not to inject, comma-separated: ' + SKIPPABLE.join(', '), skipList)
    .option('--ci', 'CI profile: gate only on loss, suppression, withdrawal and unexplained duplicates')
    .option('--out <file>', 'write the summary as JSON')
    .option('--md <file>', 'write the table as markdown')
    .option('--keep-state', 'keep the temp dir (dev server SQLite, worker logs)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number; code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    return 2;
  }
  const o = program.opts<{
    minutes: number;
    seed: number;
    workers: number;
    settleSeconds: number;
    journeyEveryMs: number;
    minFaults?: number;
    ci?: boolean;
    out?: string;
    md?: string;
    keepState?: boolean;
    skip?: string[];
  }>();
  const summary = await runChaos({
    ...DEFAULT_OPTIONS,
    minutes: o.minutes,
    seed: o.seed,
    workers: o.workers,
    settleSeconds: o.settleSeconds,
    journeyEveryMs: o.journeyEveryMs,
    profile: o.ci ? 'ci' : 'full',
    minFaults: o.minFaults ?? Math.round(50 * o.minutes),
    keepState: o.keepState ?? false,
    skip: new Set(o.skip ?? []),
    command: ['npm run chaos --', ...argv].join(' '),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${renderText(summary)}\n`);
  if (o.out) writeFileSync(o.out, `${JSON.stringify(summary, null, 2)}\n`);
  if (o.md) writeFileSync(o.md, renderMarkdown(summary));
  return summary.targets.every((t) => t.pass) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`chaos run failed: ${err.message}\n`);
    process.exit(1);
  },
);
