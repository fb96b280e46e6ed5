// Right before a group of campaign rows is delivered, the rules are asked again for its contacts, now: the batch
// decision may be hours old (a slow rate, a deferred window), and a contact who unsubscribed since, hit a cap or
// entered quiet hours must win over it. One transaction per group, whatever its size: the contacts' locks (the
// ones decideStep takes, so caps count a settled history), the messages' locks, one decideBatch (the workers'
// own decision), then the decisions, the outbox rows and the outcomes written in bulk. Per row, the same answer
// and the same records as a single re-ask: send (address, decision and validity on the row), defer (not_before,
// decision_round; suppressed after `maxDefers`), suppress (withdrawn, outcome recorded, `unconfirmed` when an
// earlier attempt may have got through), or settled (no longer pending: nothing to do). A pending row whose
// earlier attempt the provider accepted (its worker died before recording it) is recorded sent, not asked.
import type { RuleSet } from '../rules';
import type { DecisionReason, MessageSpec } from '../rules/model';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { decideBatch, type BatchDecision } from '../campaigns/decide-batch';
import type { ActivityLogger } from './context';
import { DEFAULT_VALID_FOR_MS } from './decide';
import { closedReason } from './evaluate';
import { lockContacts, lockMessages } from './history';
import { recordUnrecordedAcceptances } from './deliver-accepted';
import { stepRefOf } from './outcomes';
import { honestOutcomes, writeOutcomes, type OutcomeWrite } from './outcomes-batch';
import type { OutboxEntry } from './store';
import {
  appendDecisions,
  deferRows,
  promiseSends,
  readOutboxRows,
  withdrawRows,
  type DecisionRow,
} from './store-batch';

export type GroupRecheck = {
  /** Rows still to send, with the address and decision now on them. */
  send: OutboxEntry[];
  /** Rows an earlier attempt got accepted without recording it: recorded sent now. */
  sent: number;
  deferred: number;
  suppressed: number;
};

export async function recheckCampaignGroup(
  deps: { pool: Pool; rules: { current(): RuleSet } },
  group: readonly { key: string; contactId: string }[],
  message: MessageSpec,
  now: Date,
  maxDefers: number,
  attempt: number,
  log: ActivityLogger,
): Promise<GroupRecheck> {
  return inTransaction(deps.pool, async (client) => {
    // Contact locks before message locks, as decideStep takes them: the two never wait on each other in a cycle.
    await lockContacts(
      client,
      group.map((r) => r.contactId),
    );
    await lockMessages(
      client,
      group.map((r) => r.key),
    );
    // A row no longer pending (sent by an earlier attempt, withdrawn, failed) is settled: nothing to ask.
    const read = (
      await readOutboxRows(
        client,
        group.map((r) => r.key),
      )
    ).filter((r) => r.state === 'pending');
    // Only a row counted as attempted can have an attempt: a first pass reads nothing more.
    const recorded = await recordUnrecordedAcceptances(
      client,
      read.filter((r) => r.attempts > 0),
    );
    const rows = read.filter((r) => !recorded.has(r.idempotencyKey));
    if (rows.length === 0) return { send: [], sent: recorded.size, deferred: 0, suppressed: 0 };
    const decided = await decide(client, deps.rules, rows, message, now, log);
    const verdicts = rows.map((row, i) => final(row, decided.decisions[i] as BatchDecision, maxDefers));
    const ids = await appendDecisions(
      client,
      { at: now, message, rulesHash: decided.rulesHash, attempt, askedBy: 'deliver' },
      rows.map((row, i): DecisionRow => ({
        key: row.idempotencyKey,
        workflowId: row.workflowId,
        step: row.step,
        contactId: row.contactId,
        runChain: row.runChain,
        verdict: verdicts[i]!.verdict,
        ...(verdicts[i]!.verdict === 'defer' && verdicts[i]!.notBefore
          ? { notBefore: verdicts[i]!.notBefore }
          : {}),
        reasons: verdicts[i]!.reasons,
        ...(verdicts[i]!.validUntil ? { validUntil: verdicts[i]!.validUntil } : {}),
      })),
    );
    const idOf = (row: OutboxEntry): string => ids.get(row.idempotencyKey) as string;
    const sends: OutboxEntry[] = [];
    const defers: { row: OutboxEntry; notBefore: string; reasons: DecisionReason[] }[] = [];
    const drops: { row: OutboxEntry; reasons: DecisionReason[] }[] = [];
    rows.forEach((row, i) => {
      const v = verdicts[i]!;
      if (v.verdict === 'send' && v.address) {
        sends.push({ ...row, address: v.address, decisionId: idOf(row), validUntil: v.validUntil as Date });
      } else if (v.verdict === 'defer' && v.notBefore)
        defers.push({ row, notBefore: v.notBefore, reasons: v.reasons });
      else drops.push({ row, reasons: v.reasons });
    });
    await promiseSends(
      client,
      sends.map((s) => ({
        key: s.idempotencyKey,
        address: s.address,
        decisionId: s.decisionId as string,
        validUntil: s.validUntil as Date,
      })),
    );
    const deferred = await deferRows(
      client,
      defers.map((d) => ({ key: d.row.idempotencyKey, notBefore: d.notBefore, decisionId: idOf(d.row) })),
    );
    const states = await withdrawRows(
      client,
      drops.map((d) => d.row.idempotencyKey),
    );
    // A row a delivery sent meanwhile stays sent: its outcome is that delivery's.
    const dropped = drops.filter((d) => states.get(d.row.idempotencyKey) !== 'sent');
    const reasonsOf = new Map(dropped.map((d) => [d.row.idempotencyKey, d.reasons]));
    const told = await honestOutcomes(
      client,
      [...reasonsOf.keys()],
      'suppressed',
      (key) => reasonsOf.get(key) ?? [],
    );
    const outcomes: OutcomeWrite[] = [
      ...defers
        .filter((d) => deferred.has(d.row.idempotencyKey))
        .map((d) =>
          outcome(d.row, message, {
            outcome: 'deferred',
            verdict: 'defer',
            reasons: d.reasons,
            defers: d.row.decisionRound + 1,
            notBefore: d.notBefore,
            decisionId: idOf(d.row),
          }),
        ),
      ...dropped.map((d) => {
        const t = told.get(d.row.idempotencyKey)!;
        return outcome(d.row, message, {
          outcome: t.outcome,
          verdict: 'suppress',
          reasons: t.reasons,
          defers: d.row.decisionRound,
          decisionId: idOf(d.row),
        });
      }),
    ];
    await writeOutcomes(client, outcomes);
    return {
      send: sends,
      sent: recorded.size,
      deferred: deferred.size,
      suppressed: dropped.length,
    };
  });
}

