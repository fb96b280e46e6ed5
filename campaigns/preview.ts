// A campaign's dry run: the segment's audience, grouped by PostgreSQL into contacts with the same decision
// facts (campaigns/audience-groups.ts), each group decided once by judgePage (the workers' decision, in bulk)
// and counted by verdict and by deciding rule as many times as it has contacts. Reads only; writes nothing.
import type { RuleSet } from '../rules';
import type { MessageSpec, Verdict } from '../rules/model';
import type { Pool } from '../db/pool';
import { contactIdRanges } from '../db/contacts/id-bounds';
import { countedHistory, readHistories } from '../activities/history';
import type { Segment } from '../segments/segment';
import { audienceGroups, type FactsGroup } from './audience-groups';
import { judgePage } from './decide-batch';

export interface PreviewResult {
  total: number;
  verdicts: Record<Verdict, number>;
  /** Contacts per deciding rule id (every contact counts once, under the rule that decided it). */
  reasons: Record<string, number>;
  /** The first few contact ids (in id order) per deciding rule. */
  samples: Record<string, string[]>;
}

export interface PreviewOptions {
  /** About how many stored contacts each grouped read covers (the store is cut into ranges of this size). */
  pageSize?: number;
  /** Sample contact ids kept per rule. */
  samplesPerRule?: number;
  /** Ranges read at once (each holds a connection; PostgreSQL does the grouping, one core per range). */
  inFlight?: number;
}

/**
 * Stored contacts per grouped read (at most 64 ranges: larger stores get larger ones). A range comes back as a few hundred groups whatever its size, so ranges
 * are only cut for the two cores to share the work and to bound what one read holds when most contacts
 * stand alone (every contact with messages a cap counts is its own group).
 */
export const DEFAULT_PAGE_SIZE = 100_000;

/** Decides `message` for every contact of `segment` at `at`; the pool should allow `inFlight` connections. */
export async function previewCampaign(
  pool: Pool,
  ruleSet: RuleSet,
  segment: Segment,
  message: MessageSpec,
  at: Date,
  opts: PreviewOptions = {},
): Promise<PreviewResult> {
  const pageSize = Math.max(1, opts.pageSize ?? DEFAULT_PAGE_SIZE);
  const keep = Math.max(0, Math.floor(opts.samplesPerRule ?? 3));
  const inFlight = Math.max(1, opts.inFlight ?? 2);
  const counted = countedHistory(ruleSet, at, message);
  const stored = await storedContacts(pool);
  const ranges = await contactIdRanges(pool, Math.ceil(stored / pageSize), { sampleOf: stored });

  // Each range's tally is kept apart until all are read: ranges are in id order, so the samples are each
  // rule's first ids when the ranges' own first ids are taken in range order.
  const tallies = new Array<RangeTally>(ranges.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < ranges.length && !failed) {
      const i = next++;
      try {
        const groups = await audienceGroups(pool, segment, at, message, ranges[i]!, {
          samples: keep,
          counted,
        });
        tallies[i] = await tallyGroups(pool, ruleSet, groups, message, at, keep);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Every lane ends before an error reaches the caller, who may close the pool next.
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(inFlight, ranges.length) }, lane));
  for (const l of lanes) if (l.status === 'rejected') throw l.reason as Error;

  const result = emptyResult();
  for (const t of tallies) {
    result.total += t.total;
    for (const v of Object.keys(t.verdicts) as Verdict[]) result.verdicts[v] += t.verdicts[v];
    for (const [rule, n] of Object.entries(t.reasons)) result.reasons[rule] = (result.reasons[rule] ?? 0) + n;
    for (const [rule, ids] of Object.entries(t.samples)) {
      const samples = (result.samples[rule] ??= []);
      for (const id of ids) if (samples.length < keep) samples.push(id);
    }
  }
  return result;
}

type RangeTally = PreviewResult;

const emptyResult = (): PreviewResult => ({
  total: 0,
  verdicts: { send: 0, suppress: 0, defer: 0 },
  reasons: {},
  samples: {},
});

/**
 * About how many contacts the store holds: the planner's estimate (tuples per page at the last analyze times
 * the table's pages now, so rows loaded since count too), or a count before the first analyze.
 */
async function storedContacts(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT CASE WHEN relpages > 0 AND reltuples > 0
                 THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int)
                 ELSE 0 END::float8 AS n
       FROM pg_class WHERE oid = 'contacts'::regclass`,
  );
  if (rows[0]?.n) return rows[0].n;
  const counted = await pool.query<{ n: number }>('SELECT count(*)::float8 AS n FROM contacts');
  return counted.rows[0]?.n ?? 0;
}

/** One range's groups decided (each once) and counted; its samples are each rule's first ids in the range. */
async function tallyGroups(
  pool: Pool,
  ruleSet: RuleSet,
  groups: FactsGroup[],
  message: MessageSpec,
  at: Date,
  keep: number,
): Promise<RangeTally> {
  const own = groups.filter((g) => g.own).map((g) => g.id);
  const histories = await readHistories(pool, ruleSet, own, at, undefined, message);
  const page = {
    ids: groups.map((g) => g.id),
    profiles: new Map(groups.map((g) => [g.id, g.profile])),
  };
  const decisions = judgePage(ruleSet, page, message, at, histories, { shareDecisions: true });
  const tally = emptyResult();
  const ruleOf = new Map<string, string>();
  decisions.forEach((d, i) => {
    const group = groups[i]!;
    tally.total += group.count;
    tally.verdicts[d.verdict] += group.count;
    tally.reasons[d.decidedBy] = (tally.reasons[d.decidedBy] ?? 0) + group.count;
    for (const id of group.first) ruleOf.set(id, d.decidedBy);
  });
  if (keep > 0 && ruleOf.size > 0) {
    // Each group's first ids are in id order; across groups, PostgreSQL orders them, as it orders the store's
    // ids (its collation, not this process's).
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM unnest($1::text[]) AS id ORDER BY id', [
      [...ruleOf.keys()],
    ]);
    for (const { id } of rows) {
      const rule = ruleOf.get(id)!;
      const samples = (tally.samples[rule] ??= []);
      if (samples.length < keep) samples.push(id);
    }
  }
  return tally;
}
