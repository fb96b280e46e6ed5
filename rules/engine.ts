// The json-rules-engine path: slower than the compiled tables, but it is json-rules-engine reading the rule
// files, and it reports every rule it evaluated, which is what `rules explain` prints.
//
// An Engine keeps run state (status, stop()): a run that finishes or stops while another run on the same
// engine is between priority levels makes that other run skip its remaining rules. So each run borrows an
// engine of its own from a pool.
import { Engine, type Almanac, type Event, type RuleResult } from 'json-rules-engine';
import {
  CHANNELS,
  GLOBAL_STATUSES,
  SUBSCRIPTION_STATUSES,
  type Decision,
  type DecisionReason,
  type Subscription,
} from './model';
import type { RuleSet } from './load';
import { buildEngineRules, type EngineRule, type EventParams } from './engine-rules';
import { TEMPLATES, fill, type FactValues } from './reasons';
import { candidates, categoryState, clock, isBlacklisted, regionOf, zoneOf, type DecideInput } from './facts';
import { localDate, localTime, nextOpening, quietReason } from './windows';
import { stateOf } from './subdivision';
import { capCount, capFreeAt, capReason } from './caps';
import { capFact } from './engine-rules';
import { checkImpliedConsent, impliedFacts, type ImpliedFacts } from './implied-consent';
import {
  UNKNOWN_SUBSCRIPTION_STATUS,
  UNSAFE_PRIORITY,
  UndecidableInput,
  failClosed,
  priorityReason,
} from './decide';

export interface EngineFacts extends FactValues, ImpliedFacts {
  localMinutes: number | null;
  /** Local weekday, 0 = Sunday; null without a valid time zone. */
  weekday: number | null;
  /** Local date YYYY-MM-DD; null without a valid time zone. */
  localDate: string | null;
  timezoneValid: boolean;
  /** The contact's state (ISO 3166-2) as the chosen address presumes it; null when unknown. */
  subdivision: string | null;
  /** The count each cap saw: `count:<cap id>`. */
  [count: `count:${string}`]: number;
}

/** A condition of the run as plain data, with the result of every part that was evaluated. */
export interface ConditionNode {
  all?: ConditionNode[];
  any?: ConditionNode[];
  not?: ConditionNode;
  fact?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  /** Absent when json-rules-engine short-circuited before this part. */
  result?: boolean;
}

// json-rules-engine records results on the leaves only; groups get theirs from their parts.
function annotate(n: ConditionNode): ConditionNode {
  if (n.all) {
    const all = n.all.map(annotate);
    const result = all.some((c) => c.result === false)
      ? false
      : all.every((c) => c.result === true)
        ? true
        : undefined;
    return { all, ...(result === undefined ? {} : { result }) };
  }
  if (n.any) {
    const any = n.any.map(annotate);
    const result = any.some((c) => c.result === true)
      ? true
      : any.every((c) => c.result === false)
        ? false
        : undefined;
    return { any, ...(result === undefined ? {} : { result }) };
  }
  if (n.not) {
    const not = annotate(n.not);
    return { not, ...(not.result === undefined ? {} : { result: !not.result }) };
  }
  const { fact, operator, value, factResult, result } = n;
  return { fact, operator, value, factResult, ...(result === undefined ? {} : { result }) };
}

export interface RuleTrace {
  /** Engine rule name, e.g. `gate:blacklist` or `matrix:sms.us (column)`. */
  name: string;
  rule: string;
  title: string;
  verdict: 'suppress' | 'defer' | 'allow' | 'halt';
  outcome: 'fired' | 'did not fire' | 'not evaluated';
  /** The reason this rule gives when it fires. */
  message?: string;
  /** The rule's conditions with the fact values the engine read and each part's result. */
  conditions?: ConditionNode;
}

export interface CandidateTrace {
  resource: string;
  priority: number;
  status: string;
  /** Consent allows this subscription (quiet hours may still hold the message). */
  eligible: boolean;
  chosen: boolean;
  reasons: DecisionReason[];
}

export interface EngineTrace {
  facts: EngineFacts | null;
  candidates: CandidateTrace[];
  /** Every rule of the run that decided, in rule order. */
  rules: RuleTrace[];
  error?: string;
}

export interface EngineDecision {
  decision: Decision;
  trace: EngineTrace;
}

class EnginePool {
  private readonly free: Engine[] = [];
  private readonly waiting: Array<(engine: Engine) => void> = [];
  private created = 0;

  constructor(
    private readonly rules: EngineRule[],
    private readonly max = 32,
  ) {}

  private create(): Engine {
    const engine = new Engine(this.rules, { allowUndefinedFacts: false });
    engine.addFact(
      'consentSuppressed',
      (_params: Record<string, unknown>, almanac: Almanac) =>
        (almanac as unknown as { getEvents(o: string): Event[] })
          .getEvents('success')
          .some((e) => e.type === 'suppress'),
      { cache: false },
    );
    engine.on('halt', () => {
      engine.stop();
    });
    this.created++;
    return engine;
  }

