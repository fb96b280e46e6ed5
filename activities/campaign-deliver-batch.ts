// Sends one campaign delivery group (rows the rules just allowed again, campaign-recheck-batch.ts) with deliver's
// guarantees, in bulk: the group's template fields in one read; its attempts counted and committed before the
// rows are locked (the lock holder would otherwise wait for itself); the rows locked FOR UPDATE in key order from
// the last check through the provider calls to the recorded outcomes, so a concurrent attempt on a row (a zombie
// after a heartbeat timeout) waits, then sees `sent`; the attempt rows committed on their own before the first
// call (a crash during a call leaves them saying "may have been sent"); the key as the provider's idempotency
// token; at most `concurrency` calls in flight, each in a slot of the shared rate; then the outcomes of the whole
// group in one commit, an acceptance whose commit is lost recorded afresh. A template error or a refusal is that
// row's recorded outcome, never the group's; a transient failure leaves its row pending and is returned.
import type { MessageSpec } from '../rules/model';
import type { RuleSet } from '../rules';
import type { Pool } from '../db/pool';
import { isConnectionError } from '../db/errors';
import type { LinkConfig } from '../contracts/link-config';
import { attemptNumber, cancellationSignal, heartbeat, type ActivityLogger } from './context';
import type { Rendered, RenderedGroup } from './campaign-render';
import { recordAcceptances, recordAcceptancesAfresh, type Acceptance } from './deliver-accepted';
import { applyPendingFeedback } from './deliver-feedback';
import { callTransport, classify, type Classified } from './deliver-transport';
import { ActivityErrorType } from './errors';
import type { StepRef } from './outcomes';
import {
  dropUncalledAttempts,
  finishAttempts,
  startAttempts,
  writeOutcomes,
  type AttemptFinish,
} from './outcomes-batch';
import { reserveSlots, waitFor } from './rate-limit';
import type { OutboxEntry } from './store';
import { countAttempts, markFailedRows, noteErrors, readOutboxRows } from './store-batch';
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

type Call = { row: OutboxEntry; attemptId: string } & (
  { providerId: string } | { failure: Classified } | { skipped: true }
);

