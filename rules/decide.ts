// decideSend: the synchronous decision the workers call for every send step. Pure function of
// (rule set, contact, message, instant); anything it cannot decide becomes a suppression with a reason.
import type { Decision, DecisionReason, Subscription } from './model';
import type { RuleSet } from './load';
import { compileRules, type CompiledRules, type Outcome } from './compile';
import { RULE_IDS, TEMPLATES, fill, scrub } from './reasons';
import {
  categoryState,
  insideWindow,
  isBlacklisted,
  localMinutes,
  nextOpening,
  zoneOf,
  type DecideInput,
} from './facts';

const compiledSets = new WeakMap<RuleSet, CompiledRules>();

function compiledFor(rs: RuleSet): CompiledRules {
  let c = compiledSets.get(rs);
  if (!c) {
    c = compileRules(rs);
    compiledSets.set(rs, c);
  }
  return c;
}

export class UndecidableInput extends Error {}

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

function decide(c: CompiledRules, { contact, message, at }: DecideInput): Decision {
  const ch = message.channel === 'email' ? 0 : message.channel === 'sms' ? 1 : undefined;
  const t = c.type.get(message.type);
  const g = c.globalStatus.get(contact.status);
  if (ch === undefined || t === undefined || g === undefined) {
    throw new UndecidableInput('the request has an unknown channel, message type or global status');
  }
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new UndecidableInput('the instant is not a valid date');
  const r = c.regionIndexOf(contact.country);
  const inactive = contact.active === false ? 1 : 0;
  const bl = isBlacklisted(contact, message.channel) ? 1 : 0;

  // One pass instead of filter + sort: the eligible subscription with the lowest priority number wins, and
  // when none is eligible the lowest-priority one overall gives the reasons (ties: profile order).
  let chosen: Subscription | undefined;
  let best: Outcome | undefined;
  let bestPriority = Infinity;
  let count = 0;
  for (const s of contact.subscriptions) {
    if (s.channel !== message.channel || (message.resource !== undefined && s.resource !== message.resource))
      continue;
    count++;
    const si = s.status === ('none' as string) ? undefined : c.subscriptionStatus.get(s.status);
    if (si === undefined) throw new UndecidableInput('a subscription has an unknown status');
    const o = c.cell(ch, t, r, g, inactive, bl, si, c.category.get(categoryState(s, message.category))!);
    if (o.suppress.length === 0) {
      if (!chosen || s.priority < chosen.priority) chosen = s;
    } else if (!chosen && s.priority < bestPriority) {
      best = o;
      bestPriority = s.priority;
    }
  }
  if (!chosen) {
    const outcome = count === 0 ? c.cell(ch, t, r, g, inactive, bl, c.noSubscription, c.noCategory) : best!;
    return { verdict: 'suppress', reasons: outcome.suppress.slice(), rules: c.hash };
  }
  const outcome = c.cell(
    ch,
    t,
    r,
    g,
    inactive,
    bl,
    c.subscriptionStatus.get(chosen.status)!,
    c.category.get(categoryState(chosen, message.category))!,
  );
  const window = c.marketingWindow[(r * 2 + ch) * c.typeCount + t];
  if (window) {
    const zone = zoneOf(contact.timezone);
    if (!zone) return { verdict: 'suppress', reasons: [c.timezoneReason(window)], rules: c.hash };
    const minutes = localMinutes(zone, ms);
    if (!insideWindow(window, minutes)) {
      return {
        verdict: 'defer',
        notBefore: nextOpening(window, zone, ms),
        reasons: [c.quietReason(window, minutes)],
        rules: c.hash,
      };
    }
  }
  const reasons = [outcome.allow!];
  if (count > 1) reasons.push(priorityReason(message.channel, chosen, count));
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
