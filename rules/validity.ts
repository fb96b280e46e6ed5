// How long a decision stays true by the clock alone. A send decided at 20:59:30 local must not be delivered at
// 21:03 under a 21:00 quiet-hours start, so a decision carries `validUntil`: the first instant (to the second)
// at which the same question would get another verdict or address, never more than `maxMs` away. Pure: it
// asks decideSend at later instants with the same contact and message.
import type { Decision } from './model';
import type { DecideInput } from './facts';
import type { RuleSet } from './load';
import { decideSend } from './decide';

const same = (a: Decision, b: Decision): boolean => a.verdict === b.verdict && a.address === b.address;

/** The instant (ms) until which `decision`, made for `input.at`, still holds; at most `input.at + maxMs`. */
export function decisionValidUntil(
  ruleSet: RuleSet,
  input: DecideInput,
  decision: Decision,
  maxMs: number,
): number {
  const start = input.at.getTime();
  const ask = (ms: number) => decideSend(ruleSet, { ...input, at: new Date(ms) });
  if (same(ask(start + maxMs), decision)) return start + maxMs;
  // Time rules (quiet hours, sending windows) change once within a short bound: search for the change.
  let good = start;
  let bad = start + maxMs;
  while (bad - good > 1000) {
    const mid = good + Math.floor((bad - good) / 2000) * 1000;
    if (mid <= good) break;
    if (same(ask(mid), decision)) good = mid;
    else bad = mid;
  }
  return good;
}
