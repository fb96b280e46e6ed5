// The other two tables the activities own. `step_outcomes`: one row per message (its key), the final outcome the
// workflow's step record also shows (docs/delivery.md). `delivery_attempts`: one row per transport call, written
// before the call, so an operator sees every acceptance a provider gave and every call a crash left unresolved.
import type { DecisionReason, Verdict } from '../rules/model';
import type { FailureKind, StepOutcome } from '../contracts/automation-result';
import type { Pool, PoolClient } from '../db/pool';
import type { OutboxEntry } from './store';

type Db = Pool | PoolClient;

/** Who a step belongs to: the same in every activity input of the step. */
export interface StepRef {
  workflowId: string;
  /** The first execution run id of the run chain: survives continue-as-new and reset. */
  runChain: string;
  runId: string;
  step: string;
  /** The message's idempotency key (see workflows/message-key.ts). */
  messageKey: string;
  contactId: string;
}

/** The step an outbox row belongs to, as its outcome is recorded (`runId`: the run that asks, if any). */
export function stepRefOf(entry: OutboxEntry, runId?: string): StepRef {
  return {
    workflowId: entry.workflowId,
    runChain: entry.runChain ?? entry.workflowId,
    runId: runId ?? '',
    step: entry.step,
    messageKey: entry.idempotencyKey,
    contactId: entry.contactId,
  };
}

/**
 * A step's outcome written again replaces the earlier one, within its run chain only (a reused workflow id
 * starts a chain of its own); the defers only grow and a decision id is never lost. writeOutcome and the
 * campaign groups' writeOutcomes (outcomes-batch.ts) both end their INSERT with it.
 */
export const OUTCOME_UPSERT = `ON CONFLICT (message_key) DO UPDATE
       SET run_id = EXCLUDED.run_id, outcome = EXCLUDED.outcome, verdict = EXCLUDED.verdict,
           reasons = EXCLUDED.reasons, defers = GREATEST(step_outcomes.defers, EXCLUDED.defers),
           not_before = EXCLUDED.not_before, failure_kind = EXCLUDED.failure_kind, detail = EXCLUDED.detail,
           decision_id = COALESCE(EXCLUDED.decision_id, step_outcomes.decision_id), updated_at = now()
       WHERE step_outcomes.run_chain = EXCLUDED.run_chain`;

export interface OutcomeRow {
  outcome: StepOutcome;
  verdict: Verdict;
  reasons: DecisionReason[];
  defers: number;
  notBefore: Date | null;
  failureKind: FailureKind | null;
  detail: string | null;
  decisionId: string | null;
  runChain: string;
}

export async function writeOutcome(
  db: Db,
  ref: StepRef,
  message: { channel: string; type: string },
  o: {
    outcome: StepOutcome;
    verdict: Verdict;
    reasons: DecisionReason[];
    defers?: number;
    notBefore?: string | null;
    failureKind?: FailureKind | null;
    detail?: string | null;
    decisionId?: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO step_outcomes (message_key, workflow_id, run_chain, run_id, step, contact_id, channel, message_type,
                                outcome, verdict, reasons, defers, not_before, failure_kind, detail, decision_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ${OUTCOME_UPSERT}`,
    [
      ref.messageKey,
      ref.workflowId,
      ref.runChain,
      ref.runId,
      ref.step,
      ref.contactId,
      message.channel,
      message.type,
      o.outcome,
      o.verdict,
      JSON.stringify(o.reasons),
      o.defers ?? 0,
      o.notBefore ?? null,
      o.failureKind ?? null,
      o.detail ?? null,
      o.decisionId ?? null,
    ],
  );
}

export async function readOutcome(db: Db, messageKey: string): Promise<OutcomeRow | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT outcome, verdict, reasons, defers, not_before, failure_kind, detail, decision_id, run_chain
       FROM step_outcomes WHERE message_key = $1`,
    [messageKey],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    outcome: r.outcome as StepOutcome,
    verdict: r.verdict as Verdict,
    reasons: r.reasons as DecisionReason[],
    defers: r.defers as number,
    notBefore: (r.not_before as Date | null) ?? null,
    failureKind: (r.failure_kind as FailureKind | null) ?? null,
    detail: (r.detail as string | null) ?? null,
    decisionId: (r.decision_id as string | null) ?? null,
    runChain: r.run_chain as string,
  };
}

export type AttemptResult = 'accepted' | 'transient' | 'configuration' | 'permanent';

/** Written (and committed) before the transport is called: a crash during the call leaves it unresolved. */
export async function startAttempt(db: Db, messageKey: string, attempt: number | undefined): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO delivery_attempts (message_key, attempt) VALUES ($1, $2) RETURNING id',
    [messageKey, attempt ?? null],
  );
  return (rows[0] as { id: string }).id;
}

export async function finishAttempt(
  db: Db,
  id: string,
  result: AttemptResult,
  r: { providerId?: string; detail?: string; maybeAccepted?: boolean } = {},
): Promise<void> {
  await db.query(
    `UPDATE delivery_attempts SET finished_at = now(), result = $2, provider_id = $3, detail = $4, maybe_accepted = $5
      WHERE id = $1`,
    [id, result, r.providerId ?? null, r.detail ?? null, r.maybeAccepted ?? false],
  );
}

/**
 * The last transport call of a message that may have reached the provider without us hearing so: it handed
 * the message over and heard nothing (`maybe_accepted`), or its answer was never written (the worker or its
 * connection died during the call). Read under the message's lock, after any attempt in flight has settled.
 */
export async function unansweredAttempt(
  db: Db,
  messageKey: string,
): Promise<{ startedAt: Date } | undefined> {
  const { rows } = await db.query<{ started_at: Date }>(
    `SELECT started_at FROM delivery_attempts
      WHERE message_key = $1 AND (result IS NULL OR maybe_accepted)
        AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.message_key = $1 AND a.result = 'accepted')
      ORDER BY id DESC LIMIT 1`,
    [messageKey],
  );
  return rows[0] ? { startedAt: rows[0].started_at } : undefined;
}

/**
 * The outcome to record when the step ends without a (further) delivery: `unconfirmed` instead of `suppressed`,
 * `expired` or `stopped` when an earlier attempt may have got through, with a reason saying so first. Only a
 * message with an outbox row (`row`) can have had an attempt: without one, nothing is read.
 */
export async function honestOutcome(
  db: Db,
  row: { idempotencyKey: string } | undefined,
  outcome: StepOutcome,
  reasons: DecisionReason[],
): Promise<{ outcome: StepOutcome; reasons: DecisionReason[] }> {
  if (!row || (outcome !== 'suppressed' && outcome !== 'expired' && outcome !== 'stopped'))
    return { outcome, reasons };
  const open = await unansweredAttempt(db, row.idempotencyKey);
  if (!open) return { outcome, reasons };
  return { outcome: 'unconfirmed', reasons: [unconfirmedReason(open.startedAt, outcome), ...reasons] };
}

/** The first reason of an `unconfirmed` outcome: the attempt that may have got through. */
export function unconfirmedReason(startedAt: Date, outcome: StepOutcome): DecisionReason {
  return {
    rule: 'deliver:unconfirmed',
    message:
      `An attempt at ${startedAt.toISOString()} handed the message to the provider and got no answer, ` +
      `so it may have been delivered; no further attempt was made (${outcome}: see the next reason).`,
  };
}
