// Reads what the run left behind into the shapes checks.ts counts: PostgreSQL's decision_log and outbox (and
// step_outcomes / delivery_attempts when the schema has them), and the workflows on the run's task queue.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type {
  AttemptRow,
  DecisionRow,
  OutboxRow,
  StepOutcomeRow,
  WorkflowState,
  WorkflowStepRecord,
} from './checks';

export interface PgFacts {
  decisions: DecisionRow[];
  outbox: OutboxRow[];
  stepOutcomes?: StepOutcomeRow[];
  /** Rows of delivery_attempts by result, when the table exists. */
  deliveryAttempts?: Record<string, number>;
  /** Every transport call, when the table exists. */
  attempts?: AttemptRow[];
}

async function hasTable(pool: pg.Pool, name: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
    [name],
  );
  return (rowCount ?? 0) > 0;
}

export async function readPgFacts(pool: pg.Pool): Promise<PgFacts> {
  const decisions = await pool.query<{
    id: string;
    message_key: string | null;
    key: string;
    workflow_id: string;
    step: string;
    contact_id: string;
    channel: 'email' | 'sms';
    message_type: string;
    verdict: 'send' | 'suppress' | 'defer';
    decided_at: Date;
  }>(
    // message_key exists from migration 0012 on; before it the key was workflow_id:step.
    `SELECT id::text, to_jsonb(d) ->> 'message_key' AS message_key, workflow_id || ':' || step AS key, workflow_id, step,
            contact_id, channel, message_type, verdict, decided_at
       FROM decision_log d WHERE workflow_id IS NOT NULL AND step IS NOT NULL`,
  );
  const outbox = await pool.query<{
    key: string;
    workflow_id: string;
    step: string;
    state: OutboxRow['state'];
    decision_id: string | null;
  }>(`SELECT idempotency_key AS key, workflow_id, step, state, decision_id::text AS decision_id FROM outbox`);
  const outcomes = (await hasTable(pool, 'step_outcomes'))
    ? (
        await pool.query<{
          key: string;
          workflow_id: string;
          step: string;
          outcome: string;
          decision_id: string | null;
        }>(
          `SELECT message_key AS key, workflow_id, step, outcome, decision_id::text AS decision_id FROM step_outcomes`,
        )
      ).rows
    : undefined;
  // A decision's key is the one its step's message carries: taken from the outbox or step_outcomes row of the
  // same workflow and step when there is one, so a change of key format does not break the join.
  const keyOf = new Map<string, string>();
  for (const r of [...(outcomes ?? []), ...outbox.rows]) keyOf.set(`${r.workflow_id}\u0000${r.step}`, r.key);
  const facts: PgFacts = {
    decisions: decisions.rows.map((r) => ({
      id: r.id,
      key: r.message_key ?? keyOf.get(`${r.workflow_id}\u0000${r.step}`) ?? r.key,
      workflowId: r.workflow_id,
      contactId: r.contact_id,
      channel: r.channel,
      messageType: r.message_type,
      verdict: r.verdict,
      decidedAt: r.decided_at.getTime(),
    })),
    outbox: outbox.rows.map((r) => ({ key: r.key, state: r.state, decisionId: r.decision_id })),
  };
  if (outcomes) {
    facts.stepOutcomes = outcomes.map((r) => ({ key: r.key, outcome: r.outcome, decisionId: r.decision_id }));
  }
  if (await hasTable(pool, 'delivery_attempts')) {
    const { rows } = await pool.query<{
      key: string;
      started_at: Date;
      result: string | null;
      maybe_accepted: boolean | null;
    }>(
      // maybe_accepted exists from migration 0014 on.
      `SELECT message_key AS key, started_at, result, (to_jsonb(a) ->> 'maybe_accepted')::boolean AS maybe_accepted
         FROM delivery_attempts a ORDER BY id`,
    );
    facts.attempts = rows.map((r) => ({
      key: r.key,
      startedAt: r.started_at.getTime(),
      result: r.result,
      maybeAccepted: r.maybe_accepted === true,
    }));
    const byResult: Record<string, number> = {};
    for (const a of facts.attempts) {
      const k = a.result === null ? 'unfinished' : a.maybeAccepted ? `${a.result} (no answer)` : a.result;
      byResult[k] = (byResult[k] ?? 0) + 1;
    }
    facts.deliveryAttempts = byResult;
  }
  return facts;
}

/** A step record of any version: before the redesign without messageKey / outcome. */
interface StepRecordShape {
  step: string;
  verdict: string;
  messageKey?: string;
  outcome?: string;
  delivery?: string;
}

export interface TemporalFacts {
  states: Map<string, WorkflowState>;
  byStatus: Record<string, number>;
  steps: WorkflowStepRecord[];
  /** Completed workflows whose result could not be read. */
  unreadResults: number;
}

export async function readTemporalFacts(client: Client, taskQueue: string): Promise<TemporalFacts> {
  const states = new Map<string, WorkflowState>();
  const byStatus: Record<string, number> = {};
  const completed: string[] = [];
  for await (const w of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    const status = w.status.name;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const state: WorkflowState =
      status === 'RUNNING'
        ? 'running'
        : status === 'COMPLETED'
          ? 'completed'
          : status === 'FAILED'
            ? 'failed'
            : 'other';
    // Several runs of one id (signal-with-start after the end): the running or latest one wins.
    if (states.get(w.workflowId) !== 'running') states.set(w.workflowId, state);
    if (state === 'completed') completed.push(w.workflowId);
  }
  const steps: WorkflowStepRecord[] = [];
  let unreadResults = 0;
  // The step records of completed runs, a few at a time (the server is shared with nothing else by now).
  const queue = [...new Set(completed)];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        try {
          const result = (await client.workflow.getHandle(id).result()) as { steps?: unknown[] };
          for (const s of (result.steps ?? []) as StepRecordShape[]) {
            // Since the send-step redesign a record names its message key and its outcome.
            const sent = s.outcome === 'sent' || s.delivery === 'sent';
            steps.push({
              key: s.messageKey ?? `${id}:${s.step}`,
              workflowId: id,
              verdict: s.verdict,
              ...(sent ? { delivery: 'sent' } : s.delivery ? { delivery: s.delivery } : {}),
            });
          }
        } catch {
          unreadResults++;
        }
      }
    }),
  );
  return { states, byStatus, steps, unreadResults };
}

export async function countRunning(client: Client, taskQueue: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({
    query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
  })) {
    n++;
  }
  return n;
}
