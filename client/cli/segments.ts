// `consentflow segments validate|count|sample`: segment files checked, and their audience in the contact
// store counted or sampled. The segment code and the PostgreSQL driver load only when a command runs.
import path from 'node:path';
import type { Command } from 'commander';
import { REPO_ROOT } from '../config';
import type * as RunModule from './segments-run';
import { numberOption } from './errors';

let run: typeof RunModule;
async function load(): Promise<void> {
  run = await import('./segments-run');
}

const AT = ['--at <iso>', 'decide dates as of this instant (ISO with offset; default now)'] as const;

export function registerSegmentsCommands(program: Command): void {
  const segments = program
    .command('segments')
    .description('segments (who a campaign is for): validate, count, sample')
    .hook('preAction', load);

  segments
    .command('validate [files...]')
    .description('check segment files or folders (default segments/); exit 2 when any has a problem')
    .action((files: string[]) => {
      process.exitCode = run.validateSegments(files.length ? files : [path.join(REPO_ROOT, 'segments')]);
    });

  segments
    .command('count <file>')
    .description("how many stored contacts the segment selects (dates in each contact's own time zone)")
    .option(...AT)
    .option('--json', 'print {"segment", "at", "count"}')
    .action((file: string, opts: { at?: string; json?: boolean }) => run.countSegment(file, opts));

  segments
    .command('sample <file>')
    .description('a few contacts of the segment (ids and non-personal fields), in id order')
    .option(...AT)
    .option(
      '--limit <n>',
      'how many contacts',
      numberOption('--limit', { what: 'contacts to show', min: 1, max: 1000, example: 10 }),
      10,
    )
    .option('--json', 'print the rows as JSON')
    .action((file: string, opts: { at?: string; json?: boolean; limit: number }) =>
      run.sampleSegment(file, opts),
    );
}
