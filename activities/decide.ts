// decideStep: the question every send step asks. Loads the contact, evaluates the current rule set, writes the
// decision log row and, on `send`, the outbox row that `deliver` will work from, in one transaction. The
// result goes into the Temporal history, so it carries ids, verdicts and reasons, never an address.
import { decideSend, type RuleSet } from '../rules';
import { VERDICTS, type DecisionReason, type MessageSpec, type Verdict } from '../rules/model';
import type { ContactProfile } from '../rules/model';
import { loadProfiles } from '../db/contacts/profile';
import type { Pool } from '../db/pool';
import { activityLogger, type ActivityLogger } from './context';
import { ActivityErrorType, nonRetryable } from './errors';
import { scrubAddresses } from './mask';
import { appendDecision, insertOutbox, withdrawOutbox, type TemplateVars } from './store';

export interface DecideStepInput {
  workflowId: string;
  /** Unique within the workflow run's logic (e.g. `welcome-1`); with the workflow id it keys the outbox row. */
  step: string;
  contactId: string;
  message: MessageSpec & { template: string };
  /** ISO instant to decide for; defaults to now. Workflows pass their own clock so a replay asks the same. */
  at?: string;
  /** Non-personal values for the template (order id, cart total...). They are stored with the outbox row. */
  vars?: TemplateVars;
}

export interface DecideStepResult {
  verdict: Verdict;
  reasons: DecisionReason[];
  /** UTC ISO instant, only for `defer`. */
  notBefore?: string;
  rulesHash: string;
  /** The decision_log row id. */
  decisionId: string;
  /** Only for `send`: what to pass to `deliver`. */
  idempotencyKey?: string;
}

export interface DecideDependencies {
  pool: Pool;
  rules: { current(): RuleSet };
  log?: ActivityLogger;
}

export const idempotencyKeyFor = (workflowId: string, step: string): string => `${workflowId}:${step}`;

interface Outcome {
  verdict: Verdict;
  reasons: DecisionReason[];
  notBefore?: string;
  address?: string;
  rulesHash: string;
  contact?: ContactProfile;
}

