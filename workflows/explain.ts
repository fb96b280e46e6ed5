// The words the Web UI shows for a run: the summary of each decide and deliver call and of each timer, and the
// run's current details (what it waits for now). User metadata is not a command, so adding or rewording it
// leaves replay alone. Step names, channels, types, rule ids and instants only: never personal data.
import { setCurrentDetails } from '@temporalio/workflow';
import type { DecisionReason } from '../rules/model';
import type { SendSpec } from './definitions';

/** `decide welcome-2-email (email, welcome)`: the marker of the decideStep local activity. */
export function decideSummary(step: string, spec: Pick<SendSpec, 'channel' | 'type'>): string {
  return `decide ${step} (${spec.channel}, ${spec.type})`;
}

export function deliverSummary(step: string, spec: Pick<SendSpec, 'channel' | 'type'>): string {
  return `deliver ${step} (${spec.channel}, ${spec.type})`;
}

/** `deferred by quiet-hours:us until 08:00 America/Los_Angeles`, from the reason the rules gave. */
export function deferSummary(step: string, reasons: readonly DecisionReason[], notBefore: string): string {
  const reason = reasons[0];
  const until = untilOf(reason?.message) ?? notBefore;
  return `${step} deferred by ${reason?.rule ?? 'rules'} until ${until} (asks again at ${notBefore})`;
}

/** The local time a quiet-hours reason names ("…so it waits until 08:00."). */
function untilOf(message: string | undefined): string | undefined {
  const m = message && /waits until (\d{1,2}:\d{2})/.exec(message);
  return m ? m[1] : undefined;
}

/** A duration as words: `2 days`, `90 seconds`, `400 ms`. */
export function durationWords(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return ms >= 1_000 ? `${Math.round(ms / 100) / 10} seconds` : `${Math.round(ms)} ms`;
}

/**
 * The run's current details, one line per thing it waits for (concurrent steps wait side by side). Shown in
 * the Web UI while a worker answers the run's metadata query.
 */
export class CurrentDetails {
  private readonly waits = new Map<string, string>();

  set(key: string, what: string): void {
    this.waits.set(key, what);
    this.show();
  }

  clear(key: string): void {
    this.waits.delete(key);
    this.show();
  }

  /** The run is over: say how it ended. */
  done(text: string): void {
    this.waits.clear();
    setCurrentDetails(text);
  }

  private show(): void {
    setCurrentDetails([...this.waits.values()].join('\n') || 'working');
  }
}
