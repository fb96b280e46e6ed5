// `npm run bench`: every benchmark, one after the other in this process, each next to its baseline measured
// in the same run. Prints a table and writes bench/results.json with the machine it ran on.
//   npm run bench [-- --quick] [-- --audience 1000000] [-- --only decisions,audience,preview] [-- --out FILE]
// Needs PostgreSQL (DATABASE_URL) for import, audience and automations; each uses a throw-away database.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDecisions } from './decisions';
import { benchDecideCli } from './decide-cli';
import { benchStartup } from './startup';
import { benchImport } from './import';
import { audienceFlag, benchAudience } from './audience';
import { benchAutomations } from './automations';
import { benchPreview } from './preview';
import { benchCampaign } from './campaign';
import { BENCHMARKS, ROWS, formatTable, type BenchmarkName, type Row } from './report';
import { machineInfo, round } from './support';

const HERE = path.dirname(fileURLToPath(import.meta.url));

type Name = BenchmarkName;

interface Args {
  quick: boolean;
  audience?: number;
  only: Name[];
  out: string;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(flag.length + 1) : argv[i + 1];
  };
  const only = value('--only')?.split(',').filter(Boolean) ?? [...BENCHMARKS];
  const unknown = only.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (unknown.length)
    throw new Error(`--only: unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}`);
  return {
    quick: argv.includes('--quick'),
    audience: audienceFlag(argv),
    only: only as Name[],
    out: path.resolve(value('--out') ?? path.join(HERE, 'results.json')),
  };
}

function runner(name: Name, args: Args): () => Promise<Record<string, unknown>> {
  const quick = args.quick;
  switch (name) {
    case 'decisions':
      return () => benchDecisions({ quick });
    case 'decideCli':
      return () => benchDecideCli({ quick });
    case 'startup':
      return () => benchStartup({ quick });
    case 'import':
      return () => benchImport({ quick });
    case 'audience':
      return () => benchAudience({ quick, audience: args.audience });
    case 'preview':
      return () => benchPreview({ quick, audience: args.audience });
    case 'automations':
      return () => benchAutomations({ quick });
    case 'campaign':
      return async () => ({ ...(await benchCampaign({ quick, audience: args.audience })) });
  }
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const started = new Date();
  const t0 = performance.now();
  // Other processes skew every figure; the load before and after says how quiet the machine was.
  const loadAtStart = machineInfo().loadAverage;
  const benchmarks: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const rows: Row[] = [];
  for (const name of args.only) {
    console.log(`\n== ${name}${args.quick ? ' (quick)' : ''}`);
    const t = performance.now();
    try {
      const result = await runner(name, args)();
      benchmarks[name] = { ...result, seconds: round((performance.now() - t) / 1000, 1) };
      rows.push(...ROWS[name](result));
    } catch (err) {
      errors[name] = (err as Error).stack ?? String(err);
      console.error(`${name} failed: ${(err as Error).message}`);
    }
  }
  const machine = machineInfo();
  const report = {
    startedAt: started.toISOString(),
    seconds: round((performance.now() - t0) / 1000, 1),
    quick: args.quick,
    machine: { ...machine, loadAverageAtStart: loadAtStart, loadAverageAtEnd: machine.loadAverage },
    table: rows,
    benchmarks,
    errors,
  };
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\n${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}; ${report.seconds}s`,
  );
  console.log(formatTable(rows));
  console.log(`\nwrote ${path.relative(process.cwd(), args.out)}`);
  if (Object.keys(errors).length) {
    console.error(`failed: ${Object.keys(errors).join(', ')} (details in the results file)`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
