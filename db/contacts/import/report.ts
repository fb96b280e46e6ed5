// How an import tells a person where it is: a redrawn bar on a terminal, plain lines in logs and pipes.
import type { ImportProgress, ImportSummary } from './run';

export function progressReporter(stream: NodeJS.WriteStream): {
  update(p: ImportProgress): void;
  done(): void;
} {
  const tty = !!stream.isTTY;
  let lastLine = 0;
  let drawn = false;
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
        stream.write(
          `\r[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(pct).padStart(3)}%  ${p.read} read, ${p.written} written, ${p.rejected} rejected`,
        );
        drawn = true;
      } else if (!finished && (Date.now() - lastLine > 2000 || pct === 100)) {
        lastLine = Date.now();
        finished = pct === 100;
        stream.write(
          `progress: ${pct}% (${p.read} rows read, ${p.written} written, ${p.rejected} rejected)\n`,
        );
      }
    },
    done() {
      if (tty && drawn) stream.write('\n');
    },
  };
}

export function summaryLines(s: ImportSummary): string[] {
  const lines = [
    `${s.dryRun ? 'dry run of ' : ''}${s.file} (${s.format}): ${s.read} rows read, ${s.inserted} inserted, ${s.updated} updated, ${s.rejected} rejected in ${s.seconds.toFixed(1)}s`,
  ];
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
