// The rules' answer for one contact and message at one instant, as both decideStep and deliver ask it. Fails
// closed: a broken rule set or an evaluator error suppresses the message and says why. A database that cannot
// be reached is different: the error propagates and Temporal retries, because suppressing every message
// during an outage would silently drop them.
import { decideSend, type RuleSet } from '../rules';
import { decisionValidUntil } from '../rules/validity';
import {
  VERDICTS,
  type ContactProfile,
  type DecisionReason,
  type HistoryEntry,
  type MessageSpec,
  type Verdict,
} from '../rules/model';
import { loadProfiles } from '../db/contacts/profile';
import type { Pool, PoolClient } from '../db/pool';
import type { ActivityLogger } from './context';
import { scrubAddresses } from './mask';

export interface Evaluation {
  verdict: Verdict;
  reasons: DecisionReason[];
  notBefore?: string;
  address?: string;
  rulesHash: string;
  contact?: ContactProfile;
  ruleSet?: RuleSet;
  /** The history the caps counted, when one was read. */
  history?: HistoryEntry[];
}

/** Why a contact that does not exist gets nothing. */
export function notFoundReason(contactId: string): DecisionReason {
  return {
    rule: 'contact-not-found',
    message: `Contact ${contactId} does not exist (deleted or never added).`,
  };
}

/** A fail-closed suppression's reason; the error text (`detail`) is scrubbed of the contact's addresses. */
export function closedReason(
  rule: string,
  what: string,
  err: unknown,
  contact?: ContactProfile,
): DecisionReason & { detail: string } {
  const detail = err instanceof Error ? err.message : String(err);
  const text = scrubAddresses(detail, contact?.subscriptions.map((s) => s.address) ?? []);
  return { rule, message: `Suppressed because ${what}: ${text}`, detail: text };
}

/**
 * `deps.pool` may be a transaction's client: decideStep evaluates inside the transaction that writes the
 * outbox row. `history` reads the messages caps count (activities/history.ts); without it, none.
 */
export async function evaluate(
  deps: { pool: Pool | PoolClient; rules: { current(): RuleSet } },
  ref: { contactId: string; messageKey: string },
  message: MessageSpec,
  at: Date,
  log: ActivityLogger,
  history?: (ruleSet: RuleSet) => Promise<HistoryEntry[]>,
): Promise<Evaluation> {
  const failClosed = (
    rule: string,
    what: string,
    err: unknown,
    rulesHash: string,
    contact?: ContactProfile,
  ) => {
    const reason = closedReason(rule, what, err, contact);
    log.warn(`decision failed closed: ${what}`, {
      messageKey: ref.messageKey,
      contactId: ref.contactId,
      error: reason.detail,
    });
    return {
      verdict: 'suppress' as const,
      reasons: [{ rule, message: reason.message }],
      rulesHash,
      ...(contact ? { contact } : {}),
    };
  };

  let ruleSet: RuleSet;
  try {
    ruleSet = deps.rules.current();
  } catch (err) {
    return failClosed('rules-unavailable', 'no valid rule set is loaded', err, 'unavailable');
  }
  const contact = (await loadProfiles(deps.pool, [ref.contactId])).get(ref.contactId);
  if (!contact)
    return { verdict: 'suppress', reasons: [notFoundReason(ref.contactId)], rulesHash: ruleSet.hash };
  const past = history ? await history(ruleSet) : undefined;
  const judged = judgeLoaded(ruleSet, contact, message, at, past);
  if ('error' in judged)
    return failClosed('decision-error', 'the rules could not decide', judged.error, ruleSet.hash, contact);
  return judged;
}

/**
 * The rules' answer for a loaded contact and history: decideSend, checked (a verdict the rest of the system
 * cannot act on is an error), with every reason scrubbed of the contact's addresses. decideStep (through
 * evaluate) and the campaigns' batch decision (campaigns/decide-batch.ts) both answer through this.
 */
export function judgeLoaded(
  ruleSet: RuleSet,
  contact: ContactProfile,
  message: MessageSpec,
  at: Date,
  past: HistoryEntry[] | undefined,
): Evaluation | { error: unknown } {
  const addresses = contact.subscriptions.map((s) => s.address);
  try {
    const d = decideSend(ruleSet, { contact, message, at, ...(past ? { history: past } : {}) });
    if (!VERDICTS.includes(d.verdict)) throw new Error(`unknown verdict "${String(d.verdict)}"`);
    if (d.verdict === 'send' && !d.address) throw new Error('verdict send without an address');
    if (d.verdict === 'defer' && (!d.notBefore || Number.isNaN(Date.parse(d.notBefore)))) {
      throw new Error('verdict defer without a valid notBefore');
    }
    if (d.verdict !== 'send' && d.reasons.length === 0)
      throw new Error(`verdict ${d.verdict} without reasons`);
    return {
      verdict: d.verdict,
      // Rule messages are free text: make sure none of them smuggles an address into the history.
      reasons: d.reasons.map((r) => ({ rule: r.rule, message: scrubAddresses(r.message, addresses) })),
      ...(d.verdict === 'defer' ? { notBefore: new Date(d.notBefore as string).toISOString() } : {}),
      ...(d.verdict === 'send' ? { address: d.address } : {}),
      rulesHash: d.rules || ruleSet.hash,
      contact,
      ruleSet,
      ...(past ? { history: past } : {}),
    };
  } catch (err) {
    return { error: err };
  }
}

/**
 * How long a send answer holds by the clock alone (rules/validity.ts), at most `maxMs` after `at`; undefined
 * for any other answer, or one made without a rule set and contact (nothing to ask again).
 */
export function sendValidUntil(
  ev: Evaluation,
  message: MessageSpec,
  at: Date,
  maxMs: number,
): Date | undefined {
  if (ev.verdict !== 'send' || !ev.ruleSet || !ev.contact) return undefined;
  const decision = { verdict: ev.verdict, address: ev.address, reasons: ev.reasons, rules: ev.rulesHash };
  const input = { contact: ev.contact, message, at, ...(ev.history ? { history: ev.history } : {}) };
  return new Date(decisionValidUntil(ev.ruleSet, input, decision, maxMs));
}
