// recordOutcome: the send step's last word when no other activity could give it: the business deadline passed
// (expired), the automation's stop condition came true while the step waited (stopped), or an activity failed
// with a bug (failed, internal). Under the message's row lock: if a delivery got through first, the truth is
// `sent` and that is what it records and returns.
import type { DecisionReason, Verdict } from '../rules/model';
import type { FailureKind, StepOutcome } from '../contracts/automation-result';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { ActivityErrorType, nonRetryable } from './errors';
import { honestOutcome, readOutcome, writeOutcome, type StepRef } from './outcomes';
import { expireOutbox, readOutbox } from './store';
import { lockMessages } from './history';

export interface RecordOutcomeInput extends StepRef {
  message: { channel: string; type: string };
  outcome: Extract<StepOutcome, 'expired' | 'stopped' | 'failed'>;
  verdict: Verdict;
  reasons: DecisionReason[];
  defers?: number;
  failure?: { kind: FailureKind; detail: string };
}

export interface RecordOutcomeResult {
  outcome: StepOutcome;
  verdict: Verdict;
  reasons: DecisionReason[];
}

export function createRecordOutcome(deps: { pool: Pool }) {
  return async function recordOutcome(input: RecordOutcomeInput): Promise<RecordOutcomeResult> {
    if (!input || typeof input.messageKey !== 'string' || !input.messageKey) {
      throw nonRetryable(ActivityErrorType.InvalidActivityInput, 'recordOutcome input needs a messageKey.');
    }
    return inTransaction(deps.pool, async (client) => {
      await lockMessages(client, [input.messageKey]);
      // Waits for a delivery attempt still holding the row (a zombie), then sees what it did.
      const row = await readOutbox(client, input.messageKey, true);
      const state = row ? await expireOutbox(client, input.messageKey) : undefined;
      if (state === 'sent' || state === 'failed') {
        const settled = await readOutcome(client, input.messageKey);
        if (settled) return { outcome: settled.outcome, verdict: settled.verdict, reasons: settled.reasons };
      }
      // Expired or stopped after an attempt that may have got through: `unconfirmed`, not a claim it did not.
      const told = await honestOutcome(client, row, input.outcome, input.reasons);
      await writeOutcome(client, input, input.message, {
        outcome: told.outcome,
        verdict: input.verdict,
        reasons: told.reasons,
        defers: input.defers ?? 0,
        failureKind: input.failure?.kind ?? null,
        detail: input.failure?.detail ?? null,
        decisionId: row?.decisionId ?? null,
      });
      return { outcome: told.outcome, verdict: input.verdict, reasons: told.reasons };
    });
  };
}
