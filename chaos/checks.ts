// The counting rules of a chaos run (docs/chaos.md), as a pure function of what the run observed: the sinks'
// copies, PostgreSQL's decision_log / outbox (and step_outcomes when it exists), the workflows' own step
// records, the consent withdrawals the harness committed and the faults it injected. No I/O here, so the
// rules are unit-tested on synthetic data (test/chaos/checks.test.ts).
import { FINAL_OUTCOMES } from '../contracts/automation-result';
import type { ChaosChannel, ReceivedCopy } from './sink-faults';

export interface DecisionRow {
  id: string;
  /** workflow_id || ':' || step: the idempotency key the step's message would carry. */
  key: string;
  workflowId: string;
  contactId: string;
  channel: ChaosChannel;
  messageType: string;
  verdict: 'send' | 'suppress' | 'defer';
  decidedAt: number;
}

export interface OutboxRow {
  key: string;
  state: 'pending' | 'sent' | 'failed';
  decisionId: string | null;
}

/** step_outcomes (migration 0012), when the table exists. */
export interface StepOutcomeRow {
  key: string;
  outcome: string;
  decisionId: string | null;
}

/** What a workflow's own step record says (its result or `steps` query). */
export interface WorkflowStepRecord {
  key: string;
  workflowId: string;
  verdict: string;
  delivery?: string;
}

/** One transport call (delivery_attempts), written right before the call. */
export interface AttemptRow {
  key: string;
  startedAt: number;
  /** null: the call's answer was never committed (the worker or its connection died during it). */
  result: string | null;
  /** The transport handed the message over and heard nothing (timeout, dropped connection). */
  maybeAccepted: boolean;
}

export interface Withdrawal {
  contactId: string;
  channel: ChaosChannel;
  /** Epoch ms at which the harness saw the withdrawal's transaction commit (after COMMIT returned). */
  committedAt: number;
}

export interface HarnessFault {
  kind: string;
  at: number;
}

export type WorkflowState = 'running' | 'completed' | 'failed' | 'other';

export interface CheckInput {
  copies: ReceivedCopy[];
  decisions: DecisionRow[];
  outbox: OutboxRow[];
  stepOutcomes?: StepOutcomeRow[];
  /** delivery_attempts, when the schema has it: duplicates are then explained by the calls themselves. */
  attempts?: AttemptRow[];
  workflowSteps: WorkflowStepRecord[];
  workflowStates: Map<string, WorkflowState>;
  withdrawals: Withdrawal[];
  harnessFaults: HarnessFault[];
  /** Message types consent does not govern (rules/message-types.json): excluded from the withdrawal check. */
  transactionalTypes: Set<string>;
  /** A copy must arrive more than this long after the withdrawal commit to count (default 5 s). */
  withdrawalToleranceMs?: number;
  /** The deciding decision must be this much younger than the withdrawal commit (default 1 s). */
  decisionGraceMs?: number;
}

/** Faults that can lose a provider's answer after it accepted: the worker or its database connection died. */
const COMMIT_LOSING_FAULTS = new Set(['worker-sigkill', 'pg-terminate']);

export interface Finding {
  key: string;
  reason: string;
  detail?: string;
}

export interface DuplicateFinding {
  key: string;
  channel: ChaosChannel;
  /**
   * With delivery_attempts, from the call that produced the earlier copy (the last one started before it
   * arrived): `accepted-then-dropped` when that call heard no answer (maybe_accepted), `accepted-then-commit-lost`
   * when its answer was never committed (result NULL: worker killed, connection terminated). `unexplained` when it
   * was recorded accepted (yet the message went again), answered with a refusal, or there was no call: a bug.
   * Without the table (older schema): from the sink's own drop, else a worker kill or PostgreSQL termination
   * between the two copies.
   */
  cause: 'accepted-then-dropped' | 'accepted-then-commit-lost' | 'unexplained';
  /** Harness faults (worker kills, PostgreSQL terminations, server restarts) between the two copies. */
  faultsBetween: string[];
  /** Every copy of the key carried the same Message-ID / idempotency header. */
  sameHeader: boolean;
}

