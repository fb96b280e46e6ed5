// Bulk siblings of store.ts for a campaign's delivery group: the same statements over many rows at once (one
// unnest() each), so a group of 200 messages costs the same few round trips as a group of 2. Same guards as
// their single-row versions: only a pending row is changed, a sent row is never reopened.
import type { MessageSpec, Verdict, DecisionReason } from '../rules/model';
import type { Pool, PoolClient } from '../db/pool';
import { toEntry, OUTBOX_COLUMNS, type OutboxEntry } from './store';

type Db = Pool | PoolClient;

/** The outbox rows of `keys` (those that exist), in key order; `forUpdate` locks them in that order. */
export async function readOutboxRows(
  db: Db,
  keys: readonly string[],
  forUpdate = false,
): Promise<OutboxEntry[]> {
  if (keys.length === 0) return [];
  // Key order: two transactions locking overlapping groups take their row locks in the same order (no cycle).
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE idempotency_key = ANY($1::text[])
      ORDER BY idempotency_key${forUpdate ? ' FOR UPDATE' : ''}`,
    [keys],
  );
  return rows.map(toEntry);
}

export interface DecisionRow {
  key: string;
  workflowId: string;
  step: string;
  contactId: string;
  runChain: string | null;
  verdict: Verdict;
  notBefore?: string;
  reasons: DecisionReason[];
  validUntil?: Date;
}

/** appendDecision for many messages decided at once with one message and rule set; ids by message key. */
export async function appendDecisions(
  db: Db,
  shared: { at: Date; message: MessageSpec; rulesHash: string; attempt: number; askedBy: 'deliver' },
  rows: readonly DecisionRow[],
): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const m = shared.message;
  const { rows: ids } = await db.query<{ id: string; key: string }>(
    `INSERT INTO decision_log (at, workflow_id, step, contact_id, channel, message_type, resource, category,
                               verdict, not_before, reasons, rules_hash, message_key, run_chain, attempt,
                               valid_until, asked_by)
     SELECT $1, t.workflow_id, t.step, t.contact_id, $2, $3, $4, $5, t.verdict, t.not_before, t.reasons::jsonb,
            $6, t.key, t.run_chain, $7, t.valid_until, $8
       FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                   $15::timestamptz[], $16::text[], $17::timestamptz[])
         AS t(key, workflow_id, step, contact_id, run_chain, verdict, not_before, reasons, valid_until)
     RETURNING id, message_key AS key`,
    [
      shared.at,
      m.channel,
      m.type,
      m.resource ?? null,
      m.category ?? null,
      shared.rulesHash,
      shared.attempt,
      shared.askedBy,
      rows.map((r) => r.key),
      rows.map((r) => r.workflowId),
      rows.map((r) => r.step),
      rows.map((r) => r.contactId),
      rows.map((r) => r.runChain),
      rows.map((r) => r.verdict),
      rows.map((r) => r.notBefore ?? null),
      rows.map((r) => JSON.stringify(r.reasons)),
      rows.map((r) => r.validUntil ?? null),
    ],
  );
  return new Map(ids.map((r) => [r.key, r.id]));
}

/** The re-asked rules still say send: the row gets the address, decision and validity (campaign-recheck). */
export async function promiseSends(
  db: Db,
  rows: readonly { key: string; address: string; decisionId: string; validUntil: Date }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE outbox o SET address = t.address, decision_id = t.decision_id, valid_until = t.valid_until,
            not_before = NULL
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[]) AS t(key, address, decision_id, valid_until)
      WHERE o.idempotency_key = t.key AND o.state = 'pending'`,
    [
      rows.map((r) => r.key),
      rows.map((r) => r.address),
      rows.map((r) => r.decisionId),
      rows.map((r) => r.validUntil),
    ],
  );
}

/** Deferred again: stays pending until `notBefore`. Returns the keys changed (a row sent meanwhile is not). */
export async function deferRows(
  db: Db,
  rows: readonly { key: string; notBefore: string; decisionId: string }[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: changed } = await db.query<{ key: string }>(
    `UPDATE outbox o SET not_before = t.not_before, decision_id = t.decision_id,
            decision_round = o.decision_round + 1
       FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS t(key, not_before, decision_id)
      WHERE o.idempotency_key = t.key AND o.state = 'pending'
     RETURNING o.idempotency_key AS key`,
    [rows.map((r) => r.key), rows.map((r) => r.notBefore), rows.map((r) => r.decisionId)],
  );
  return new Set(changed.map((r) => r.key));
}

/**
 * withdrawOutbox for many rows: each row's state afterwards. Two statements for the reason moveOutbox gives: the
 * UPDATE waits for a delivery holding a row, the SELECT after it sees what that delivery committed.
 */
export async function withdrawRows(
  db: Db,
  keys: readonly string[],
): Promise<Map<string, OutboxEntry['state']>> {
  if (keys.length === 0) return new Map();
  await db.query(
    `UPDATE outbox SET state = 'withdrawn' WHERE idempotency_key = ANY($1::text[]) AND state = 'pending'`,
    [keys],
  );
  const { rows } = await db.query<{ key: string; state: OutboxEntry['state'] }>(
    'SELECT idempotency_key AS key, state FROM outbox WHERE idempotency_key = ANY($1::text[])',
    [keys],
  );
  return new Map(rows.map((r) => [r.key, r.state]));
}

/** countAttempt for a group: committed on its own before the rows are locked (see sendGroup). */
export async function countAttempts(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.query(
    `UPDATE outbox SET attempts = attempts + 1, last_attempt_at = now()
      WHERE idempotency_key = ANY($1::text[]) AND state = 'pending'`,
    [keys],
  );
}

/** markSent for the group's acceptances (unconditional, as markSent: the provider has the message). */
export async function markSentRows(
  db: Db,
  rows: readonly { key: string; providerId: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE outbox o SET state = 'sent', provider_id = t.provider_id, sent_at = now()
       FROM unnest($1::text[], $2::text[]) AS t(key, provider_id) WHERE o.idempotency_key = t.key`,
    [rows.map((r) => r.key), rows.map((r) => r.providerId)],
  );
}

/** markFailed for many rows: template errors and refusals of one group. */
export async function markFailedRows(
  db: Db,
  rows: readonly { key: string; type: string; error: string; feedback?: 'hard_bounce' | 'unsubscribe' }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE outbox o SET state = 'failed', failure_type = t.type, error = t.error, feedback = t.feedback
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(key, type, error, feedback)
      WHERE o.idempotency_key = t.key AND o.state = 'pending'`,
    [
      rows.map((r) => r.key),
      rows.map((r) => r.type),
      rows.map((r) => r.error),
      rows.map((r) => r.feedback ?? null),
    ],
  );
}

/** noteError for many rows: transient failures, the rows stay pending. */
export async function noteErrors(db: Db, rows: readonly { key: string; error: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE outbox o SET error = t.error FROM unnest($1::text[], $2::text[]) AS t(key, error)
      WHERE o.idempotency_key = t.key AND o.state = 'pending'`,
    [rows.map((r) => r.key), rows.map((r) => r.error)],
  );
}
