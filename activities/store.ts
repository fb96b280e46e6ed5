// Two of the tables the activities own: the decision log (append-only) and the outbox (one row per message the
// rules allowed, keyed by the message key; see outcomes.ts for the other two). Plain SQL; each function takes a pool or a client so callers choose the
// transaction.
import type { Channel, DecisionReason, MessageSpec, Verdict } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';

type Db = Pool | PoolClient;

export type TemplateVars = Record<string, string | number | boolean>;

export interface DecisionRecord {
  at: Date;
  workflowId: string;
  step: string;
  contactId: string;
  message: MessageSpec;
  verdict: Verdict;
  notBefore?: string;
  reasons: DecisionReason[];
  rulesHash: string;
  messageKey?: string;
  runChain?: string;
  runId?: string;
  attempt?: number;
  validUntil?: Date;
  askedBy?: 'decideStep' | 'deliver';
}

export async function appendDecision(db: Db, r: DecisionRecord): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO decision_log (at, workflow_id, step, contact_id, channel, message_type, resource, category,
                               verdict, not_before, reasons, rules_hash, message_key, run_chain, run_id, attempt,
                               valid_until, asked_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
    [
      r.at,
      r.workflowId,
      r.step,
      r.contactId,
      r.message.channel,
      r.message.type,
      r.message.resource ?? null,
      r.message.category ?? null,
      r.verdict,
      r.notBefore ?? null,
      JSON.stringify(r.reasons),
      r.rulesHash,
      r.messageKey ?? null,
      r.runChain ?? null,
      r.runId ?? null,
      r.attempt ?? null,
      r.validUntil ?? null,
      r.askedBy ?? 'decideStep',
    ],
  );
  return (rows[0] as { id: string }).id;
}

export interface OutboxEntry {
  idempotencyKey: string;
  workflowId: string;
  step: string;
  contactId: string;
  channel: Channel;
  messageType: string;
  address: string;
  template: string;
  templateVars: TemplateVars;
  decisionId: string | null;
  runChain: string | null;
  /** Virtual instant after which a delivery must ask the rules again; null for rows of the first version. */
  validUntil: Date | null;
  decisionRound: number;
  decisionAttempt: number;
  state: 'pending' | 'sent' | 'failed' | 'withdrawn' | 'expired';
  attempts: number;
  providerId: string | null;
  error: string | null;
  failureType: string | null;
  feedback: 'hard_bounce' | 'unsubscribe' | null;
  feedbackAppliedAt: Date | null;
}

/**
 * Writes the row a send verdict promises. The step's attempts are serialized by an advisory lock (decide.ts), and
 * a row written by a newer (round, attempt) is never overwritten by an older one that commits late. A row that is
 * sent, failed or expired is never reopened.
 */
export async function upsertOutbox(
  db: Db,
  e: Pick<
    OutboxEntry,
    | 'idempotencyKey'
    | 'workflowId'
    | 'step'
    | 'contactId'
    | 'channel'
    | 'messageType'
    | 'address'
    | 'template'
    | 'templateVars'
    | 'decisionId'
    | 'runChain'
    | 'validUntil'
    | 'decisionRound'
    | 'decisionAttempt'
  >,
): Promise<void> {
  await db.query(
    `INSERT INTO outbox (idempotency_key, workflow_id, step, contact_id, channel, message_type, address, template,
                         template_vars, decision_id, run_chain, valid_until, decision_round, decision_attempt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (idempotency_key) DO UPDATE
       SET address = EXCLUDED.address,
           decision_id = EXCLUDED.decision_id, template = EXCLUDED.template,
           template_vars = EXCLUDED.template_vars, valid_until = EXCLUDED.valid_until,
           decision_round = EXCLUDED.decision_round, decision_attempt = EXCLUDED.decision_attempt,
           state = 'pending', error = NULL
       WHERE outbox.state IN ('pending', 'withdrawn')
         AND (outbox.decision_round, outbox.decision_attempt) <= (EXCLUDED.decision_round, EXCLUDED.decision_attempt)`,
    [
      e.idempotencyKey,
      e.workflowId,
      e.step,
      e.contactId,
      e.channel,
      e.messageType,
      e.address,
      e.template,
      JSON.stringify(e.templateVars),
      e.decisionId,
      e.runChain,
      e.validUntil,
      e.decisionRound,
      e.decisionAttempt,
    ],
  );
}

/**
 * A newer decision says suppress or defer: the row no longer promises a message. Returns the row's state
 * afterwards ('sent' when a delivery already got through: the truth wins over the new decision).
 */
export function withdrawOutbox(db: Db, key: string): Promise<OutboxEntry['state'] | undefined> {
  return moveOutbox(db, key, 'withdrawn', ['pending']);
}

/** The business deadline passed: a pending row becomes 'expired'. Returns the state afterwards. */
export function expireOutbox(db: Db, key: string): Promise<OutboxEntry['state'] | undefined> {
  return moveOutbox(db, key, 'expired', ['pending', 'withdrawn']);
}

