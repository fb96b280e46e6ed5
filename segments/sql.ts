// The pieces compileSegment assembles: bound parameters numbered after the caller's own, and the contact's
// local clock in SQL. Every value of a segment goes through `param`; only column names and operators from
// fixed tables of this module's callers are written into the SQL text.

/** The IANA zones PostgreSQL may be given: the runtime's canonical names (all known to PostgreSQL's tzdata). */
const KNOWN_ZONES: readonly string[] = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])];

export class SqlBuilder {
  readonly params: unknown[] = [];
  private atRef?: string;
  private zoneRef?: string;

  constructor(
    private readonly offset: number,
    private readonly at: Date,
    private readonly fallbackZone: string,
  ) {}

  /** A new bound parameter with its type cast, e.g. `$3::text`. */
  param(value: unknown, cast: string): string {
    this.params.push(value);
    return `$${this.offset + this.params.length}::${cast}`;
  }

  /** The decision instant, bound once. */
  get now(): string {
    return (this.atRef ??= this.param(this.at.toISOString(), 'timestamptz'));
  }

  /**
   * The contact's time zone: their own when PostgreSQL knows it, else the segment's fallback. An unknown name
   * would make `AT TIME ZONE` fail the whole query; the `= ANY` of a constant array is hashed, once a query.
   */
  get zone(): string {
    if (!this.zoneRef) {
      const known = this.param(KNOWN_ZONES, 'text[]');
      const fallback = this.param(this.fallbackZone, 'text');
      this.zoneRef = `(CASE WHEN c.timezone = ANY(${known}) THEN c.timezone ELSE ${fallback} END)`;
    }
    return this.zoneRef;
  }

  /** The contact's local wall-clock time at the decision instant (timestamp without time zone). */
  get localNow(): string {
    return `(${this.now} AT TIME ZONE ${this.zone})`;
  }

  /** The contact's local calendar date at the decision instant. */
  get localToday(): string {
    return `(${this.localNow})::date`;
  }
}

/** NULL never leaks out of a leaf: `not` of an unknown value must be true, not unknown. */
export const definite = (sql: string): string => `COALESCE(${sql}, false)`;
