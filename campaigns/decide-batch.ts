// The decision every send step makes (activities/evaluate.ts judgeLoaded: decideSend over the contact's
// profile and the history its caps count), for a batch of contacts at once: one profiles read and one
// history read per batch, never a query per contact. Campaign preview and campaign sends both use it.
import type { RuleSet } from '../rules';
import type { ContactProfile, DecisionReason, HistoryEntry, MessageSpec, Verdict } from '../rules/model';
import { DecisionFactsMap } from '../rules/decision-facts';
import { loadProfiles } from '../db/contacts/profile';
import type { Pool, PoolClient } from '../db/pool';
import type { ProfilePage } from '../db/contacts/profile-pages';
import {
  closedReason,
  judgeLoaded,
  notFoundReason,
  sendValidUntil,
  type Evaluation,
} from '../activities/evaluate';
import { readHistories } from '../activities/history';
import { decidingRule } from '../contracts/deciding-rule';

export interface BatchDecision {
  contactId: string;
  verdict: Verdict;
  reasons: DecisionReason[];
  /** The rule that decided (the same id the runs' `DecidedBy` search attribute shows). */
  decidedBy: string;
  /** UTC ISO instant, only for `defer`: when the contact's window opens. */
  notBefore?: string;
  /** The address a send goes to, only for `send` (never logged, never put into a workflow history). */
  address?: string;
  /** Only for `send`, with `validForMs`: until when the answer holds by the clock (rules/validity.ts). */
  validUntil?: Date;
}

export interface DecideBatchOptions {
  /** A contact's own message already in the outbox (a re-decided batch): caps must not count it. */
  exceptKey?: (contactId: string) => string | undefined;
  /**
   * Send answers also say how long they hold (at most this long after `at`), from the profile and history
   * the decision read: a delivery that acts on them need not read both again.
   */
  validForMs?: number;
  /**
   * The caller does not use the chosen address (campaign preview, enqueueing): contacts with the same decision
   * facts and an empty history share one decision (rules/decision-facts.ts). No decision names an address then.
   */
  shareDecisions?: boolean;
}

/**
 * Decides `message` for each of `contactIds` at `at`, in the order given. A contact that does not exist is
 * suppressed (`contact-not-found`), a rule error fails closed (`decision-error`), as in decideStep.
 */
export async function decideBatch(
  db: Pool | PoolClient,
  ruleSet: RuleSet,
  contactIds: string[],
  message: MessageSpec,
  at: Date,
  opts: DecideBatchOptions = {},
): Promise<BatchDecision[]> {
  const profiles = await loadProfiles(db, contactIds);
  return decideProfiles(db, ruleSet, { ids: contactIds, profiles }, message, at, opts);
}

/** decideBatch for profiles already read (an audience page): only the history is read, when a cap may count. */
export async function decideProfiles(
  db: Pool | PoolClient,
  ruleSet: RuleSet,
  page: ProfilePage,
  message: MessageSpec,
  at: Date,
  opts: DecideBatchOptions = {},
): Promise<BatchDecision[]> {
  const histories = await readHistories(db, ruleSet, [...page.profiles.keys()], at, opts.exceptKey, message);
  return judgePage(ruleSet, page, message, at, histories, opts);
}

/** decideProfiles once the histories are read: pure (rule set, profiles, message, instant, histories). */
export function judgePage(
  ruleSet: RuleSet,
  { ids: contactIds, profiles }: ProfilePage,
  message: MessageSpec,
  at: Date,
  histories: ReadonlyMap<string, HistoryEntry[]>,
  opts: Pick<DecideBatchOptions, 'validForMs' | 'shareDecisions'> = {},
): BatchDecision[] {
  // A send's validity is read from the contact and history it was decided on: never shared.
  const shared =
    opts.shareDecisions && opts.validForMs === undefined
      ? new DecisionFactsMap<Evaluation>(message.channel)
      : undefined;
  const judge = (contact: ContactProfile, past: HistoryEntry[]): Evaluation | { error: unknown } => {
    if (!shared || past.length > 0) return judgeLoaded(ruleSet, contact, message, at, past);
    const known = shared.get(contact);
    if (known) return known;
    const judged = judgeLoaded(ruleSet, contact, message, at, past);
    if ('error' in judged) return judged; // its reason names this contact: not shared
    const { address: _chosen, contact: _own, history: _none, ...anyContact } = judged;
    shared.set(contact, anyContact);
    return anyContact;
  };
  return contactIds.map((contactId): BatchDecision => {
    const contact = profiles.get(contactId);
    if (!contact) return decision(contactId, 'suppress', [notFoundReason(contactId)]);
    const judged = judge(contact, histories.get(contactId) ?? NO_HISTORY);
    if ('error' in judged) {
      const { detail: _detail, ...reason } = closedReason(
        'decision-error',
        'the rules could not decide',
        judged.error,
        contact,
      );
      return decision(contactId, 'suppress', [reason]);
    }
    const out = decision(contactId, judged.verdict, judged.reasons);
    if (judged.notBefore) out.notBefore = judged.notBefore;
    if (judged.address && !shared) out.address = judged.address; // shared or not, the caller does not use it
    if (judged.verdict === 'send' && opts.validForMs !== undefined)
      out.validUntil = sendValidUntil(judged, message, at, opts.validForMs) ?? at;
    return out;
  });
}

/** The history of a contact readHistories found nothing for (shared: nobody appends to it). */
const NO_HISTORY: HistoryEntry[] = [];

function decision(contactId: string, verdict: Verdict, reasons: DecisionReason[]): BatchDecision {
  return { contactId, verdict, reasons, decidedBy: decidingRule(reasons) ?? 'none' };
}