  async use<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    const engine =
      this.free.pop() ??
      (this.created < this.max
        ? this.create()
        : await new Promise<Engine>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(engine);
    } finally {
      const next = this.waiting.shift();
      if (next) next(engine);
      else this.free.push(engine);
    }
  }
}

interface Prepared {
  rules: EngineRule[];
  pool: EnginePool;
}
const prepared = new WeakMap<RuleSet, Prepared>();

function prepare(rs: RuleSet): Prepared {
  let p = prepared.get(rs);
  if (!p) {
    const rules = buildEngineRules(rs);
    p = { rules, pool: new EnginePool(rules) };
    prepared.set(rs, p);
  }
  return p;
}

const has = (list: readonly string[], v: unknown) => typeof v === 'string' && list.includes(v);

function baseFacts(rs: RuleSet, { contact, message, at, history }: DecideInput) {
  if (
    !has(CHANNELS, message.channel) ||
    !has(rs.model.messageTypes, message.type) ||
    !has(GLOBAL_STATUSES, contact.status)
  ) {
    throw new UndecidableInput('the request has an unknown channel, message type or global status');
  }
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new UndecidableInput('the instant is not a valid date');
  const region = regionOf(rs.model, contact.country);
  const zone = zoneOf(contact.timezone);
  const local = zone ? localTime(zone, ms) : null;
  const counts: Record<`count:${string}`, number> = {};
  for (const cap of rs.model.caps)
    counts[capFact(cap) as `count:${string}`] = capCount(
      cap,
      history,
      message.category ?? null,
      ms,
      rs.model.transactional,
    );
  const rule =
    region === null ? null : (rs.model.regions.find((r) => r.id === region)!.impliedConsent ?? null);
  return {
    ms,
    zone,
    local,
    facts: {
      ...counts,
      ...impliedFacts(rule ? checkImpliedConsent(rule, contact, ms) : null),
      channel: message.channel,
      type: message.type,
      kind: rs.model.transactional.has(message.type) ? 'transactional' : 'marketing',
      region,
      matrix:
        (region !== null && rs.model.regions.find((r) => r.id === region)!.matrices[message.channel]) || null,
      globalStatus: contact.status,
      active: contact.active !== false,
      blacklisted: isBlacklisted(contact, message.channel),
      timezoneValid: zone !== null,
      localMinutes: local ? local.minutes : null,
      weekday: local ? local.weekday : null,
      localDate: local ? localDate(local.day) : null,
      category: message.category ?? null,
    } satisfies Omit<EngineFacts, 'subscriptionStatus' | 'column' | 'categoryState' | 'subdivision'>,
  };
}

interface Run {
  facts: EngineFacts;
  results: RuleResult[];
  failures: RuleResult[];
  fired: Array<{ type: string; params: EventParams }>;
}

async function run(p: Prepared, facts: EngineFacts): Promise<Run> {
  return p.pool.use(async (engine) => {
    const out = await engine.run({ ...facts });
    const fired = out.results.map((r) => r.event as { type: string; params: EventParams });
    return { facts, results: out.results, failures: out.failureResults, fired };
  });
}

const consentReasons = (r: Run): DecisionReason[] =>
  r.fired
    .filter((e) => e.type === 'suppress' && e.params.stage === 'consent')
    .sort((a, b) => a.params.seq - b.params.seq)
    .map((e) => ({ rule: e.params.rule, message: fill(e.params.template, r.facts) }));

function traceOf(p: Prepared, r: Run): RuleTrace[] {
  const byName = new Map<string, { fired: boolean; result: RuleResult }>();
  for (const result of r.results) byName.set(result.name, { fired: true, result });
  for (const result of r.failures) byName.set(result.name, { fired: false, result });
  return p.rules.map((rule) => {
    const seen = byName.get(rule.name);
    const params = rule.event.params;
    const words = params.window
      ? {
          ...r.facts,
          ...params.window,
          local: clock(r.facts.localMinutes ?? 0),
          // the trace names the window's usual hours; the decision's reason names the day's own
          hours: `between ${params.window.from} and ${params.window.until} (other hours on some days)`,
        }
      : r.facts;
    return {
      name: rule.name,
      rule: params.rule,
      title: params.title,
      verdict: rule.event.type,
      outcome: !seen ? 'not evaluated' : seen.fired ? 'fired' : 'did not fire',
      ...(params.template ? { message: fill(params.template, words) } : {}),
      ...(seen
        ? {
            conditions: annotate(
              (seen.result.conditions as unknown as { toJSON(s: false): ConditionNode }).toJSON(false),
            ),
          }
        : {}),
    };
  });
}

