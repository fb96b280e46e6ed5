// One campaign delivery group (rows the rules just allowed again, campaign-recheck-batch.ts) sent with deliver's
// guarantees, in bulk. Opening it: the attempts counted (committed before the rows are locked: the lock holder
// would otherwise wait for itself), the rows locked FOR UPDATE in key order, from this last check through the
// provider calls to the recorded outcomes, so a concurrent attempt on a row (a zombie after a heartbeat
// timeout) waits, then sees `sent`; the group's rate slots reserved in one UPDATE; the attempt rows committed
// on their own before any call (a crash during a call leaves them saying "may have been sent"). Then the calls
// (campaign-group-calls.ts), each acceptance committed on its attempt row as soon as it is heard
// (campaign-group-accepted.ts), so a worker killed mid-group leaves a retry only the calls in flight to send
// again. Then closing it: every outcome recorded and committed at once (campaign-group-record.ts), an
// acceptance whose commit is lost recorded afresh, the refusals' feedback applied.
// A template error or a refusal is that row's recorded outcome, never the group's; a transient failure leaves
// its row pending and is returned.
import type { MessageSpec } from '../rules/model';
import type { RuleSet } from '../rules';
import type { Pool } from '../db/pool';
import { isConnectionError } from '../db/errors';
import type { LinkConfig } from '../contracts/link-config';
import { attemptNumber, type ActivityLogger } from './context';
import type { RenderedGroup } from './campaign-render';
import { acceptanceLog } from './campaign-group-accepted';
import { callGroup, type Call, type CallPlan } from './campaign-group-calls';
import { acceptancesOf, recordGroup } from './campaign-group-record';
import { recordAcceptancesAfresh, recordUnrecordedAcceptances } from './deliver-accepted';
import { applyPendingFeedback } from './deliver-feedback';
import type { Classified } from './deliver-transport';
import { startAttempts } from './outcomes-batch';
import { reserveSlots } from './rate-limit';
import type { OutboxEntry } from './store';
import { countAttempts, readOutboxRows } from './store-batch';
import type { TemplateSource } from './templates';
import type { Transports } from './transports/types';

export interface SendGroupDependencies {
  pool: Pool;
  rules: { current(): RuleSet };
  transports: Transports;
  templates: TemplateSource;
  links?: LinkConfig;
  /** How long the group waits for another attempt holding one of its rows; default 30 s (as deliver). */
  lockTimeoutMs?: number;
}

export interface SendGroupContext {
  message: MessageSpec;
  /** The rate's bucket and pace. */
  bucket: string;
  ratePerSecond: number;
  concurrency: number;
  /** The workflow's clock (virtual in tests): a row whose decision ran out before its slot is not sent. */
  now(): Date;
  log: ActivityLogger;
}

export interface SendGroupResult {
  sent: number;
  failed: number;
  /** Rows a newer decision withdrew (or that expired) since this group's re-ask. */
  dropped: number;
  /** The first transient or configuration failure: its row (and the rows not reached) stay pending. */
  failure?: { key: string; classified: Classified };
}

/** A group with its rows locked and its attempts started: `close` must follow, whatever happens. */
export interface OpenGroup {
  /** The provider calls; with `skip`, none (the batch stopped first): the group is closed unsent. */
  call(skip?: boolean): Promise<Call[]>;
  /** Records what the calls came to, commits, releases the rows. */
  close(calls: readonly Call[]): Promise<SendGroupResult>;
}

const NOTHING: OpenGroup = {
  call: () => Promise.resolve([]),
  close: () => Promise.resolve({ sent: 0, failed: 0, dropped: 0 }),
};

