// `rules explain`: the json-rules-engine trace of one decision in plain words. It shows facts, the
// subscriptions considered (by resource and priority, never by address) and, for every rule, whether it
// fired and which fact values made it so.
import { DateTime } from 'luxon';
import type { ConditionNode as Node, EngineDecision, EngineFacts, RuleTrace } from './engine';
import { clock } from './facts';
import { words } from './reasons';

const show = (fact: string | undefined, v: unknown): string =>
  fact === 'localMinutes' && typeof v === 'number' ? clock(v) : words(v);

function listOf(fact: string | undefined, value: unknown): string {
  const items = (Array.isArray(value) ? value : [value]).map((v) => show(fact, v));
  if (items.length > 8) return `${items.slice(0, 8).join(', ')}, ... (${items.length} in all)`;
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}` : (items[0] ?? 'none');
}

const CATEGORY_STATE: Record<string, string> = {
  subscribed: "the subscription opted in to the message's category",
  unsubscribed: "the subscription unsubscribed from the message's category",
  not_mentioned: "the subscription does not mention the message's category",
  no_category: 'the message has no category',
};

/** A true sentence about the contact or message: what the fact's value means. */
function statement(fact: string | undefined, v: unknown, f: Partial<EngineFacts>): string {
  switch (fact) {
    case 'channel':
      return `the message goes by ${words(v)}`;
    case 'type':
      return `the message is ${words(v)}`;
    case 'kind':
      return `the message is ${words(v)}`;
    case 'region':
      return v === null ? 'the contact is in no region' : `the contact is in region ${words(v)}`;
    case 'matrix':
      return v === null
        ? 'the region has no table for this channel'
        : `the region uses the ${words(v)} matrix`;
    case 'globalStatus':
      return `the contact's global status is ${words(v)}`;
    case 'active':
      return v === false ? 'the contact is deactivated' : 'the contact is active';
    case 'blacklisted':
      return `the contact's ${f.channel ?? ''} address is ${v === true ? '' : 'not '}on the blacklist`.replace(
        '  ',
        ' ',
      );
    case 'subscriptionStatus':
      return v === 'none'
        ? 'the contact has no subscription for this message'
        : `the subscription is ${words(v)}`;
    case 'column':
      return v === 'none'
        ? 'there is no subscription column to read'
        : `the subscription reads the ${words(v)} column`;
    case 'categoryState':
      return (typeof v === 'string' ? CATEGORY_STATE[v] : undefined) ?? `the category state is ${words(v)}`;
    case 'category':
      return v === null ? 'the message has no category' : `the message's category is ${JSON.stringify(v)}`;
    case 'timezoneValid':
      return v === true ? "the contact's time zone is known" : 'the contact has no valid time zone';
    case 'localMinutes':
      return `it is ${show(fact, v)} where the contact is`;
    case 'impliedConsent':
      return v === 'valid'
        ? "the contact's implied consent is valid on the day of the message"
        : v === 'none'
          ? 'the contact has no purchase or inquiry on record'
          : v === 'expired'
            ? `the contact's implied consent (${words(f.impliedConsentBasis)} on ${words(f.impliedConsentSince)}) lasted through ${words(f.impliedConsentThrough)}`
            : v === 'future'
              ? `the contact's ${words(f.impliedConsentBasis)} is dated ${words(f.impliedConsentSince)}, after the day of the message`
              : 'no implied-consent rule applies in this region';
    default:
      return `${fact ?? '?'} is ${words(v)}`;
  }
}

// Facts whose values read as words after "not": "global status is subscribed, not unsubscribed".
const CONTRASTED = new Set([
  'globalStatus',
  'subscriptionStatus',
  'region',
  'matrix',
  'column',
  'channel',
  'kind',
  'type',
  'category',
]);

/** What the rule wanted, for a test that did not hold, where the values say it in a word or two. */
function wanted(n: Node): string {
  const values = Array.isArray(n.value) ? (n.value as unknown[]) : [n.value];
  if (!CONTRASTED.has(n.fact ?? '') || values.some((v) => v === null || v === 'none')) return '';
  if (n.operator === 'equal' || n.operator === 'in') return `, not ${listOf(n.fact, n.value)}`;
  return '';
}

/** How to read a type list: in a matrix rule it is the matrix's rows, or the types that reach a column. */
type TypeList = 'rows' | 'reach' | undefined;

function leaf(n: Node, f: Partial<EngineFacts>, types: TypeList): string {
  if (n.result === undefined) return '(not looked at)';
  const said = statement(n.fact, n.factResult, f);
  // Booleans and null speak for themselves: "the address is not on the blacklist".
  const plain = typeof n.factResult === 'boolean' || n.factResult === null || n.factResult === 'none';
  if (n.fact === 'localMinutes') {
    if (n.operator === 'lessThan') return `${said}, ${n.result ? '' : 'not '}before ${show(n.fact, n.value)}`;
    return `${said}, ${n.result ? '' : 'not '}at or after ${show(n.fact, n.value)}`;
  }
  if (types && n.fact === 'type' && (n.operator === 'in' || n.operator === 'notIn')) {
    const listed = n.operator === 'in' ? n.result : !n.result;
    const type = words(n.factResult);
    if (types === 'rows') return `${type} ${listed ? 'has a row' : 'has no row'} in the matrix`;
    return `${type} is ${listed ? '' : 'not '}among the types the matrix lets reach it`;
  }
  if (n.result || plain) return said;
  return `${said}${wanted(n)}`;
}

