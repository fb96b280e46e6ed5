// `rules explain`: the json-rules-engine trace of one decision in plain words. It shows facts, the
// subscriptions considered (by resource and priority, never by address) and, for every rule, whether it
// fired and which fact values made it so.
import type { ConditionNode as Node, EngineDecision, RuleTrace } from './engine';
import { clock } from './facts';
import { words } from './reasons';

const show = (fact: string | undefined, v: unknown): string =>
  fact === 'localMinutes' && typeof v === 'number' ? clock(v) : words(v);

function listOf(fact: string | undefined, value: unknown): string {
  const items = (Array.isArray(value) ? value : [value]).map((v) => show(fact, v));
  return items.length > 8
    ? `${items.slice(0, 8).join(', ')}, ... (${items.length} in all)`
    : items.join(', ');
}

const FACT_WORDS: Record<string, string> = {
  localMinutes: 'local time',
  timezoneValid: 'time zone known',
  globalStatus: 'global status',
  subscriptionStatus: 'subscription status',
  categoryState: 'category state',
  consentSuppressed: 'already suppressed',
};

function leaf(n: Node): string {
  const fact = FACT_WORDS[n.fact ?? ''] ?? n.fact ?? '?';
  if (n.result === undefined) return `${fact} was not looked at`;
  const actual = show(n.fact, n.factResult);
  switch (n.operator) {
    case 'equal':
      return n.result ? `${fact} is ${actual}` : `${fact} is ${actual}, not ${show(n.fact, n.value)}`;
    case 'notEqual':
      return n.result ? `${fact} is ${actual}, not ${show(n.fact, n.value)}` : `${fact} is ${actual}`;
    case 'in':
      return n.result
        ? `${fact} is ${actual}, one of ${listOf(n.fact, n.value)}`
        : `${fact} is ${actual}, not one of ${listOf(n.fact, n.value)}`;
    case 'notIn':
      return n.result
        ? `${fact} is ${actual}, not one of ${listOf(n.fact, n.value)}`
        : `${fact} is ${actual}, which is one of ${listOf(n.fact, n.value)}`;
    case 'lessThan':
      return `${fact} is ${actual}, ${n.result ? '' : 'not '}before ${show(n.fact, n.value)}`;
    case 'greaterThanInclusive':
      return `${fact} is ${actual}, ${n.result ? '' : 'not '}at or after ${show(n.fact, n.value)}`;
    default:
      return `${fact} ${n.operator ?? '?'} ${show(n.fact, n.value)}: ${String(n.result)}`;
  }
}

/** Why a condition came out as it did: the parts that decided it, not every part. */
function because(n: Node): string {
  if (n.all) {
    const parts = n.result ? n.all : n.all.filter((c) => c.result === false);
    return parts.map(because).join(' and ');
  }
  if (n.any) {
    if (n.result)
      return n.any
        .filter((c) => c.result)
        .map(because)
        .join(' or ');
    const partial = n.any.filter((c) => c.all?.some((x) => x.result === true));
    return partial.length > 0
      ? partial.map(because).join('; ')
      : `none of its ${n.any.length} alternatives matched`;
  }
  if (n.not) return `not (${because(n.not)})`;
  return leaf(n);
}

function ruleLine(r: RuleTrace): string[] {
  const mark = { fired: 'FIRED        ', 'did not fire': 'did not fire ', 'not evaluated': 'not evaluated' }[
    r.outcome
  ];
  const lines = [`  ${mark} ${r.name}: ${r.title}`];
  if (r.outcome === 'not evaluated')
    lines.push('                the message was already suppressed, so timing rules were skipped');
  else if (r.conditions) lines.push(`                because ${because(r.conditions)}`);
  if (r.outcome === 'fired' && r.message && r.verdict !== 'halt')
    lines.push(`                -> ${r.verdict}: ${r.message}`);
  return lines;
}

export function explainDecision(result: EngineDecision, opts: { timezone?: string | null } = {}): string {
  const { decision, trace } = result;
  const out: string[] = [];
  out.push(`Decision: ${decision.verdict.toUpperCase()} (rules version ${decision.rules})`);
  if (decision.notBefore) out.push(`Not before: ${decision.notBefore}`);
  out.push('Why:');
  for (const r of decision.reasons) out.push(`  - [${r.rule}] ${r.message}`);
  if (trace.error) {
    out.push(`The rules could not evaluate this request: ${trace.error}`);
    return `${out.join('\n')}\n`;
  }
  const f = trace.facts;
  if (f) {
    out.push('Facts the rules saw:');
    out.push(`  channel ${f.channel}; message type ${words(f.type)} (${f.kind})`);
    out.push(`  region ${f.region ?? 'none'}; matrix for this channel ${f.matrix ?? 'none'}`);
    out.push(
      `  global status ${words(f.globalStatus)}; active ${f.active ? 'yes' : 'no'}; blacklisted on ${f.channel} ${f.blacklisted ? 'yes' : 'no'}`,
    );
    out.push(
      `  subscription status ${words(f.subscriptionStatus)} (matrix column ${words(f.column)}); ${
        f.category === null
          ? 'the message has no category'
          : `category "${f.category}": ${words(f.categoryState)}`
      }`,
    );
    out.push(
      f.timezoneValid
        ? `  local time ${clock(f.localMinutes ?? 0)}${opts.timezone ? ` (${opts.timezone})` : ''}`
        : `  local time unknown (${opts.timezone ? `"${opts.timezone}" is not a known time zone` : 'no time zone'})`,
    );
  }
  if (trace.candidates.length === 0)
    out.push('Subscriptions considered: none on this channel for this resource.');
  else {
    out.push('Subscriptions considered (lowest priority number first):');
    trace.candidates.forEach((c, i) => {
      const state = c.chosen
        ? 'eligible, CHOSEN'
        : c.eligible
          ? 'eligible'
          : `not eligible: ${c.reasons.map((r) => r.rule).join(', ')}`;
      out.push(`  ${i + 1}. resource ${c.resource}, priority ${c.priority}, ${words(c.status)}: ${state}`);
    });
  }
  out.push('Rules, in the order they apply:');
  for (const r of trace.rules) out.push(...ruleLine(r));
  return `${out.join('\n')}\n`;
}
