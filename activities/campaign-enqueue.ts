// enqueueCampaignPage: one page of a campaign's audience with its profiles, by keyset in contact id order within
// a window of the next contacts (segments/audience-window.ts), decided in bulk with the same decision as every
// send step (campaigns/decide-batch.ts), and written in bulk by one statement: an INSERT from unnest() for the
// outbox rows (send, and defer with the instant the window opens) and one row for the page's suppressed
// contacts (campaign_suppressions, migration 0020). Every outbox row is keyed campaign + contact + message: a
// page written again (a retried activity, a worker killed after the commit) adds no outbox row, and records
// only the suppressed contacts no record holds yet.
import type { RuleSet } from '../rules';
import type { Pool } from '../db/pool';
import { decideProfiles } from '../campaigns/decide-batch';
import { isUniqueViolation } from '../db/contacts/tx';
import { inTransaction } from '../db/transaction';
import { integerArrayLiteral, textArrayLiteral } from '../db/array-literal';
import { lockCampaignPage } from './history';
import { AudienceWindows, type WindowPage } from '../segments/audience-window';
import { parseSegment, type Segment } from '../segments/segment';
import type { CampaignCounts, CampaignMessage, PageRange } from '../contracts/campaign';
import { campaignMessageKey, messageName } from '../contracts/campaign';
import { ActivityErrorType, nonRetryable, retryable } from './errors';
import { heartbeat } from './context';

export interface EnqueuePageInput {
  campaignId: string;
  segment: unknown;
  message: CampaignMessage;
  localHour?: number;
  range: PageRange;
  /** Where this page starts: the previous page's cursor ('' before the first). */
  after: string;
  pageSize: number;
  /** The instant the page is decided for (virtual in tests). */
  at: string;
  /** The instant the audience is selected for (segment dates, local hour); `at` when absent. */
  audienceAt?: string;
}

export interface EnqueuePageResult {
  /**
   * Where the next page starts: this page's last contact, or the end of the id window it read (a window may
   * hold none of the segment's contacts); absent when the range is exhausted.
   */
  cursor?: string;
  counts: Partial<CampaignCounts>;
}

export interface CampaignEnqueueDependencies {
  pool: Pool;
  rules: { current(): RuleSet };
}

export function createEnqueueCampaignPage(deps: CampaignEnqueueDependencies) {
  // Every page of a campaign carries the same segment: checked against its schema once, not on every page.
  let last: { json: string; segment: Segment } | undefined;
  // How many contacts a range's page window spans, learned from its pages (segments/audience-window.ts).
  const windows = new AudienceWindows();
  const segmentOf = (input: EnqueuePageInput): Segment => {
    const json = JSON.stringify(input.segment);
    if (last?.json !== json) last = { json, segment: parseCampaignSegment(json) };
    return last.segment;
  };
  return async function enqueueCampaignPage(input: EnqueuePageInput): Promise<EnqueuePageResult> {
    const at = new Date(input.at);
    if (Number.isNaN(at.getTime()))
      throw nonRetryable(ActivityErrorType.InvalidActivityInput, `"at" is not an instant: ${input.at}`);
    if (!Number.isInteger(input.pageSize) || input.pageSize < 1)
      throw nonRetryable(
        ActivityErrorType.InvalidActivityInput,
        `"pageSize" must be a whole number of contacts, at least 1: ${JSON.stringify(input.pageSize)}`,
      );
    const audienceAt = input.audienceAt ? new Date(input.audienceAt) : at;
    const { page, next } = await pageOfAudience(
      deps.pool,
      input,
      segmentOf(input),
      Number.isNaN(audienceAt.getTime()) ? at : audienceAt,
      windows,
    );
    heartbeat();
    const { ids } = page;
    if (ids.length === 0) return next === undefined ? { counts: {} } : { cursor: next, counts: {} };
    let ruleSet: RuleSet;
    try {
      ruleSet = deps.rules.current();
    } catch (err) {
      // Waiting beats suppressing a whole campaign because a rule file is being edited: retried, loudly.
      throw retryable(
        ActivityErrorType.DeliveryConfigurationError,
        `no valid rule set is loaded: ${(err as Error).message}`,
      );
    }
    const { template: _t, name: _n, ...spec } = input.message;
    const name = messageName(input.message);
    // A page decided again (a retry after its commit was lost) must not count its own rows against caps.
    const decisions = await decideProfiles(deps.pool, ruleSet, page, spec, at, {
      exceptKey: (contactId) => campaignMessageKey(input.campaignId, contactId, name),
      shareDecisions: true, // a campaign row's address is chosen again at delivery
    });
    heartbeat();
    const outbox: { contact: string; notBefore: string | null }[] = [];
    const suppressed: { contact: string; reasons: number }[] = [];
    // Most suppressed contacts of a page share their reasons (one rule, one sentence): each distinct set is
    // sent and parsed once per page, and each contact names its set by number.
    const reasonSets = new Map<string, number>();
    // Contacts that shared a decision share its reasons array: stringified once, not once per contact.
    const numbered = new Map<readonly unknown[], number>();
    let deferred = 0;
    for (const d of decisions) {
      if (d.verdict === 'send') outbox.push({ contact: d.contactId, notBefore: null });
      else if (d.verdict === 'defer' && d.notBefore) {
        outbox.push({ contact: d.contactId, notBefore: d.notBefore });
        deferred++;
      } else {
        let n = numbered.get(d.reasons);
        if (n === undefined) {
          const json = JSON.stringify(d.reasons);
          n = reasonSets.get(json);
          if (n === undefined) reasonSets.set(json, (n = reasonSets.size + 1));
          numbered.set(d.reasons, n);
        }
        suppressed.push({ contact: d.contactId, reasons: n });
      }
    }
    await writePage(deps.pool, `${input.campaignId}/${name}/${input.after}`, [
      input.campaignId,
      name,
      input.message.channel,
      input.message.type,
      input.message.template,
      textArrayLiteral(outbox.map((r) => r.contact)),
      textArrayLiteral(outbox.map((r) => r.notBefore)),
      textArrayLiteral(suppressed.map((r) => r.contact)),
      integerArrayLiteral(suppressed.map((r) => r.reasons)),
      `[${[...reasonSets.keys()].join(',')}]`,
    ]);
    return {
      ...(next !== undefined ? { cursor: next } : {}),
      // The page's rows, whether written now or by an attempt that died after its commit: the range adds only
      // the result Temporal hears, so counting the new rows alone would lose the dead attempt's.
      counts: { decided: decisions.length, enqueued: outbox.length, deferred, suppressed: suppressed.length },
    };
  };
}

