// Decisions per second through decideSend (the code the workers call), next to a plain in-memory lookup of
// the same matrices and to json-rules-engine evaluating the same files. Prints figures; asserts nothing.
// Standalone: npx tsx bench/decisions.ts [--quick]
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import {
  decideSend,
  decideWithEngine,
  loadRuleSet,
  CHANNELS,
  GLOBAL_STATUSES,
  SUBSCRIPTION_STATUSES,
  type DecideInput,
  type RuleSet,
} from '../rules/index';

const RULES_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../rules');
const MESSAGE_TYPES = loadRuleSet(RULES_DIR).messageTypes;

const AREA_CODES = ['305', '512', '212', '555'];

/** 0-20 earlier messages (marketing and transactional SMS, email), canonical UTC instants as the outbox gives. */
function historyOf(i: number, at: Date): DecideInput['history'] {
  return Array.from({ length: i % 21 }, (_, k) => ({
    channel: k % 3 ? ('sms' as const) : ('email' as const),
    type: k % 4 === 0 ? 'order_confirmation' : 'campaign',
    at: new Date(at.getTime() - (k * 2 + 1) * 3_600_000).toISOString(),
  }));
}

/**
 * Every channel x region (US, DE, CA, none) x type x subscription status x global status, at noon and at night,
 * each with a history of 0-20 messages; US SMS numbers carry area codes of states with their own hours and of
 * none; Canadian contacts have no implied consent, a valid one or an expired one.
 */
function requestSet(): DecideInput[] {
  const out: DecideInput[] = [];
  let i = 0;
  for (const channel of CHANNELS)
    for (const country of ['US', 'DE', 'CA', null])
      for (const type of MESSAGE_TYPES)
        for (const subStatus of SUBSCRIPTION_STATUSES)
          for (const status of GLOBAL_STATUSES) {
            i++;
            const at = new Date(i % 2 ? '2026-06-15T16:00:00Z' : '2026-06-15T04:00:00Z');
            out.push({
              contact: {
                status,
                country,
                timezone:
                  country === 'DE'
                    ? 'Europe/Berlin'
                    : country === 'CA'
                      ? 'America/Toronto'
                      : 'America/New_York',
                // Canada: no implied consent, a purchase a year ago (valid), an inquiry 7 months ago (expired)
                ...(country === 'CA' && i % 3 > 0
                  ? {
                      impliedConsent: {
                        basis: i % 3 === 1 ? ('purchase' as const) : ('inquiry' as const),
                        at: i % 3 === 1 ? '2025-06-15' : '2025-11-15',
                      },
                    }
                  : {}),
                subscriptions: [
                  {
                    resource: 'shop',
                    channel,
                    address:
                      channel === 'sms'
                        ? `+1${AREA_CODES[i % 4]}555${String(i % 10000).padStart(4, '0')}`
                        : `a${i}`,
                    status: subStatus,
                    priority: 2,
                  },
                  ...(i % 3 === 0
                    ? [
                        {
                          resource: 'shop',
                          channel,
                          address: `b${i}`,
                          status: 'subscribed' as const,
                          priority: 5,
                        },
                      ]
                    : []),
                ],
              },
              message: { channel, type },
              at,
              history: historyOf(i, at),
            });
          }
  return out;
}

/** The baseline: the matrices as nested objects, looked up with the subscription's column. Nothing else. */
function plainLookup(rs: RuleSet) {
  const table: Record<string, Record<string, Record<string, ReadonlySet<string>>>> = {};
  for (const region of rs.model.regions) {
    for (const channel of CHANNELS) {
      const id = region.matrices[channel];
      const m = id ? rs.model.matrices.get(id) : undefined;
      (table[region.id] ??= {})[channel] ??= {};
      for (const [type, reaches] of m?.rows ?? []) table[region.id]![channel]![type] = reaches;
    }
  }
  const columns = rs.model.columns;
  return (input: DecideInput): boolean => {
    const country = input.contact.country;
    const region = country === 'US' || !country ? 'us' : country === 'CA' ? 'ca' : 'rest-of-world';
    const s = input.contact.subscriptions[0]!;
    return table[region]![input.message.channel]![input.message.type]?.has(columns[s.status]) ?? false;
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function timeLoop(passes: number, requests: DecideInput[], fn: (r: DecideInput) => unknown): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const r of requests) if (fn(r)) sink++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink < 0) console.log(sink);
  return (passes * requests.length) / (ns / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Both loops in alternating rounds, so a noisy neighbour slows both alike; each figure is the median round
 * and the ratio is the median of the per-round ratios.
 */
function interleaved(
  rounds: number,
  requests: DecideInput[],
  decide: (r: DecideInput) => unknown,
  lookup: (r: DecideInput) => unknown,
) {
  const decideRates: number[] = [];
  const lookupRates: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // About 30 ms per loop: long enough to time, short enough for many rounds.
    const d = timeLoop(10, requests, decide);
    const l = timeLoop(50, requests, lookup);
    decideRates.push(d);
    lookupRates.push(l);
    ratios.push(d / l);
  }
  return { decideRate: median(decideRates), lookupRate: median(lookupRates), ratio: median(ratios) };
}

