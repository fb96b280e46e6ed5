// How an import tells a person where it is: a redrawn bar on a terminal, plain lines in logs and pipes.
import type { ImportProgress, ImportSummary } from './run';

/** Carriage return and erase-to-end-of-line: the bar's line is blank again. */
const CLEAR = '\r\x1b[K';

export interface ProgressReporter {
  update(p: ImportProgress): void;
  /** Prints a whole line (a rejection) without mixing it into the bar. */
  line(text: string): void;
  done(): void;
}

export function progressReporter(
  stream: NodeJS.WriteStream,
  options: { dryRun?: boolean } = {},
): ProgressReporter {
  const tty = !!stream.isTTY;
  // Under --dry-run nothing is written: rows are only checked.
  const done = options.dryRun ? 'checked' : 'written';
  let lastLine = 0;
  let bar = '';
  let finished = false;
  return {
    update(p) {
      // Rows are written a batch or two behind the reading: only rows written or rejected count as done.
      const read = p.totalBytes ? p.bytes / p.totalBytes : 1;
      const settled = p.read ? (p.written + p.rejected) / p.read : 1;
      const pct = Math.min(100, Math.floor(read * settled * 100));
      if (tty) {
        const width = 30;
        const fill = Math.round((pct / 100) * width);
        bar = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(pct).padStart(3)}%  ${p.read} read, ${p.written} ${done}, ${p.rejected} rejected`;
        stream.write(`\r${bar}`);
      } else if (!finished && (Date.now() - lastLine > 2000 || pct === 100)) {
        lastLine = Date.now();
        finished = pct === 100;
        stream.write(
          `progress: ${pct}% (${p.read} rows read, ${p.written} ${done}, ${p.rejected} rejected)\n`,
        );
      }
    },
    line(text) {
      if (tty && bar) stream.write(`${CLEAR}${text}\n${bar}`);
      else stream.write(`${text}\n`);
    },
    done() {
      if (tty && bar) stream.write('\n');
      bar = '';
    },
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function summaryLines(s: ImportSummary): string[] {
  const lines = [
    `${s.dryRun ? 'dry run of ' : ''}${s.file} (${s.format}): ${s.read} rows read, ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected in ${s.seconds.toFixed(1)}s`,
  ];
  if (s.ignoredColumns.length) {
    const shown = s.ignoredColumns.slice(0, 10).join(', ');
    const more = s.ignoredColumns.length - 10;
    lines.push(
      `ignored ${plural(s.ignoredColumns.length, 'unknown column', 'unknown columns')}: ${shown}${more > 0 ? ` and ${more} more` : ''}`,
    );
  }
  if (s.keptOptedOut)
    lines.push(
      `${plural(s.keptOptedOut, 'row asked', 'rows asked')} to subscribe contacts or subscriptions that had opted out ` +
        '(unsubscribed, complainer or hard_bounced); they were kept as they were: only the person can opt in again (form and double opt-in)',
    );
  if (s.heldBack)
    lines.push(
      `${s.heldBack} subscription(s) of erased addresses kept non_subscribed (they need a fresh opt-in)`,
    );
  if (s.evicted)
    lines.push(`${s.evicted} old subscription(s) evicted by the subscription limits (see contacts history)`);
  if (s.dryRun) lines.push('dry run: nothing was written; the counts say what an import would do');
  else if (s.rolledBack)
    lines.push('--strict: some rows were rejected, so nothing was written; fix them and import again');
  return lines;
}
