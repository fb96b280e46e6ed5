// decideStep: the question every send step asks. In one transaction serialized per contact and per message
// (advisory locks on the contact id, then the message key), loads the contact and the history its caps count,
// evaluates the current rule set and writes the decision log row, the outbox row a send verdict promises, and
// the step's outcome. The result goes into the Temporal history: ids,
// verdicts and reasons, never an address.
import type { RuleSet } from '../rules';
import type { DecisionReason, MessageSpec, Verdict } from '../rules/model';
import type { StepOutcome } from '../contracts/automation-result';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { activityLogger, attemptNumber, type ActivityLogger } from './context';
import { checkDecideInput } from './decide-input';
import { evaluate, sendValidUntil } from './evaluate';
import { honestOutcome, readOutcome, writeOutcome, type StepRef } from './outcomes';
import { appendDecision, readOutbox, upsertOutbox, withdrawOutbox, type TemplateVars } from './store';
import { lockContact, lockMessages, readHistory } from './history';

export interface DecideStepInput extends StepRef {
  message: MessageSpec & { template: string };
  /** Virtual instant the workflow asks for; the decision is made for max(at, now + clockOffsetMs). */
  at?: string;
  /** The workflow's virtual clock offset (CommonInput.clockStart); 0 in production. */
  clockOffsetMs?: number;
  /** Non-personal values for the template (order id, cart total...). They are stored with the outbox row. */
  vars?: TemplateVars;
  /** Which decision of the step this is (0, then +1 after each defer or renewed question). */
  round?: number;
  /** Defers so far; at `maxDefers` a further defer becomes a suppression (fail closed). */
  defers?: number;
  maxDefers?: number;
  /** How long a send decision may stay valid at most (the rules may make it shorter). */
  validForMs?: number;
}

export interface DecideStepResult {
  verdict: Verdict;
  /** Set when the step is settled (or deferred) by this decision; absent for a send still to deliver. */
  outcome?: StepOutcome;
  reasons: DecisionReason[];
  /** UTC ISO instant, only for `defer`. */
  notBefore?: string;
  /** Virtual UTC ISO instant until which a send decision holds. */
  validUntil?: string;
  /** The virtual instant the decision was made for. */
  decidedAt: string;
  rulesHash: string;
  /** The decision_log row id ('' when no new decision was needed). */
  decisionId: string;
  messageKey: string;
  defers: number;
  /**
   * Nothing new was decided: the answer repeats a decision made earlier (the step asked again after its
   * message went out), or this attempt was superseded by a newer one that committed first (Temporal discards
   * its result). Metrics do not count it again.
   */
  repeated?: true;
}

export interface DecideDependencies {
  pool: Pool;
  rules: { current(): RuleSet };
  log?: ActivityLogger;
}

export const DEFAULT_VALID_FOR_MS = 60_000;

const SUPERSEDED: DecisionReason = {
  rule: 'workflow:superseded',
  message: 'A newer attempt of this decision committed first; its send stands and this answer is not used.',
};
export const DEFAULT_MAX_DEFERS = 5;

