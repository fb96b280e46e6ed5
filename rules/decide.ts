// decideSend: the synchronous decision the workers call for every send step. Pure function of
// (rule set, contact, message, instant); anything it cannot decide becomes a suppression with a reason.
import type { Decision, DecisionReason, Subscription } from './model';
import type { RuleSet } from './load';
import { compileRules, type CompiledRules, type Outcome } from './compile';
import { RULE_IDS, TEMPLATES, fill, scrub } from './reasons';
import { isBlacklisted, zoneOf, type DecideInput } from './facts';
import { insideWindow, localTime, nextOpening, quietReason } from './windows';
import { NO_STATE, stateOf } from './subdivision';
import { capCount, capFreeAt, capReason, type CapModel } from './caps';
import {
  IMPLIED_CONSENT_COLUMN,
  checkImpliedConsent,
  impliedConsentReason,
  impliedConsentState,
  type ImpliedState,
} from './implied-consent';

const compiledSets = new WeakMap<RuleSet, CompiledRules>();
// Workers decide with one rule set until the files change: remembering the last one skips the WeakMap.
let lastSet: RuleSet | undefined;
let lastCompiled: CompiledRules | undefined;

function compiledFor(rs: RuleSet): CompiledRules {
  if (rs === lastSet) return lastCompiled!;
  let c = compiledSets.get(rs);
  if (!c) {
    c = compileRules(rs);
    compiledSets.set(rs, c);
  }
  lastSet = rs;
  lastCompiled = c;
  return c;
}

export class UndecidableInput extends Error {}

/**
 * Priorities are compared as numbers, so only safe integers compare exactly: 1e20 + 1 === 1e20, and
 * Infinity or NaN (1e400 in JSON is Infinity) would leave no subscription chosen. Both evaluators check every
 * candidate in profile order, priority first, so they fail closed with the same reason.
 */
export const UNSAFE_PRIORITY =
  'a subscription priority is not a whole number between -9007199254740991 and 9007199254740991';
export const UNKNOWN_SUBSCRIPTION_STATUS = 'a subscription has an unknown status';

export function failClosed(hash: string, err: unknown): Decision {
  const why = scrub(err instanceof Error ? err.message : String(err));
  return {
    verdict: 'suppress',
    reasons: [{ rule: RULE_IDS.error, message: TEMPLATES.ruleError.replace('{error}', why) }],
    rules: hash,
  };
}

export function priorityReason(channel: string, chosen: Subscription, count: number): DecisionReason {
  return {
    rule: RULE_IDS.priority,
    message: fill(TEMPLATES.priority, { channel, priority: chosen.priority, count }),
  };
}

// The priority reason depends only on (channel, priority, count); small integer priorities are the rule.
const PRIORITY_CACHE_MAX = 64;
const priorityReasons: Array<Array<DecisionReason | undefined>> = [[], []];

function cachedPriorityReason(ch: number, channel: string, chosen: Subscription, count: number) {
  const p = chosen.priority;
  if (!Number.isInteger(p) || p < 0 || p >= PRIORITY_CACHE_MAX || count > PRIORITY_CACHE_MAX)
    return priorityReason(channel, chosen, count);
  const key = count * PRIORITY_CACHE_MAX + p;
  const cache = priorityReasons[ch]!;
  return (cache[key] ??= Object.freeze(priorityReason(channel, chosen, count)));
}

function categoryIndex(c: CompiledRules, s: Subscription, category: string | undefined): number {
  return c.categoryIndex(s.categories, category);
}

/** The first cap the message is over, as a decision; undefined when every cap has room. */
export function overCap(
  caps: readonly CapModel[],
  input: DecideInput,
  ms: number,
  transactional: ReadonlySet<string>,
  hash: string,
): Decision | undefined {
  const category = input.message.category ?? null;
  for (let i = 0; i < caps.length; i++) {
    const cap = caps[i]!;
    if ((cap.category !== null && cap.category !== category) || (cap.sameCategory && category === null))
      continue;
    const n = capCount(cap, input.history, category, ms, transactional);
    if (n < cap.limit) continue;
    if (cap.over === 'suppress')
      return { verdict: 'suppress', reasons: [capReason(cap, n, false)], rules: hash };
    const free = capFreeAt(cap, input.history!, category, ms, transactional);
    return {
      verdict: 'defer',
      notBefore: new Date(free).toISOString(),
      reasons: [capReason(cap, n, true)],
      rules: hash,
    };
  }
  return undefined;
}

