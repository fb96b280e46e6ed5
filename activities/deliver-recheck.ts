// A delivery that runs after its decision stopped being valid, or any retry attempt, asks the rules again
// before it calls a provider: a STOP in the meantime, or quiet hours that began, must win. The new answer is a
// decision log row of its own (asked_by = deliver).
import type { MessageSpec } from '../rules/model';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/transaction';
import type { ActivityLogger } from './context';
import { DEFAULT_VALID_FOR_MS } from './decide';
import type { DeliveryResult } from './deliver';
import { evaluate, sendValidUntil } from './evaluate';
import { lockMessages, readHistory } from './history';
import { appendDecision, decisionScope, renewOutbox, withdrawOutbox, type OutboxEntry } from './store';
import type { RuleSet } from '../rules';

/** undefined: still allowed (the row now carries the new decision); else what deliver returns instead. */
export async function askAgain(
  deps: { pool: Pool; rules: { current(): RuleSet } },
  entry: OutboxEntry,
  now: Date,
  attempt: number,
  runId: string | undefined,
  log: ActivityLogger,
): Promise<DeliveryResult | undefined> {
  const message = await messageOf(deps.pool, entry);
  const ref = { contactId: entry.contactId, messageKey: entry.idempotencyKey };
  // Caps count the contact's other messages: this one's own row is not history yet.
  const ev = await evaluate(deps, ref, message, now, log, (rs) =>
    readHistory(deps.pool, rs, entry.contactId, entry.idempotencyKey, now),
  );
  const stillSend = ev.verdict === 'send' && ev.address === entry.address;
  const validUntil = stillSend ? sendValidUntil(ev, message, now, DEFAULT_VALID_FOR_MS) : undefined;
  return inTransaction(deps.pool, async (client) => {
    await lockMessages(client, [entry.idempotencyKey]);
    const decisionId = await appendDecision(client, {
      at: now,
      workflowId: entry.workflowId,
      step: entry.step,
      contactId: entry.contactId,
      message,
      verdict: ev.verdict,
      ...(ev.notBefore ? { notBefore: ev.notBefore } : {}),
      reasons: ev.reasons,
      rulesHash: ev.rulesHash,
      messageKey: entry.idempotencyKey,
      ...(entry.runChain ? { runChain: entry.runChain } : {}),
      ...(runId ? { runId } : {}),
      attempt,
      ...(validUntil ? { validUntil } : {}),
      askedBy: 'deliver',
    });
    if (stillSend && validUntil) {
      await renewOutbox(client, entry.idempotencyKey, decisionId, validUntil);
      return undefined;
    }
    // Suppressed, deferred, or another address now: withdraw this row; decideStep makes the new decision the
    // step's record (and, for a new address, a new row). A row already sent stays sent.
    const state = await withdrawOutbox(client, entry.idempotencyKey);
    if (state === 'sent') return { state: 'sent', channel: entry.channel };
    log.info('delivery withdrawn: the rules no longer allow it now', {
      messageKey: entry.idempotencyKey,
      verdict: ev.verdict,
    });
    return { state: 'redecide', channel: entry.channel, reasons: ev.reasons };
  });
}

async function messageOf(pool: Pool, entry: OutboxEntry): Promise<MessageSpec> {
  return {
    channel: entry.channel,
    type: entry.messageType,
    ...(await decisionScope(pool, entry.decisionId)),
  };
}
