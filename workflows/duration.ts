// Durations as milliseconds, with the units the definitions' schema allows. Computed in the workflow so a
// deadline survives the signals that wake a waiting loop.
export function msOf(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(duration.trim());
  if (!m) throw new Error(`Invalid duration: ${duration}`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit === 'ms' || unit.startsWith('milli')) return n;
  if (unit.startsWith('s')) return n * 1_000;
  if (unit.startsWith('m')) return n * 60_000;
  if (unit.startsWith('h')) return n * 3_600_000;
  if (unit.startsWith('d')) return n * 86_400_000;
  throw new Error(`Invalid duration unit in ${duration}`);
}