export function createDecideStep(deps: DecideDependencies) {
  return async function decideStep(input: DecideStepInput): Promise<DecideStepResult> {
    const { at, message, template } = checkInput(input, deps.rules);
    const log = deps.log ?? activityLogger();
    const outcome = await decide(deps, input.contactId, message, at, log, input);
    const key = idempotencyKeyFor(input.workflowId, input.step);
    // Rule messages are free text: make sure none of them smuggles an address into the history.
    const addresses = outcome.contact?.subscriptions.map((s) => s.address) ?? [];
    const reasons = outcome.reasons.map((r) => ({
      rule: r.rule,
      message: scrubAddresses(r.message, addresses),
    }));

    const client = await deps.pool.connect();
    let decisionId: string;
    try {
      await client.query('BEGIN');
      decisionId = await appendDecision(client, {
        at,
        workflowId: input.workflowId,
        step: input.step,
        contactId: input.contactId,
        message,
        verdict: outcome.verdict,
        notBefore: outcome.notBefore,
        reasons,
        rulesHash: outcome.rulesHash,
      });
      if (outcome.verdict === 'send' && outcome.address) {
        await insertOutbox(client, {
          idempotencyKey: key,
          workflowId: input.workflowId,
          step: input.step,
          contactId: input.contactId,
          channel: message.channel,
          messageType: message.type,
          address: outcome.address,
          template,
          templateVars: input.vars ?? {},
          decisionId,
        });
      } else {
        await withdrawOutbox(client, key);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }

    return {
      verdict: outcome.verdict,
      reasons,
      ...(outcome.notBefore ? { notBefore: outcome.notBefore } : {}),
      rulesHash: outcome.rulesHash,
      decisionId,
      ...(outcome.verdict === 'send' ? { idempotencyKey: key } : {}),
    };
  };
}

/**
 * Fails closed: a broken rule set or an evaluator error suppresses the message and says why. A database that
 * cannot be reached is different: the activity throws and Temporal retries, because suppressing every message
 * during an outage would silently drop them.
 */
async function decide(
  deps: DecideDependencies,
  contactId: string,
  message: MessageSpec,
  at: Date,
  log: ActivityLogger,
  input: DecideStepInput,
): Promise<Outcome> {
  const failClosed = (
    rule: string,
    what: string,
    err: unknown,
    rulesHash: string,
    contact?: ContactProfile,
  ) => {
    const detail = err instanceof Error ? err.message : String(err);
    const text = scrubAddresses(detail, contact?.subscriptions.map((s) => s.address) ?? []);
    log.warn(`decision failed closed: ${what}`, {
      workflowId: input.workflowId,
      step: input.step,
      contactId,
      error: text,
    });
    return {
      verdict: 'suppress' as const,
      reasons: [{ rule, message: `Suppressed because ${what}: ${text}` }],
      rulesHash,
      contact,
    };
  };

  let ruleSet: RuleSet;
  try {
    ruleSet = deps.rules.current();
  } catch (err) {
    return failClosed('rules-unavailable', 'no valid rule set is loaded', err, 'unavailable');
  }
  const contact = (await loadProfiles(deps.pool, [contactId])).get(contactId);
  if (!contact) {
    return {
      verdict: 'suppress',
      reasons: [
        {
          rule: 'contact-not-found',
          message: `Contact ${contactId} does not exist (deleted or never added).`,
        },
      ],
      rulesHash: ruleSet.hash,
    };
  }
  try {
    const d = decideSend(ruleSet, { contact, message, at });
    if (!VERDICTS.includes(d.verdict)) throw new Error(`unknown verdict "${String(d.verdict)}"`);
    if (d.verdict === 'send' && !d.address) throw new Error('verdict send without an address');
    if (d.verdict === 'defer' && (!d.notBefore || Number.isNaN(Date.parse(d.notBefore)))) {
      throw new Error('verdict defer without a valid notBefore');
    }
    if (d.verdict !== 'send' && d.reasons.length === 0)
      throw new Error(`verdict ${d.verdict} without reasons`);
    return {
      verdict: d.verdict,
      reasons: d.reasons,
      ...(d.verdict === 'defer' ? { notBefore: new Date(d.notBefore as string).toISOString() } : {}),
      ...(d.verdict === 'send' ? { address: d.address } : {}),
      rulesHash: d.rules || ruleSet.hash,
      contact,
    };
  } catch (err) {
    return failClosed('decision-error', 'the rules could not decide', err, ruleSet.hash, contact);
  }
}

function knownTypes(rules: DecideDependencies['rules']): readonly string[] | undefined {
  try {
    return rules.current().messageTypes;
  } catch {
    return undefined;
  }
}

function checkInput(
  input: DecideStepInput,
  rules: DecideDependencies['rules'],
): { at: Date; message: MessageSpec; template: string } {
  const bad = (what: string) =>
    nonRetryable(ActivityErrorType.InvalidActivityInput, `decideStep input is invalid: ${what}.`);
  if (!input || typeof input !== 'object') throw bad('expected an object');
  for (const field of ['workflowId', 'step', 'contactId'] as const) {
    if (typeof input[field] !== 'string' || !input[field]) throw bad(`${field} must be a non-empty string`);
  }
  const m = input.message;
  if (!m || typeof m !== 'object') throw bad('message is missing');
  if (m.channel !== 'email' && m.channel !== 'sms') throw bad(`message.channel must be email or sms`);
  // The types are rule data (message-types.json); with no loaded rule set, decide() fails closed below.
  const types = knownTypes(rules);
  if (typeof m.type !== 'string' || (types && !types.includes(m.type))) {
    throw bad(
      `message.type "${String(m.type)}" is not one of ${types?.join(', ') ?? "the rule set's types"}`,
    );
  }
  if (typeof m.template !== 'string' || !m.template) throw bad('message.template must name a template');
  const at = input.at === undefined ? new Date() : new Date(input.at);
  if (Number.isNaN(at.getTime())) throw bad(`at "${input.at}" is not an ISO instant`);
  if (input.vars !== undefined) {
    for (const [k, v] of Object.entries(input.vars)) {
      if (!['string', 'number', 'boolean'].includes(typeof v))
        throw bad(`vars.${k} must be a string, number or boolean`);
    }
  }
  const message: MessageSpec = {
    channel: m.channel,
    type: m.type,
    ...(m.resource ? { resource: m.resource } : {}),
    ...(m.category ? { category: m.category } : {}),
  };
  return { at, message, template: m.template };
}