export function createDecideStep(deps: DecideDependencies) {
  return async function decideStep(input: DecideStepInput): Promise<DecideStepResult> {
    const { message, template, at: asked } = checkDecideInput(input, deps.rules);
    const log = deps.log ?? activityLogger();
    const offset = input.clockOffsetMs ?? 0;
    const at = new Date(
      Math.max(asked.getTime(), input.clockOffsetMs === undefined ? 0 : Date.now() + offset),
    );
    const defers = input.defers ?? 0;

    return inTransaction(deps.pool, async (client) => {
      // One contact's decisions run one at a time (caps count its history, read below in this transaction),
      // and within it, attempts of one step (a local activity that stalled past its timeout and its retry).
      await lockContact(client, input.contactId);
      await lockMessages(client, [input.messageKey]);
      const ev = await evaluate({ ...deps, pool: client }, input, message, at, log, (rs) =>
        readHistory(client, rs, input.contactId, input.messageKey, at),
      );
      let { verdict, reasons } = ev;
      let notBefore = ev.notBefore;
      if (verdict === 'defer' && defers >= (input.maxDefers ?? DEFAULT_MAX_DEFERS)) {
        // A rule set that always defers must not loop forever: fail closed, and say so in both records.
        verdict = 'suppress';
        notBefore = undefined;
        reasons = [
          ...reasons,
          { rule: 'workflow:max-defers', message: `Deferred ${defers} times already; not sent.` },
        ];
      }
      // Only a send has a validity; a defer that became a suppression (max defers) has none.
      const validUntil =
        verdict === 'send'
          ? sendValidUntil(ev, message, at, input.validForMs ?? DEFAULT_VALID_FOR_MS)
          : undefined;
      const attempt = attemptNumber() ?? 1;
      const round = input.round ?? 0;
      const base = { decidedAt: at.toISOString(), rulesHash: ev.rulesHash, messageKey: input.messageKey };
      const existing = await readOutcome(client, input.messageKey);
      if (existing && existing.runChain !== input.runChain) {
        // Another run chain owns this business message (a replayed event id): never send it twice.
        const dup: DecisionReason = {
          rule: 'workflow:duplicate',
          message: `This message was already handled by another run of the same business event (outcome: ${existing.outcome}); not sent again.`,
        };
        const decisionId = await appendDecision(client, {
          ...decisionFields(input, message, at, attempt),
          verdict: 'suppress',
          reasons: [dup],
          rulesHash: ev.rulesHash,
        });
        return { ...base, verdict: 'suppress', outcome: 'duplicate', reasons: [dup], decisionId, defers };
      }
      const row = await readOutbox(client, input.messageKey);
      if (row && (row.state === 'sent' || row.state === 'failed') && existing) {
        // Asked again after the message was delivered (a reset, a replayed step): report what happened.
        return {
          ...base,
          verdict: existing.verdict,
          outcome: existing.outcome,
          reasons: existing.reasons,
          decisionId: existing.decisionId ?? '',
          defers: existing.defers,
          repeated: true,
        };
      }
      if (
        row &&
        (row.decisionRound > round || (row.decisionRound === round && row.decisionAttempt > attempt))
      ) {
        // A newer attempt of this decision already committed; this one is a zombie whose result nobody reads.
        log.warn('decision superseded by a newer attempt', { messageKey: input.messageKey, round, attempt });
        // The answer that stands is the newer attempt's send (its outbox row): this attempt's own evaluation,
        // perhaps a suppression, was never committed and must not travel with it.
        return {
          ...base,
          verdict: 'send',
          reasons: [SUPERSEDED],
          decisionId: row.decisionId ?? '',
          defers,
          repeated: true,
        };
      }
      const decisionId = await appendDecision(client, {
        ...decisionFields(input, message, at, attempt),
        verdict,
        notBefore,
        reasons,
        rulesHash: ev.rulesHash,
        validUntil,
      });
      if (verdict === 'send' && ev.address) {
        await upsertOutbox(client, {
          idempotencyKey: input.messageKey,
          workflowId: input.workflowId,
          step: input.step,
          contactId: input.contactId,
          channel: message.channel,
          messageType: message.type,
          address: ev.address,
          template,
          templateVars: input.vars ?? {},
          decisionId,
          runChain: input.runChain,
          validUntil: validUntil ?? at,
          decisionRound: round,
          decisionAttempt: attempt,
        });
        return {
          ...base,
          verdict,
          reasons,
          decisionId,
          validUntil: (validUntil ?? at).toISOString(),
          defers,
        };
      }
      const state = row ? await withdrawOutbox(client, input.messageKey) : undefined;
      if (state === 'sent') {
        // A delivery got through before this decision: the message is out, and the record must say so.
        const sent = (await readOutcome(client, input.messageKey)) ?? existing;
        return {
          ...base,
          verdict: 'send',
          outcome: 'sent',
          reasons: sent?.reasons ?? reasons,
          decisionId,
          defers,
        };
      }
      // A suppression after an attempt that may have got through says so (`unconfirmed`); a defer stays a defer:
      // its retry is the same message under the same key, which the provider can recognise.
      const told = await honestOutcome(client, row, verdict === 'defer' ? 'deferred' : 'suppressed', reasons);
      const outcome = told.outcome;
      reasons = told.reasons;
      const nextDefers = verdict === 'defer' ? defers + 1 : defers;
      await writeOutcome(client, input, message, {
        outcome,
        verdict,
        reasons,
        defers: nextDefers,
        notBefore: notBefore ?? null,
        decisionId,
      });
      return {
        ...base,
        verdict,
        outcome,
        reasons,
        decisionId,
        defers: nextDefers,
        ...(notBefore ? { notBefore } : {}),
      };
    });
  };
}

function decisionFields(input: DecideStepInput, message: MessageSpec, at: Date, attempt: number) {
  return {
    at,
    workflowId: input.workflowId,
    step: input.step,
    contactId: input.contactId,
    message,
    messageKey: input.messageKey,
    runChain: input.runChain,
    runId: input.runId,
    attempt,
  };
}