/**
 * The page's outbox rows and the record of its suppressed contacts, in one statement after the page's lock;
 * the suppressed contacts' reasons as numbers into the page's distinct reason sets, which the record keeps
 * once. A page's rows are new unless it was written before (a retried activity whose commit was not lost, a
 * zombie attempt): they are inserted without a conflict check first, and the unique keys still refuse a
 * second copy of any row; only then is the page written again with ON CONFLICT DO NOTHING. The check looks
 * each row up in the key's index before inserting it: a fifth of the write's cost. The record holds only the
 * suppressed contacts no record of the campaign holds yet, either way (a retry may find the segment changed:
 * contacts gone from it keep their record, new ones get theirs).
 */
async function writePage(pool: Pool, page: string, values: unknown[]): Promise<void> {
  // Two attempts at one page (a zombie and its retry) write one after the other: a statement sees only what
  // was committed when it began, and a record still being written by the other would be missed.
  const write = (again: boolean) =>
    inTransaction(pool, async (client) => {
      await lockCampaignPage(client, page);
      await client.query(writePageSql(again), values);
    });
  try {
    await write(false);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await write(true);
  }
}

const writePageSql = (again: boolean) => `
  WITH outbox_rows AS (
    INSERT INTO outbox (idempotency_key, workflow_id, step, contact_id, channel, message_type, address, template,
                        run_chain, campaign_id, not_before)
    SELECT $1 || '/' || t.contact || '/' || $2, $1, $2, t.contact, $3, $4, '', $5, $1, $1, t.not_before
      FROM unnest($6::text[], $7::timestamptz[]) AS t(contact, not_before)
    ${again ? 'ON CONFLICT (idempotency_key) DO NOTHING' : ''}
  ), page AS (
    SELECT t.contact COLLATE "C" AS contact, t.n FROM unnest($8::text[], $9::int[]) AS t(contact, n)
  ), recorded AS MATERIALIZED (
    -- The contacts an earlier attempt at this page recorded: one index probe for the page's range, nothing
    -- found unless the page was written before (a page of suppressed contacts only has no outbox row to
    -- conflict on; a retry may start at another contact when the segment changed).
    SELECT r.contact FROM campaign_suppressions p, unnest(p.contact_ids) AS r(contact)
     WHERE p.campaign_id = $1 AND p.step = $2
       AND p.contacts && (SELECT contact_id_range(min(contact), max(contact), '[]') FROM page HAVING count(*) > 0)
  ), suppressed AS (
    SELECT contact, n FROM page WHERE contact NOT IN (SELECT contact FROM recorded)
  )
  INSERT INTO campaign_suppressions (campaign_id, step, contacts, channel, message_type, contact_ids, reason_sets,
                                     reasons)
  SELECT $1, $2, contact_id_range(min(contact), max(contact), '[]'), $3, $4, array_agg(contact ORDER BY contact),
         array_agg(n ORDER BY contact), $10::jsonb
    FROM suppressed HAVING count(*) > 0
  ON CONFLICT DO NOTHING`;

function parseCampaignSegment(json: string): Segment {
  try {
    return parseSegment(json);
  } catch (err) {
    throw nonRetryable(
      ActivityErrorType.InvalidActivityInput,
      `the campaign's segment: ${(err as Error).message}`,
    );
  }
}

/** The range's next page, with profiles: the segment's own SQL, bound parameters only. */
async function pageOfAudience(
  pool: Pool,
  input: EnqueuePageInput,
  segment: Segment,
  at: Date,
  windows: AudienceWindows,
): Promise<WindowPage> {
  // Only the subscriptions that could carry the message: the decision reads no others.
  const { template: _t, name: _n, ...carrying } = input.message;
  const { upTo } = input.range;
  return windows.nextPage(pool, JSON.stringify([input.campaignId, upTo, input.localHour]), {
    segment,
    at,
    scope: {
      ...(upTo !== undefined ? { upTo } : {}),
      ...(input.localHour !== undefined ? { localHour: input.localHour } : {}),
    },
    after: input.after,
    pageSize: input.pageSize,
    carrying,
  });
}