/** A send also holds until when (decideBatch's `validForMs`: as a single re-ask records it). */
type Verdicts = Pick<BatchDecision, 'verdict' | 'reasons' | 'notBefore' | 'address' | 'validUntil'>;

/** decideBatch under the group's locks; no loadable rule set fails closed for every row, as evaluate does. */
async function decide(
  client: Parameters<typeof decideBatch>[0],
  rules: { current(): RuleSet },
  rows: OutboxEntry[],
  message: MessageSpec,
  now: Date,
  log: ActivityLogger,
): Promise<{ decisions: BatchDecision[]; rulesHash: string }> {
  let ruleSet: RuleSet;
  try {
    ruleSet = rules.current();
  } catch (err) {
    const { detail, ...reason } = closedReason('rules-unavailable', 'no valid rule set is loaded', err);
    log.warn('decision failed closed: no valid rule set is loaded', { rows: rows.length, error: detail });
    const decisions = rows.map((r): BatchDecision => ({
      contactId: r.contactId,
      verdict: 'suppress',
      reasons: [reason],
      decidedBy: reason.rule,
    }));
    return { decisions, rulesHash: 'unavailable' };
  }
  // A row must not count itself against the caps it is checked against.
  const keyOf = new Map(rows.map((r) => [r.contactId, r.idempotencyKey]));
  const decisions = await decideBatch(
    client,
    ruleSet,
    rows.map((r) => r.contactId),
    message,
    now,
    { exceptKey: (contactId) => keyOf.get(contactId), validForMs: DEFAULT_VALID_FOR_MS },
  );
  return { decisions, rulesHash: ruleSet.hash };
}

/** The verdict to act on: a row deferred `maxDefers` times already is suppressed instead. */
function final(row: OutboxEntry, d: BatchDecision, maxDefers: number): Verdicts {
  if (d.verdict !== 'defer' || row.decisionRound < maxDefers) return d;
  const reason = {
    rule: 'workflow:max-defers',
    message: `Deferred ${row.decisionRound} times already; not sent.`,
  };
  return { verdict: 'suppress', reasons: [...d.reasons, reason] };
}

function outcome(row: OutboxEntry, message: MessageSpec, o: OutcomeWrite['o']): OutcomeWrite {
  return { ref: stepRefOf(row), message, o };
}