async function decideTraced(rs: RuleSet, input: DecideInput): Promise<EngineDecision> {
  const p = prepare(rs);
  const { ms, zone, local, facts } = baseFacts(rs, input);
  const subdivision = (address: string | undefined) =>
    stateOf(input.contact, input.message.channel, address).code;
  const subs = candidates(input.contact, input.message);
  // Checked in profile order, as decideSend does, so both fail closed with the same reason.
  const candidate = new Set(subs);
  for (const s of input.contact.subscriptions) {
    if (!candidate.has(s)) continue;
    if (!Number.isSafeInteger(s.priority)) throw new UndecidableInput(UNSAFE_PRIORITY);
    if (!has(SUBSCRIPTION_STATUSES, s.status)) throw new UndecidableInput(UNKNOWN_SUBSCRIPTION_STATUS);
  }
  const runs: Run[] = [];
  for (const s of subs) {
    const category = categoryState(s, input.message.category);
    runs.push(
      await run(p, {
        ...facts,
        subdivision: subdivision(s.address),
        subscriptionStatus: s.status,
        column: rs.model.columns[s.status],
        categoryState: category,
      }),
    );
  }
  if (subs.length === 0)
    runs.push(
      await run(p, {
        ...facts,
        subdivision: subdivision(undefined),
        subscriptionStatus: 'none',
        column: 'none',
        categoryState: categoryState(undefined, input.message.category),
      }),
    );

  const eligibleAt = runs.findIndex((r, i) => i < subs.length && consentReasons(r).length === 0);
  const deciding = runs[eligibleAt >= 0 ? eligibleAt : 0]!;
  const chosen: Subscription | undefined = subs[eligibleAt];
  const trace: EngineTrace = {
    facts: deciding.facts,
    candidates: subs.map((s, i) => ({
      resource: s.resource,
      priority: s.priority,
      status: s.status,
      eligible: consentReasons(runs[i]!).length === 0,
      chosen: i === eligibleAt,
      reasons: consentReasons(runs[i]!),
    })),
    rules: traceOf(p, deciding),
  };
  const hash = rs.hash;
  const consent = consentReasons(deciding);
  if (!chosen || consent.length > 0)
    return { decision: { verdict: 'suppress', reasons: consent, rules: hash }, trace };

  const timed = deciding.fired
    .filter((e) => e.params.stage === 'timing')
    .sort((a, b) => a.params.seq - b.params.seq)[0];
  if (timed && timed.params.capIndex !== undefined) {
    const cap = rs.model.caps[timed.params.capIndex]!;
    const category = input.message.category ?? null;
    const count = deciding.facts[capFact(cap) as `count:${string}`] ?? 0;
    const reason = capReason(cap, count, timed.type === 'defer');
    const free = () => capFreeAt(cap, input.history ?? [], category, ms, rs.model.transactional);
    const decision: Decision =
      timed.type === 'defer'
        ? { verdict: 'defer', notBefore: new Date(free()).toISOString(), reasons: [reason], rules: hash }
        : { verdict: 'suppress', reasons: [reason], rules: hash };
    return { decision, trace };
  }
  if (timed) {
    const w = rs.model.windows[timed.params.windowIndex!]!;
    const byState = rs.model.windows.some(
      (x) => x.region === w.region && x.channel === w.channel && x.subdivisions.length > 0,
    );
    const decision: Decision =
      timed.type === 'defer'
        ? {
            verdict: 'defer',
            notBefore: nextOpening(w, zone!, ms),
            reasons: [
              quietReason(w, stateOf(input.contact, input.message.channel, chosen.address), local!, byState),
            ],
            rules: hash,
          }
        : {
            verdict: 'suppress',
            reasons: [
              {
                rule: timed.params.rule,
                message: fill(timed.params.template, { ...deciding.facts, from: w.from, until: w.until }),
              },
            ],
            rules: hash,
          };
    return { decision, trace };
  }
  const allow = deciding.fired.find((e) => e.type === 'allow');
  if (!allow) throw new Error('no matrix rule allowed the message');
  const reasons = [{ rule: allow.params.rule, message: fill(TEMPLATES.matrixAllows, deciding.facts) }];
  if (subs.length > 1) reasons.push(priorityReason(input.message.channel, chosen, subs.length));
  return { decision: { verdict: 'send', address: chosen.address, reasons, rules: hash }, trace };
}

/** The same decision as decideSend, made by json-rules-engine, with the trace of every rule. Never rejects. */
export async function decideWithEngine(ruleSet: RuleSet, input: DecideInput): Promise<EngineDecision> {
  try {
    return await decideTraced(ruleSet, input);
  } catch (err) {
    const decision = failClosed(ruleSet?.hash ?? 'unknown', err);
    return {
      decision,
      trace: { facts: null, candidates: [], rules: [], error: decision.reasons[0]!.message },
    };
  }
}