function decide(c: CompiledRules, input: DecideInput): Decision {
  const { contact, message, at } = input;
  const channel = message.channel;
  const ch = channel === 'email' ? 0 : channel === 'sms' ? 1 : -1;
  const t = c.type[message.type];
  const g = c.globalStatus[contact.status];
  if (ch < 0 || t === undefined || g === undefined) {
    throw new UndecidableInput('the request has an unknown channel, message type or global status');
  }
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new UndecidableInput('the instant is not a valid date');
  const r = c.regionIndexOf(contact.country);
  const inactive = contact.active === false ? 1 : 0;
  const bl = isBlacklisted(contact, channel) ? 1 : 0;
  const block = c.block(ch, t, r, g, inactive, bl);
  const stride = c.stride;
  const resource = message.resource;
  const category = message.category;

  // One pass instead of filter + sort: the eligible subscription with the lowest priority number wins, and
  // when none is eligible the lowest-priority one overall gives the reasons (ties: profile order).
  let chosen: Subscription | undefined;
  let chosenCell = -1;
  let best: Outcome | undefined;
  let bestLapsed = false;
  let bestPriority = Infinity;
  let count = 0;
  // Implied consent is the contact's, judged at most once per decision and only where a rule asks for it.
  let implied: ImpliedState | undefined;
  const subs = contact.subscriptions;
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i]!;
    if (s.channel !== channel || (resource !== undefined && s.resource !== resource)) continue;
    count++;
    if (!Number.isSafeInteger(s.priority)) throw new UndecidableInput(UNSAFE_PRIORITY);
    const si = c.subscriptionStatus[s.status];
    if (si === undefined) throw new UndecidableInput(UNKNOWN_SUBSCRIPTION_STATUS);
    const cell = block + si * stride + categoryIndex(c, s, category);
    const o = c.outcome(cell);
    let lapsed = false;
    if (o.implied !== null) {
      implied ??= impliedConsentState(o.implied, contact, ms);
      lapsed = implied !== 'valid';
    }
    if (o.suppress.length === 0 && !lapsed) {
      if (!chosen || s.priority < chosen.priority) {
        chosen = s;
        chosenCell = cell;
      }
    } else if (!chosen && s.priority < bestPriority) {
      best = o;
      bestLapsed = lapsed;
      bestPriority = s.priority;
    }
  }
  if (!chosen) {
    const outcome =
      count === 0
        ? c.outcome(block + c.noSubscription * stride + c.categoryIndex(undefined, category))
        : best!;
    const reasons = [...outcome.suppress];
    // The implied-consent rule comes after the matrices, in rule order as json-rules-engine reports it.
    if (bestLapsed) {
      const rule = outcome.implied!;
      reasons.push(
        impliedConsentReason(rule, checkImpliedConsent(rule, contact, ms), IMPLIED_CONSENT_COLUMN),
      );
    }
    return { verdict: 'suppress', reasons, rules: c.hash };
  }
  const k = (r * 2 + ch) * c.typeCount + t;
  const caps = c.capsFor[k];
  if (caps !== undefined && caps.length > 0) {
    const capped = overCap(caps, input, ms, c.model.transactional, c.hash);
    if (capped) return capped;
  }
  const choice = c.marketingWindow[k];
  if (choice) {
    const state = choice.byState ? stateOf(contact, channel, chosen.address) : NO_STATE;
    const window = (state.code !== null && choice.byState?.[state.code]) || choice.federal;
    if (window) {
      const zone = zoneOf(contact.timezone);
      if (!zone) return { verdict: 'suppress', reasons: [c.timezoneReason(window)], rules: c.hash };
      const local = localTime(zone, ms);
      if (!insideWindow(window, local)) {
        return {
          verdict: 'defer',
          notBefore: nextOpening(window, zone, ms),
          reasons: [quietReason(window, state, local, choice.byState !== null)],
          rules: c.hash,
        };
      }
    }
  }
  const allow = c.outcome(chosenCell).allow!;
  const reasons = count > 1 ? [allow, cachedPriorityReason(ch, channel, chosen, count)] : [allow];
  return { verdict: 'send', address: chosen.address, reasons, rules: c.hash };
}

/** May this message reach this contact on this channel at `at`, and why (not)? Never throws. */
export function decideSend(ruleSet: RuleSet, input: DecideInput): Decision {
  try {
    return decide(compiledFor(ruleSet), input);
  } catch (err) {
    return failClosed(ruleSet?.hash ?? 'unknown', err);
  }
}