function latencies(
  requests: DecideInput[],
  fn: (r: DecideInput) => unknown,
): { p50: number; p99: number; max: number } {
  const samples = new Float64Array(requests.length);
  requests.forEach((r, i) => {
    const t0 = process.hrtime.bigint();
    fn(r);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  });
  samples.sort();
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples[samples.length - 1]! };
}

export async function benchDecisions(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const rs = loadRuleSet(RULES_DIR);
  const requests = requestSet();
  const lookup = plainLookup(rs);
  const decide = (r: DecideInput) => decideSend(rs, r);

  timeLoop(20, requests, decide); // warm the lazily filled tables and the JIT
  timeLoop(20, requests, lookup);
  const rounds = opts.quick ? 7 : 41;
  const {
    decideRate: compiledRate,
    lookupRate: plainRate,
    ratio,
  } = interleaved(rounds, requests, decide, lookup);
  const compiledLatency = latencies(requests, decide);
  const verdicts: Record<string, number> = {};
  for (const r of requests) {
    const v = decideSend(rs, r).verdict;
    verdicts[v] = (verdicts[v] ?? 0) + 1;
  }

  const engineCount = opts.quick ? 2_000 : 10_000;
  const engineSet = Array.from({ length: engineCount }, (_, i) => requests[(i * 7919) % requests.length]!);
  const engineLatency = new Float64Array(engineCount);
  const e0 = process.hrtime.bigint();
  for (let i = 0; i < engineCount; i++) {
    const t0 = process.hrtime.bigint();
    await decideWithEngine(rs, engineSet[i]!);
    engineLatency[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const engineRate = engineCount / (Number(process.hrtime.bigint() - e0) / 1e9);
  engineLatency.sort();

  const result = {
    requests: requests.length,
    verdicts,
    rounds,
    decisions: rounds * 10 * requests.length,
    decideSendPerSecond: Math.round(compiledRate),
    plainLookupPerSecond: Math.round(plainRate),
    ratioToPlainLookup: Number(ratio.toFixed(3)),
    decideSendP50Ms: Number(compiledLatency.p50.toFixed(4)),
    decideSendP99Ms: Number(compiledLatency.p99.toFixed(4)),
    decideSendMaxMs: Number(compiledLatency.max.toFixed(3)),
    jsonRulesEnginePerSecond: Math.round(engineRate),
    jsonRulesEngineP50Ms: Number(percentile(engineLatency, 0.5).toFixed(3)),
    jsonRulesEngineP99Ms: Number(percentile(engineLatency, 0.99).toFixed(3)),
    speedupOverJsonRulesEngine: Number((compiledRate / engineRate).toFixed(1)),
    targets: {
      ratioAtLeastOneTenth: ratio >= 0.1,
      p99UnderOneMs: compiledLatency.p99 < 1,
    },
  };
  console.log('decisions benchmark');
  console.log(
    `  decideSend (compiled tables): ${result.decideSendPerSecond.toLocaleString('en')} decisions/s, p50 ${result.decideSendP50Ms} ms, p99 ${result.decideSendP99Ms} ms`,
  );
  console.log(
    `  plain in-memory matrix lookup: ${result.plainLookupPerSecond.toLocaleString('en')} lookups/s`,
  );
  console.log(`  ratio decideSend / plain lookup: ${result.ratioToPlainLookup} (target >= 0.1)`);
  console.log(
    `  json-rules-engine (decideWithEngine): ${result.jsonRulesEnginePerSecond.toLocaleString('en')} decisions/s, p50 ${result.jsonRulesEngineP50Ms} ms, p99 ${result.jsonRulesEngineP99Ms} ms`,
  );
  console.log(`  decideSend is ${result.speedupOverJsonRulesEngine}x json-rules-engine`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDecisions({ quick: process.argv.includes('--quick') });
}
