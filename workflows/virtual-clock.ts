// The instant decisions are asked for. Production runs on the workflow clock; the demo and tests start runs at
// a chosen virtual instant (e.g. a US evening) so quiet hours can be exercised without waiting for a real 21:00.
import type { Duration } from './definitions';

/** Input every automation accepts besides its own. */
export interface CommonInput {
  contactId: string;
  /**
   * Optional virtual start instant: decisions are asked "as of" this instant plus the workflow's elapsed time.
   * Lets the demo and tests exercise quiet hours without waiting for a real 08:00.
   */
  clockStart?: string;
  /**
   * The pace the client ran the definition at (the demo: a day takes 200 ms): its durations arrive already
   * multiplied by it; timer summaries divide it out again to show the definition's own words.
   */
  timeScale?: number;
}

export class VirtualClock {
  /** Virtual minus workflow time; activities add it to their own clock. */
  readonly offsetMs: number;

  constructor(input: CommonInput) {
    this.offsetMs = input.clockStart ? Date.parse(input.clockStart) - Date.now() : 0;
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export type { Duration };
