// The work of `consentflow segments validate|count|sample` (client/cli/segments.ts registers the commands and
// loads this module only when one of them runs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatSegmentProblem, segmentProblems, type SegmentProblem } from '../../segments/segment';
import { countAudience, sampleAudience } from '../../segments/audience';
import { CliError } from './errors';
import { display, parseAt, readSegment, withStore } from './segment-io';

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

function segmentFiles(target: string): string[] {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new CliError(`${target} does not exist; give segment files or a folder of them, e.g. segments/`, 2);
  }
  if (!stat.isDirectory()) return [target];
  return readdirSync(target)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(target, n));
}

/** Checks every file (folders: their *.json); returns the exit code: 2 when any file has a problem. */
export function validateSegments(targets: string[]): number {
  const files = targets.flatMap(segmentFiles);
  if (files.length === 0) throw new CliError(`no segment files (*.json) in ${targets.join(', ')}`, 2);
  const problems: SegmentProblem[] = [];
  const ids = new Map<string, string>();
  let bad = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, 2);
    }
    const found = segmentProblems(text, display(file));
    if (found.length === 0) {
      const id = (JSON.parse(text) as { id: string }).id;
      const first = ids.get(id);
      if (first) {
        found.push({
          file: display(file),
          pointer: '/id',
          line: 1,
          column: 1,
          message: `the id "${id}" is already used by ${first}`,
          hint: 'give each segment its own id',
        });
      } else {
        ids.set(id, display(file));
        out(`ok  ${display(file)}  ${id}`);
      }
    }
    if (found.length > 0) bad++;
    problems.push(...found);
  }
  for (const p of problems) process.stderr.write(`${formatSegmentProblem(p)}\n`);
  if (problems.length > 0)
    process.stderr.write(
      `${bad} of ${files.length} segment file${files.length === 1 ? '' : 's'} ha${bad === 1 ? 's' : 've'} problems; ${problems.length} in all\n`,
    );
  return problems.length > 0 ? 2 : 0;
}

export async function countSegment(file: string, opts: { at?: string; json?: boolean }): Promise<void> {
  const segment = readSegment(file);
  const at = parseAt(opts.at);
  const n = await withStore(2, (pool) => countAudience(pool, segment, at));
  if (opts.json) out(JSON.stringify({ segment: segment.id, at: at.toISOString(), count: n }));
  else
    out(
      `${n.toLocaleString('en')} contact${n === 1 ? '' : 's'} in segment ${segment.id} at ${at.toISOString()}`,
    );
}

export async function sampleSegment(
  file: string,
  opts: { at?: string; json?: boolean; limit: number },
): Promise<void> {
  const segment = readSegment(file);
  const at = parseAt(opts.at);
  const rows = await withStore(2, (pool) => sampleAudience(pool, segment, at, opts.limit));
  if (opts.json) {
    out(
      JSON.stringify(
        rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })),
        null,
        2,
      ),
    );
    return;
  }
  if (rows.length === 0) {
    out(`no contact is in segment ${segment.id} at ${at.toISOString()}`);
    return;
  }
  for (const r of rows)
    out(
      [
        r.id,
        r.status,
        r.country ?? '-',
        r.subdivision ?? '-',
        r.timezone ?? '-',
        r.created_at.toISOString(),
      ].join('  '),
    );
}
