// The pieces compileSegment assembles: bound parameters numbered after the caller's own, and the contact's
// local clock in SQL. Every value of a segment goes through `param`; only column names and operators from
// fixed tables of this module's callers are written into the SQL text.

import { KNOWN_ZONES, zoneDays } from './zone-days';

/**
 * A condition on the contact's rows in another table (subscriptions, ledger). Read in unbounded keyset pages,
 * it is probed per contact: OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join, which does not
 * carry the page's id bound over to the other table: the merge join the planner chose read the subscriptions
 * index from its first row on every page, so each page cost more than the one before (at contact 400,000 of a
 * million, 4x the first page). A whole-audience read (count, sample) reads each table once either way, and a
 * join is the cheaper way to do that (a million contacts counted in 0.3 s instead of 1.4 s). Read in id
 * windows (a campaign range's pages, segments/audience-window.ts; a preview's ranges,
 * campaigns/audience-groups.ts), the other table is bounded by the same window, so a join reads that window's
 * rows and no more: PostgreSQL hashes them once instead of probing per contact, half the page's cost when
 * the segment selects a third of the contacts.
 */
export function existsFor(
  b: SqlBuilder,
  table: 'subscriptions s' | 'consent_ledger l',
  where: string,
): string {
  if (b.paged === true) return `EXISTS (SELECT 1 FROM ${table} WHERE ${where} OFFSET 0)`;
  if (!b.paged) return `EXISTS (SELECT 1 FROM ${table} WHERE ${where})`;
  const id = `${table.slice(-1)}.contact_id`;
  const { after, through } = b.paged;
  return `EXISTS (SELECT 1 FROM ${table} WHERE ${where} AND ${id} > ${after} AND (${through} IS NULL OR ${id} <= ${through}))`;
}

/** The SQL of a page's id window, (after, through]: `through` may be NULL, for no upper bound. */
export interface PageWindow {
  after: string;
  through: string;
}

export class SqlBuilder {
  readonly params: unknown[] = [];
  private atRef?: string;
  private zoneRef?: string;
  private fallbackRef?: string;
  private readonly dayRefs = new Map<number, string>();

  constructor(
    private readonly offset: number,
    private readonly at: Date,
    private readonly fallbackZone: string,
    /** Read in keyset pages (true) or id windows: how conditions on other tables are read (existsFor). */
    readonly paged: boolean | PageWindow = false,
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
      this.zoneRef = `(CASE WHEN c.timezone = ANY(${known}) THEN c.timezone ELSE ${this.fallback} END)`;
    }
    return this.zoneRef;
  }

  private get fallback(): string {
    return (this.fallbackRef ??= this.param(this.fallbackZone, 'text'));
  }

  /**
   * The contact's local day at the decision instant plus `inDays`, as a JSON { d, md } (segments/zone-days.ts):
   * looked up by zone name in a bound object, the fallback zone's entry when the contact's zone is unknown.
   */
  zoneDay(inDays = 0): string {
    let ref = this.dayRefs.get(inDays);
    if (!ref) {
      const days = this.param(JSON.stringify(zoneDays(this.at, inDays, this.fallbackZone)), 'jsonb');
      ref = `COALESCE(${days} -> c.timezone, ${days} -> ${this.fallback})`;
      this.dayRefs.set(inDays, ref);
    }
    return ref;
  }

  /** The contact's local calendar date at the decision instant (plus inDays). */
  localDay(inDays = 0): string {
    return `((${this.zoneDay(inDays)}) ->> 'd')::date`;
  }

  /** The contact's local calendar date at the decision instant. */
  get localToday(): string {
    return this.localDay(0);
  }
}

/** NULL never leaks out of a leaf: `not` of an unknown value must be true, not unknown. */
export const definite = (sql: string): string => `COALESCE(${sql}, false)`;
