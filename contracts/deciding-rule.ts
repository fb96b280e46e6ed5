// The one rule id that decided a message, from its reasons: what the runs' `DecidedBy` search attribute, the
// memo `steps` and a campaign preview's counts by rule all show. Pure: workflows and activities share it.
import type { DecisionReason } from '../rules/model';

/**
 * The rule that decided: a reason the workflow or the delivery added last (`workflow:max-defers`,
 * `workflow:deadline`, `deliver:recipient-refused`) overrides the rules' own; otherwise the rules' first reason
 * (the gate, matrix or quiet-hours rule that gave the verdict).
 */
export function decidingRule(reasons: readonly DecisionReason[]): string | undefined {
  for (let i = reasons.length - 1; i >= 0; i--) {
    const rule = reasons[i]!.rule;
    if (rule.startsWith('workflow:') || (rule.startsWith('deliver:') && rule !== 'deliver:accepted'))
      return rule;
  }
  return reasons[0]?.rule;
}