/** Why a condition came out as it did: the parts that decided it, not every part. */
function because(n: Node, f: Partial<EngineFacts>, matrix: boolean, types?: TypeList): string {
  const next = (c: Node, t: TypeList = types) => because(c, f, matrix, t);
  if (n.all) {
    // In a matrix rule, a type list next to a column test is the column's list; alone, the matrix's rows.
    const inner: TypeList = matrix ? (n.all.some((c) => c.fact === 'column') ? 'reach' : 'rows') : undefined;
    const parts = n.result ? n.all : n.all.filter((c) => c.result === false);
    return parts.map((c) => next(c, inner)).join(' and ');
  }
  if (n.any) {
    if (n.result)
      return n.any
        .filter((c) => c.result)
        .map((c) => next(c))
        .join(' or ');
    // The alternative that came closest says most about why nothing matched: the one whose first test (the
    // one that picks it, like the column of a matrix) held, else any of which some part held.
    const leading = n.any.filter((c) => c.all?.[0]?.result === true);
    const partial = leading.length > 0 ? leading : n.any.filter((c) => c.all?.some((x) => x.result === true));
    const shown = partial.length > 0 ? partial : n.any;
    return shown
      .map((c) => {
        if (!c.all) return next(c);
        const inner: TypeList = matrix
          ? c.all.some((x) => x.fact === 'column')
            ? 'reach'
            : 'rows'
          : undefined;
        return c.all.map((x) => next(x, inner)).join(' and ');
      })
      .join('; nor does: ');
  }
  if (n.not) return next(n.not);
  return leaf(n, f, types);
}

const MARK = { fired: 'APPLIES       ', 'did not fire': 'does not apply', 'not evaluated': 'not checked   ' };
const EFFECT = {
  suppress: 'stops the message',
  defer: 'holds the message',
  allow: 'allows the message',
  halt: '',
};

function ruleLines(r: RuleTrace, f: Partial<EngineFacts>): string[] {
  // The engine's stop between consent and timing is not a rule a marketer wrote: one sentence says it.
  if (r.verdict === 'halt')
    return r.outcome === 'fired'
      ? ['  (the rules above stop the message, so the sending-hours rules below are not checked)']
      : r.outcome === 'did not fire'
        ? ['  (nothing above stops the message, so the sending-hours rules below are checked)']
        : [];
  const lines = [`  ${MARK[r.outcome]} ${r.name}: ${r.title}`];
  if (r.outcome === 'not evaluated')
    lines.push('                 the message is already stopped, so sending hours do not matter');
  else if (r.conditions)
    lines.push(`                 because ${because(r.conditions, f, r.rule.startsWith('matrix:'))}`);
  if (r.outcome === 'fired' && r.message)
    lines.push(`                 -> ${EFFECT[r.verdict]}: ${r.message}`);
  return lines;
}

/** "08:00 on Mon 15 Jun 2026 in America/New_York": an instant on the contact's own clock. */
function localTime(iso: string, timezone: string | null | undefined): string | undefined {
  if (!timezone) return undefined;
  const t = DateTime.fromISO(iso, { zone: timezone });
  return t.isValid ? `${t.toFormat('HH:mm')} on ${t.toFormat('ccc d LLL yyyy')} in ${timezone}` : undefined;
}

export function explainDecision(result: EngineDecision, opts: { timezone?: string | null } = {}): string {
  const { decision, trace } = result;
  const out: string[] = [];
  out.push(`Decision: ${decision.verdict.toUpperCase()} (rules version ${decision.rules})`);
  if (decision.notBefore) {
    const local = localTime(decision.notBefore, opts.timezone);
    out.push(
      `Not before: ${decision.notBefore}${local ? ` (${local}, the contact's local time)` : ' (UTC)'}`,
    );
  }
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
    out.push(`  state for state sending hours ${f.subdivision ?? 'unknown'}`);
    if (f.impliedConsent !== 'not_required')
      out.push(
        `  implied consent (CASL) on ${f.messageDay}: ${
          f.impliedConsentBasis === null
            ? 'none on record'
            : `${f.impliedConsentBasis} on ${f.impliedConsentSince}, ${f.impliedConsentMonths} months, through ${f.impliedConsentThrough}`
        } (${f.impliedConsent})`,
      );
    // What each cap counted in the history (only caps that limit this message can hold it).
    for (const [name, value] of Object.entries(f))
      if (name.startsWith('count:'))
        out.push(`  ${name.slice('count:'.length)} counted ${String(value)} earlier messages in its window`);
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
  for (const r of trace.rules) out.push(...ruleLines(r, trace.facts ?? {}));
  return `${out.join('\n')}\n`;
}