/** `rows`: the group's rows the re-ask allowed; `rendered`: their messages (campaign-render.ts renderGroup). */
export async function openCampaignGroup(
  deps: SendGroupDependencies,
  rows: readonly OutboxEntry[],
  { ok, broken }: RenderedGroup,
  ctx: SendGroupContext,
): Promise<OpenGroup> {
  if (rows.length === 0) return NOTHING;
  // Counted before the lock is taken, on the pool (see countAttempt): survives a crash during the calls.
  await countAttempts(
    deps.pool,
    ok.map((r) => r.row.idempotencyKey),
  );
  const client = await deps.pool.connect();
  let plan: CallPlan;
  let locked: OutboxEntry[];
  let recovered: number;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(deps.lockTimeoutMs ?? 30_000))}`);
    locked = await readOutboxRows(
      client,
      rows.map((r) => r.idempotencyKey),
      true,
    );
    // The last check: only rows still pending under the lock are attempted (a concurrent attempt sent some).
    const pending = new Map(locked.filter((r) => r.state === 'pending').map((r) => [r.idempotencyKey, r]));
    // An acceptance a concurrent attempt wrote on its attempt row before its worker died: recorded here, not
    // sent again. Only a row counted more than once (this group counted each just now) can have one.
    const recorded = await recordUnrecordedAcceptances(
      client,
      locked.filter((r) => r.attempts > 1),
    );
    for (const key of recorded) pending.delete(key);
    recovered = recorded.size;
    const callable = ok.flatMap((r) => {
      const row = pending.get(r.row.idempotencyKey);
      return row ? [{ row, rendered: r.rendered }] : [];
    });
    broken = broken.filter((b) => pending.has(b.row.idempotencyKey));
    const slots = await reserveSlots(deps.pool, ctx.bucket, ctx.ratePerSecond, callable.length);
    const reservedAt = performance.now();
    // Last, in one statement: nothing fails between these rows' commit and the calls they announce.
    const attemptIds = await startAttempts(
      deps.pool,
      callable.map((r) => r.row.idempotencyKey),
      attemptNumber(),
    );
    plan = { rows: callable, attemptIds, reservedAt, slots };
  } catch (err) {
    const lost = isConnectionError(err);
    if (!lost) await client.query('ROLLBACK').catch(() => undefined);
    client.release(lost);
    throw err;
  }
  // A row settled meanwhile is reported as deliver reports it (its own attempt's count is lost with it).
  const settled = (state: OutboxEntry['state']): number => locked.filter((r) => r.state === state).length;
  const templateErrors = broken;
  // On the pool, not on `client`: its transaction holds the rows FOR UPDATE until close and commits only then,
  // and the attempt rows the log writes are not among its locks (campaign-group-accepted.ts).
  const ahead = acceptanceLog(deps.pool, ctx.log);
  return {
    call: (skip) =>
      callGroup(deps.transports, plan, {
        concurrency: ctx.concurrency,
        now: () => ctx.now(),
        skip,
        accepted: (attemptId, providerId) => ahead.accepted(attemptId, providerId),
      }),
    async close(calls) {
      // The last write ahead ends before the group writes the same attempt rows (it would wait for it).
      await ahead.settled();
      let done;
      try {
        done = await recordGroup(client, calls, templateErrors);
        await client.query('COMMIT');
        client.release();
      } catch (err) {
        const lost = isConnectionError(err);
        if (!lost) await client.query('ROLLBACK').catch(() => undefined);
        client.release(lost);
        const accepted = acceptancesOf(calls);
        if (accepted.length === 0) throw err;
        // The provider has these messages: their record must not be lost with the connection (or the retry
        // would send them again). The other outcomes are not: their rows stay pending and are asked again.
        await recordAcceptancesAfresh(deps.pool, accepted, err, ctx.log);
        return { sent: accepted.length, failed: 0, dropped: 0 };
      }
      for (const c of done.refused)
        if (c.failure.feedback) await applyPendingFeedback(deps.pool, c.row.idempotencyKey, ctx.log);
      const first = done.transient[0];
      return {
        sent: done.accepted.length + settled('sent') + recovered,
        failed: templateErrors.length + done.refused.length + settled('failed'),
        dropped: settled('withdrawn') + settled('expired'),
        ...(first ? { failure: { key: first.row.idempotencyKey, classified: first.failure } } : {}),
      };
    },
  };
}