/**
 * Two statements on purpose: the UPDATE waits for a delivery holding the row and re-checks the state it
 * commits, while a single statement's read would come from before the wait and miss a `sent`.
 */
async function moveOutbox(
  db: Db,
  key: string,
  to: OutboxEntry['state'],
  from: OutboxEntry['state'][],
): Promise<OutboxEntry['state'] | undefined> {
  await db.query('UPDATE outbox SET state = $2 WHERE idempotency_key = $1 AND state = ANY($3)', [
    key,
    to,
    from,
  ]);
  const { rows } = await db.query<{ state: OutboxEntry['state'] }>(
    'SELECT state FROM outbox WHERE idempotency_key = $1',
    [key],
  );
  return rows[0]?.state;
}

/** Resource and category of a message live with the decision that allowed it (the outbox row has neither). */
export async function decisionScope(
  db: Db,
  decisionId: string | null | undefined,
): Promise<{ resource?: string; category?: string }> {
  if (!decisionId) return {};
  const { rows } = await db.query<{ resource: string | null; category: string | null }>(
    'SELECT resource, category FROM decision_log WHERE id = $1',
    [decisionId],
  );
  const r = rows[0];
  return {
    ...(r?.resource ? { resource: r.resource } : {}),
    ...(r?.category ? { category: r.category } : {}),
  };
}

/** Deliver asked the rules again and they still say send: the row carries the new decision. */
export async function renewOutbox(db: Db, key: string, decisionId: string, validUntil: Date): Promise<void> {
  await db.query(
    `UPDATE outbox SET decision_id = $2, valid_until = $3 WHERE idempotency_key = $1 AND state = 'pending'`,
    [key, decisionId, validUntil],
  );
}

export const OUTBOX_COLUMNS = `idempotency_key, workflow_id, step, contact_id, channel, message_type, address, template,
  template_vars, decision_id, run_chain, valid_until, decision_round, decision_attempt, state, attempts, provider_id, error, failure_type, feedback, feedback_applied_at`;

export async function readOutbox(db: Db, key: string, forUpdate = false): Promise<OutboxEntry | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE idempotency_key = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [key],
  );
  return rows[0] ? toEntry(rows[0]) : undefined;
}

/** Counted in its own transaction before the transport is called, so it survives a crash during the call. */
export async function countAttempt(db: Db, key: string): Promise<void> {
  await db.query(
    `UPDATE outbox SET attempts = attempts + 1, last_attempt_at = now()
      WHERE idempotency_key = $1 AND state = 'pending'`,
    [key],
  );
}

/** The error of earlier attempts stays: delivery_attempts keeps each one, the row keeps the last. */
export async function markSent(db: Db, key: string, providerId: string): Promise<void> {
  await db.query(
    `UPDATE outbox SET state = 'sent', provider_id = $2, sent_at = now()
      WHERE idempotency_key = $1`,
    [key, providerId],
  );
}

export async function markFailed(
  db: Db,
  key: string,
  failure: { type: string; error: string; feedback?: 'hard_bounce' | 'unsubscribe' },
): Promise<void> {
  await db.query(
    `UPDATE outbox SET state = 'failed', failure_type = $2, error = $3, feedback = $4
      WHERE idempotency_key = $1 AND state = 'pending'`,
    [key, failure.type, failure.error, failure.feedback ?? null],
  );
}

/** A transient failure: the row stays pending, the error is kept for operators. */
export async function noteError(db: Db, key: string, error: string): Promise<void> {
  await db.query(`UPDATE outbox SET error = $2 WHERE idempotency_key = $1 AND state = 'pending'`, [
    key,
    error,
  ]);
}

export async function markFeedbackApplied(db: Db, key: string): Promise<void> {
  await db.query(`UPDATE outbox SET feedback_applied_at = now() WHERE idempotency_key = $1`, [key]);
}

export function toEntry(r: Record<string, unknown>): OutboxEntry {
  return {
    idempotencyKey: r.idempotency_key as string,
    workflowId: r.workflow_id as string,
    step: r.step as string,
    contactId: r.contact_id as string,
    channel: r.channel as Channel,
    messageType: r.message_type as string,
    address: r.address as string,
    template: (r.template as string | null) ?? '',
    templateVars: (r.template_vars as TemplateVars | null) ?? {},
    decisionId: (r.decision_id as string | null) ?? null,
    runChain: (r.run_chain as string | null) ?? null,
    validUntil: (r.valid_until as Date | null) ?? null,
    decisionRound: (r.decision_round as number | null) ?? 0,
    decisionAttempt: (r.decision_attempt as number | null) ?? 0,
    state: r.state as OutboxEntry['state'],
    attempts: r.attempts as number,
    providerId: (r.provider_id as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    failureType: (r.failure_type as string | null) ?? null,
    feedback: (r.feedback as OutboxEntry['feedback']) ?? null,
    feedbackAppliedAt: (r.feedback_applied_at as Date | null) ?? null,
  };
}
