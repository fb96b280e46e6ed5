// Bulk siblings of outcomes.ts for a campaign's delivery group: the step outcomes and the delivery attempts of
// many messages in one statement each, with the same meaning as the single-row functions.
import type { DecisionReason } from '../rules/model';
import type { StepOutcome } from '../contracts/automation-result';
import type { Pool, PoolClient } from '../db/pool';
import {
  OUTCOME_UPSERT,
  unconfirmedReason,
  type AttemptResult,
  type StepRef,
  type writeOutcome,
} from './outcomes';

type Db = Pool | PoolClient;

export interface OutcomeWrite {
  ref: StepRef;
  message: { channel: string; type: string };
  o: Parameters<typeof writeOutcome>[3];
}

/** writeOutcome for many messages (distinct keys): the same upsert, the same run-chain guard. */
export async function writeOutcomes(db: Db, rows: readonly OutcomeWrite[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: OutcomeWrite) => T): T[] => rows.map(f);
  await db.query(
    `INSERT INTO step_outcomes (message_key, workflow_id, run_chain, run_id, step, contact_id, channel, message_type,
                                outcome, verdict, reasons, defers, not_before, failure_kind, detail, decision_id)
     SELECT t.key, t.workflow_id, t.run_chain, t.run_id, t.step, t.contact_id, t.channel, t.message_type, t.outcome,
            t.verdict, t.reasons::jsonb, t.defers, t.not_before, t.failure_kind, t.detail, t.decision_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[], $12::int[], $13::timestamptz[], $14::text[], $15::text[],
                   $16::bigint[])
         AS t(key, workflow_id, run_chain, run_id, step, contact_id, channel, message_type, outcome, verdict,
              reasons, defers, not_before, failure_kind, detail, decision_id)
     ${OUTCOME_UPSERT}`,
    [
      col((r) => r.ref.messageKey),
      col((r) => r.ref.workflowId),
      col((r) => r.ref.runChain),
      col((r) => r.ref.runId),
      col((r) => r.ref.step),
      col((r) => r.ref.contactId),
      col((r) => r.message.channel),
      col((r) => r.message.type),
      col((r) => r.o.outcome),
      col((r) => r.o.verdict),
      col((r) => JSON.stringify(r.o.reasons)),
      col((r) => r.o.defers ?? 0),
      col((r) => r.o.notBefore ?? null),
      col((r) => r.o.failureKind ?? null),
      col((r) => r.o.detail ?? null),
      col((r) => r.o.decisionId ?? null),
    ],
  );
}

/** startAttempt for a group, committed before any of its transport calls; attempt row ids by message key. */
export async function startAttempts(
  db: Db,
  keys: readonly string[],
  attempt: number | undefined,
): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; key: string }>(
    `INSERT INTO delivery_attempts (message_key, attempt) SELECT k, $2 FROM unnest($1::text[]) AS k
     RETURNING id, message_key AS key`,
    [keys, attempt ?? null],
  );
  return new Map(rows.map((r) => [r.key, r.id]));
}

export interface AttemptFinish {
  id: string;
  result: AttemptResult;
  providerId?: string;
  detail?: string;
  maybeAccepted?: boolean;
}

/** finishAttempt for many attempt rows. */
export async function finishAttempts(db: Db, rows: readonly AttemptFinish[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE delivery_attempts a SET finished_at = now(), result = t.result, provider_id = t.provider_id,
            detail = t.detail, maybe_accepted = t.maybe_accepted
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[])
         AS t(id, result, provider_id, detail, maybe_accepted)
      WHERE a.id = t.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.result),
      rows.map((r) => r.providerId ?? null),
      rows.map((r) => r.detail ?? null),
      rows.map((r) => r.maybeAccepted ?? false),
    ],
  );
}

/**
 * Attempt rows of a group whose transport call never started (the batch was cancelled or stopped by a failure
 * first, or the row's decision ran out before its slot). They were written to say "a call may be in flight";
 * no call was made, so that claim is taken back in the same commit that records the group's outcomes, and a
 * later suppression of the row is not reported `unconfirmed` for a call that never happened. A crash before
 * that commit leaves them: then nobody knows, and `unconfirmed` is the honest answer.
 */
export async function dropUncalledAttempts(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('DELETE FROM delivery_attempts WHERE id = ANY($1::bigint[]) AND result IS NULL', [ids]);
}

/** honestOutcome for many rows ending without a delivery: `unconfirmed` where an attempt may have got through. */
export async function honestOutcomes(
  db: Db,
  keys: readonly string[],
  outcome: StepOutcome,
  reasons: (key: string) => DecisionReason[],
): Promise<Map<string, { outcome: StepOutcome; reasons: DecisionReason[] }>> {
  const out = new Map(keys.map((k) => [k, { outcome, reasons: reasons(k) }]));
  if (keys.length === 0) return out;
  // unansweredAttempt's question, for every key at once: the last call that may have reached the provider.
  const { rows } = await db.query<{ key: string; started_at: Date }>(
    `SELECT DISTINCT ON (a.message_key) a.message_key AS key, a.started_at FROM delivery_attempts a
      WHERE a.message_key = ANY($1::text[]) AND (a.result IS NULL OR a.maybe_accepted)
        AND NOT EXISTS (SELECT 1 FROM delivery_attempts b WHERE b.message_key = a.message_key AND b.result = 'accepted')
      ORDER BY a.message_key, a.id DESC`,
    [keys],
  );
  for (const r of rows)
    out.set(r.key, {
      outcome: 'unconfirmed',
      reasons: [unconfirmedReason(r.started_at, outcome), ...reasons(r.key)],
    });
  return out;
}