/** `rows`: the group's rows the re-ask allowed; `rendered`: their messages (campaign-render.ts renderGroup). */
export async function sendCampaignGroup(
  deps: SendGroupDependencies,
  rows: readonly OutboxEntry[],
  { ok, broken }: RenderedGroup,
  ctx: SendGroupContext,
): Promise<SendGroupResult> {
  if (rows.length === 0) return { sent: 0, failed: 0, dropped: 0 };
  // Counted before the lock is taken, on the pool (see countAttempt): survives a crash during the calls.
  await countAttempts(
    deps.pool,
    ok.map((r) => r.row.idempotencyKey),
  );
  const client = await deps.pool.connect();
  let lost = false;
  let accepted: Acceptance[] = [];
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(deps.lockTimeoutMs ?? 30_000))}`);
    // The last check: only rows still pending under the lock are attempted (a concurrent attempt sent some).
    const all = await readOutboxRows(
      client,
      rows.map((r) => r.idempotencyKey),
      true,
    );
    const locked = new Map(all.filter((r) => r.state === 'pending').map((r) => [r.idempotencyKey, r]));
    // A row settled meanwhile is reported as deliver reports it (its own attempt's count is lost with it).
    const settled = (state: OutboxEntry['state']): number => all.filter((r) => r.state === state).length;
    const callable = ok.flatMap((r) => {
      const row = locked.get(r.row.idempotencyKey);
      return row ? [{ row, rendered: r.rendered }] : [];
    });
    const failedTemplates = broken.filter((b) => locked.has(b.row.idempotencyKey));
    const calls = await callAll(deps, callable, ctx);
    accepted = calls.flatMap((c) =>
      'providerId' in c ? [acceptance(c.row, c.attemptId, c.providerId)] : [],
    );
    const refused = calls.flatMap((c) => ('failure' in c && c.failure.kind === 'permanent' ? [c] : []));
    const transient = calls.flatMap((c) => ('failure' in c && c.failure.kind !== 'permanent' ? [c] : []));
    await finishAttempts(
      client,
      calls.flatMap((c): AttemptFinish[] =>
        'failure' in c
          ? [
              {
                id: c.attemptId,
                result: c.failure.kind,
                detail: c.failure.detail,
                maybeAccepted: c.failure.maybeAccepted,
              },
            ]
          : [],
      ),
    );
    await dropUncalledAttempts(
      client,
      calls.flatMap((c) => ('skipped' in c ? [c.attemptId] : [])),
    );
    await markFailedRows(client, [
      ...failedTemplates.map((b) => ({
        key: b.row.idempotencyKey,
        type: ActivityErrorType.TemplateError,
        error: b.detail,
      })),
      ...refused.map((c) => ({
        key: c.row.idempotencyKey,
        type: ActivityErrorType.PermanentDeliveryFailure,
        error: c.failure.detail,
        ...(c.failure.feedback ? { feedback: c.failure.feedback } : {}),
      })),
    ]);
    await noteErrors(
      client,
      transient.map((c) => ({ key: c.row.idempotencyKey, error: c.failure.detail })),
    );
    await writeOutcomes(client, [
      ...failedTemplates.map((b) => ({
        ref: refOf(b.row),
        message: messageOf(b.row),
        o: {
          outcome: 'failed' as const,
          verdict: 'send' as const,
          reasons: [{ rule: 'deliver:template', message: `The template could not be rendered: ${b.detail}` }],
          failureKind: 'template' as const,
          detail: b.detail,
          decisionId: b.row.decisionId,
        },
      })),
      ...refused.map((c) => ({
        ref: refOf(c.row),
        message: messageOf(c.row),
        o: {
          outcome: 'failed' as const,
          verdict: 'send' as const,
          reasons: [
            { rule: 'deliver:refused', message: `The provider refused the message: ${c.failure.detail}` },
          ],
          failureKind: 'recipient-refused' as const,
          detail: c.failure.detail,
          decisionId: c.row.decisionId,
        },
      })),
    ]);
    await recordAcceptances(client, accepted);
    await client.query('COMMIT');
    for (const c of refused)
      if (c.failure.feedback) await applyPendingFeedback(deps.pool, c.row.idempotencyKey, ctx.log);
    const first = transient[0];
    return {
      sent: accepted.length + settled('sent'),
      failed: failedTemplates.length + refused.length + settled('failed'),
      dropped: settled('withdrawn') + settled('expired'),
      ...(first ? { failure: { key: first.row.idempotencyKey, classified: first.failure } } : {}),
    };
  } catch (err) {
    lost = isConnectionError(err);
    if (!lost) await client.query('ROLLBACK').catch(() => undefined);
    if (accepted.length === 0) throw err;
    // The provider has these messages: their record must not be lost with the connection (or the retry
    // would send them again). The other outcomes are not: their rows stay pending and are asked again.
    await recordAcceptancesAfresh(deps.pool, accepted, err, ctx.log);
    return { sent: accepted.length, failed: 0, dropped: 0 };
  } finally {
    client.release(lost);
  }
}

/**
 * The calls of the locked rows: their attempt rows committed first (on the pool: this transaction holds the
 * rows), one rate reservation for all of them, then at most `concurrency` in flight. Cancellation stops new
 * calls at once (the transport aborts those in flight); a transient failure stops its pool slot, as a failed
 * single delivery would.
 */
async function callAll(
  deps: SendGroupDependencies,
  rows: Rendered[],
  ctx: SendGroupContext,
): Promise<Call[]> {
  if (rows.length === 0) return [];
  const ids = await startAttempts(
    deps.pool,
    rows.map((r) => r.row.idempotencyKey),
    attemptNumber(),
  );
  const slots = await reserveSlots(deps.pool, ctx.bucket, ctx.ratePerSecond, rows.length);
  const start = performance.now();
  const signal = cancellationSignal();
  const calls: (Call | undefined)[] = new Array<Call | undefined>(rows.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length && !signal?.aborted) {
      const i = next++;
      const r = rows[i] as Rendered;
      const base = { row: r.row, attemptId: ids.get(r.row.idempotencyKey) as string };
      try {
        await waitFor(start + slots.firstMs + i * slots.gapMs - performance.now(), signal, heartbeat);
      } catch {
        return; // cancelled while waiting for the slot
      }
      // The decision made for this group holds until valid_until (quiet hours may begin): not after.
      if (r.row.validUntil && ctx.now().getTime() > r.row.validUntil.getTime()) continue;
      try {
        const receipt = await callTransport(deps.transports, r.row, r.rendered);
        calls[i] = { ...base, providerId: receipt.providerId };
      } catch (err) {
        const failure = classify(err, r.row.address);
        calls[i] = { ...base, failure };
        if (failure.kind !== 'permanent') return;
      }
      heartbeat();
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency, rows.length) }, () => worker()));
  // Rows whose call never started (cancelled, every slot stopped by a failure, decision ran out): not called.
  return rows.map(
    (r, i) =>
      calls[i] ?? { row: r.row, attemptId: ids.get(r.row.idempotencyKey) as string, skipped: true as const },
  );
}

function refOf(row: OutboxEntry): StepRef {
  return {
    workflowId: row.workflowId,
    runChain: row.runChain ?? row.workflowId,
    runId: '',
    step: row.step,
    messageKey: row.idempotencyKey,
    contactId: row.contactId,
  };
}

function messageOf(row: OutboxEntry): { channel: OutboxEntry['channel']; type: string } {
  return { channel: row.channel, type: row.messageType };
}

function acceptance(row: OutboxEntry, attemptId: string, providerId: string): Acceptance {
  return { ref: refOf(row), message: messageOf(row), attemptId, providerId, decisionId: row.decisionId };
}
