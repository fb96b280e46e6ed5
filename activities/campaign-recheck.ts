// Right before a campaign row is delivered, the rules are asked again for this contact, now: the batch decision
// may be hours old (a 1 msg/s rate, a deferred window), and a contact who unsubscribed since, hit a cap or
// entered quiet hours must win over it. The same evaluation deliver's own re-ask uses, serialized per contact
// like decideStep (caps count the contact's history). The answer fills the row's address and decision, so the
// existing deliver then sends it exactly as it sends any step's message.
import type { RuleSet } from '../rules';
import type { MessageSpec } from '../rules/model';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import type { ActivityLogger } from './context';
import { DEFAULT_VALID_FOR_MS } from './decide';
import { evaluate, sendValidUntil } from './evaluate';
import { lockContact, readHistory } from './history';
import { honestOutcome, writeOutcome } from './outcomes';
import { appendDecision, readOutbox, withdrawOutbox } from './store';

export type Recheck =
  | { state: 'send' }
  | { state: 'deferred'; notBefore: string }
  | { state: 'suppressed' }
  /** The row is no longer pending (sent by an earlier attempt, withdrawn, failed): nothing to do. */
  | { state: 'settled' };

export async function recheckCampaignRow(
  deps: { pool: Pool; rules: { current(): RuleSet } },
  key: string,
  message: MessageSpec,
  now: Date,
  maxDefers: number,
  attempt: number,
  log: ActivityLogger,
): Promise<Recheck> {
  return inTransaction(deps.pool, async (client) => {
    const row = await readOutbox(client, key);
    if (!row || row.state !== 'pending') return { state: 'settled' };
    await lockContact(client, row.contactId);
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
    const ev = await evaluate(
      { ...deps, pool: client },
      { contactId: row.contactId, messageKey: key },
      message,
      now,
      log,
      (rs) => readHistory(client, rs, row.contactId, key, now),
    );
    let { verdict, reasons } = ev;
    const defers = row.decisionRound;
    if (verdict === 'defer' && defers >= maxDefers) {
      verdict = 'suppress';
      reasons = [
        ...reasons,
        { rule: 'workflow:max-defers', message: `Deferred ${defers} times already; not sent.` },
      ];
    }
    const validUntil =
      verdict === 'send' ? (sendValidUntil(ev, message, now, DEFAULT_VALID_FOR_MS) ?? now) : undefined;
    const decisionId = await appendDecision(client, {
      at: now,
      workflowId: row.workflowId,
      step: row.step,
      contactId: row.contactId,
      message,
      verdict,
      ...(verdict === 'defer' && ev.notBefore ? { notBefore: ev.notBefore } : {}),
      reasons,
      rulesHash: ev.rulesHash,
      messageKey: key,
      ...(row.runChain ? { runChain: row.runChain } : {}),
      attempt,
      ...(validUntil ? { validUntil } : {}),
      askedBy: 'deliver',
    });
    if (verdict === 'send' && ev.address) {
      await client.query(
        `UPDATE outbox SET address = $2, decision_id = $3, valid_until = $4, not_before = NULL
          WHERE idempotency_key = $1 AND state = 'pending'`,
        [key, ev.address, decisionId, validUntil],
      );
      return { state: 'send' };
    }
    const ref = {
      workflowId: row.workflowId,
      runChain: row.runChain ?? row.workflowId,
      runId: '',
      step: row.step,
      messageKey: key,
      contactId: row.contactId,
    };
    if (verdict === 'defer' && ev.notBefore) {
      // Stays pending: the delivery pass picks it up when its window opens.
      await client.query(
        `UPDATE outbox SET not_before = $2, decision_id = $3, decision_round = decision_round + 1
          WHERE idempotency_key = $1 AND state = 'pending'`,
        [key, ev.notBefore, decisionId],
      );
      await writeOutcome(client, ref, message, {
        outcome: 'deferred',
        verdict,
        reasons,
        defers: defers + 1,
        notBefore: ev.notBefore,
        decisionId,
      });
      return { state: 'deferred', notBefore: ev.notBefore };
    }
    const state = await withdrawOutbox(client, key);
    if (state === 'sent') return { state: 'settled' };
    const told = await honestOutcome(client, row, 'suppressed', reasons);
    await writeOutcome(client, ref, message, {
      outcome: told.outcome,
      verdict: 'suppress',
      reasons: told.reasons,
      defers,
      decisionId,
    });
    return { state: 'suppressed' };
  });
}