export interface CheckResult {
  decidedSend: number;
  receivedKeys: number;
  receivedCopies: number;
  unkeyedCopies: number;
  lost: Finding[];
  /** Send decided, no final outcome, workflow still running after the settle window. */
  unsettled: Finding[];
  duplicates: DuplicateFinding[];
  despiteSuppression: Finding[];
  afterWithdrawal: Finding[];
  headerMismatches: Finding[];
}

const FINAL = new Set<string>(FINAL_OUTCOMES);

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Decisions in the order they were made (decided_at, then id: ids are a sequence). */
function chronological(rows: DecisionRow[]): DecisionRow[] {
  return [...rows].sort((a, b) => a.decidedAt - b.decidedAt || Number(a.id) - Number(b.id));
}

export function checkRun(input: CheckInput): CheckResult {
  const tolerance = input.withdrawalToleranceMs ?? 5_000;
  const grace = input.decisionGraceMs ?? 1_000;
  const decisionsByKey = groupBy(input.decisions, (d) => d.key);
  for (const [k, rows] of decisionsByKey) decisionsByKey.set(k, chronological(rows));
  const decisionById = new Map(input.decisions.map((d) => [d.id, d]));
  const outboxByKey = new Map(input.outbox.map((o) => [o.key, o]));
  const outcomeByKey = new Map((input.stepOutcomes ?? []).map((o) => [o.key, o]));
  const stepByKey = new Map(input.workflowSteps.map((s) => [s.key, s]));
  const keyed = input.copies.filter((c): c is ReceivedCopy & { key: string } => c.key !== undefined);
  const copiesByKey = groupBy(keyed, (c) => c.key);
  const withdrawalsBy = groupBy(input.withdrawals, (w) => `${w.contactId}\u0000${w.channel}`);
  const attemptsByKey = input.attempts ? groupBy(input.attempts, (a) => a.key) : undefined;
  for (const list of attemptsByKey?.values() ?? []) list.sort((a, b) => a.startedAt - b.startedAt);
  /** The call that produced a copy: the last one started before the copy arrived. */
  const callOf = (key: string, copy: ReceivedCopy): AttemptRow | undefined =>
    attemptsByKey
      ?.get(key)
      ?.filter((a) => a.startedAt <= copy.receivedAt)
      .pop();

  const result: CheckResult = {
    decidedSend: 0,
    receivedKeys: copiesByKey.size,
    receivedCopies: input.copies.length,
    unkeyedCopies: input.copies.length - keyed.length,
    lost: [],
    unsettled: [],
    duplicates: [],
    despiteSuppression: [],
    afterWithdrawal: [],
    headerMismatches: [],
  };

  // Lost: recorded as sent without a copy, or a final send decision that never reached a final outcome.
  const keys = new Set([...decisionsByKey.keys(), ...outboxByKey.keys(), ...outcomeByKey.keys()]);
  for (const key of keys) {
    const decisions = decisionsByKey.get(key) ?? [];
    const last = decisions[decisions.length - 1];
    if (last?.verdict === 'send') result.decidedSend++;
    const hasCopy = copiesByKey.has(key);
    const outcome = outcomeByKey.get(key)?.outcome;
    const saysSent = [
      outboxByKey.get(key)?.state === 'sent' ? 'outbox' : '',
      outcome === 'sent' ? 'step_outcomes' : '',
      stepByKey.get(key)?.delivery === 'sent' ? 'workflow step record' : '',
    ].filter(Boolean);
    if (saysSent.length && !hasCopy) {
      result.lost.push({ key, reason: 'recorded sent, no sink copy', detail: saysSent.join(', ') });
      continue;
    }
    if (last?.verdict !== 'send' || hasCopy) continue;
    const finalOutcome =
      input.stepOutcomes !== undefined
        ? outcome !== undefined && FINAL.has(outcome)
        : ['sent', 'failed'].includes(outboxByKey.get(key)?.state ?? '');
    if (finalOutcome) continue;
    const state = input.workflowStates.get(last.workflowId);
    const finding = {
      key,
      reason: 'send decided, no final outcome',
      detail: `workflow ${state ?? 'unknown'}; outbox ${outboxByKey.get(key)?.state ?? 'none'}${
        outcome ? `; step_outcomes ${outcome}` : ''
      }`,
    };
    if (state === 'running') result.unsettled.push(finding);
    else result.lost.push(finding);
  }

  for (const [key, copies] of copiesByKey) {
    const sorted = [...copies].sort((a, b) => a.receivedAt - b.receivedAt);
    // Duplicates: every copy after the first, explained only by the sink's own dropped-after-accept.
    const ids = new Set(sorted.map((c) => c.messageId ?? c.headerKey ?? ''));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as ReceivedCopy;
      const cur = sorted[i] as ReceivedCopy;
      const faultsBetween = input.harnessFaults
        .filter((f) => f.at >= prev.receivedAt && f.at <= cur.receivedAt)
        .map((f) => f.kind);
      result.duplicates.push({
        key,
        channel: cur.channel,
        cause: attemptsByKey
          ? causeFromCall(callOf(key, prev))
          : prev.droppedAfterAccept
            ? 'accepted-then-dropped'
            : faultsBetween.some((k) => COMMIT_LOSING_FAULTS.has(k))
              ? 'accepted-then-commit-lost'
              : 'unexplained',
        faultsBetween,
        sameHeader: ids.size === 1,
      });
    }
    for (const c of sorted) {
      if (c.headerKey !== undefined && c.headerKey !== key) {
        result.headerMismatches.push({
          key,
          reason: 'idempotency header differs from Message-ID',
          detail: c.headerKey,
        });
      }
    }

    const decisions = decisionsByKey.get(key) ?? [];
    const outcome = outcomeByKey.get(key)?.outcome;
    for (const copy of sorted) {
      // Delivered despite suppression: the latest decision made before the call that carried the copy started
      // (before the copy arrived, without delivery_attempts) was not send.
      const sentAt = callOf(key, copy)?.startedAt ?? copy.receivedAt;
      const before = decisions.filter((d) => d.decidedAt <= sentAt);
      const latest = before[before.length - 1];
      if (!latest || latest.verdict !== 'send') {
        result.despiteSuppression.push({
          key,
          reason: latest
            ? `latest decision before the copy: ${latest.verdict}`
            : 'no decision before the copy',
        });
        break;
      }
      if (outcome === 'suppressed') {
        result.despiteSuppression.push({ key, reason: 'final outcome suppressed, yet a copy arrived' });
        break;
      }
      // Delivered after consent withdrawn: see docs/chaos.md for the exact rule.
      if (input.transactionalTypes.has(latest.messageType)) continue;
      const outboxDecision = outboxByKey.get(key)?.decisionId;
      const deciding = (outboxDecision && decisionById.get(outboxDecision)) || latest;
      const withdrawals = withdrawalsBy.get(`${latest.contactId}\u0000${latest.channel}`) ?? [];
      const hit = withdrawals.find(
        (w) => copy.receivedAt > w.committedAt + tolerance && deciding.decidedAt > w.committedAt + grace,
      );
      if (hit) {
        result.afterWithdrawal.push({
          key,
          reason: 'copy after withdrawal commit, decided after it',
          detail: `withdrawn ${new Date(hit.committedAt).toISOString()}, decided ${new Date(
            deciding.decidedAt,
          ).toISOString()}, received ${new Date(copy.receivedAt).toISOString()}`,
        });
        break;
      }
    }
  }
  return result;
}

function causeFromCall(call: AttemptRow | undefined): DuplicateFinding['cause'] {
  if (call?.result === null) return 'accepted-then-commit-lost';
  if (call?.maybeAccepted) return 'accepted-then-dropped';
  return 'unexplained';
}
