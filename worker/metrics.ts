// consentflow's own metrics, recorded through the Temporal SDK's metric meter so they are exported with the
// SDK's runtime metrics (worker slots, poll latencies, workflow and activity outcomes) on the same Prometheus
// endpoint (`consentflow worker --metrics-port`). Recorded by an activity interceptor from what decideStep and
// deliver return, so neither activity nor any workflow changes, and replay is not involved (activities do not
// replay). Labels are bounded: verdicts, channels, outcomes and failure kinds are closed sets, and rule ids are
// bounded by the rule set; contact ids, addresses and workflow ids never become a label.
import type { Context } from '@temporalio/activity';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { DecideStepResult, DeliveryResult } from '../activities';
import type { DecisionReason } from '../rules/model';

export const METRIC = {
  decisions: 'consentflow_decisions_total',
  defers: 'consentflow_defers_total',
  decisionLatency: 'consentflow_decision_latency_seconds',
  deliveries: 'consentflow_deliveries_total',
  deliveryLatency: 'consentflow_delivery_latency_seconds',
} as const;

/** Bucket bounds (seconds): a decision takes milliseconds, a delivery up to the provider deadline. */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRIC.decisionLatency]: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  [METRIC.deliveryLatency]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
};

/**
 * The rule that decided, as the run's `DecidedBy` search attribute names it (workflows/run-findings.ts): a
 * workflow or delivery override when there is one, otherwise the rules' first reason.
 */
function decidingRule(reasons: readonly DecisionReason[] | undefined): string {
  if (!reasons?.length) return 'none';
  for (let i = reasons.length - 1; i >= 0; i--) {
    const rule = reasons[i]!.rule;
    if (rule.startsWith('workflow:') || (rule.startsWith('deliver:') && rule !== 'deliver:accepted'))
      return rule;
  }
  return reasons[0]!.rule;
}

/** A rule id as a label value: ids are short slugs; anything else is cut so a label can never grow. */
const bounded = (value: string) => (value.length > 64 ? value.slice(0, 64) : value);

function recordDecision(meter: MetricMeter, result: DecideStepResult, seconds: number): void {
  // An answer that repeats an earlier decision (a step asked again after its message went out, an attempt a
  // newer one superseded) decided nothing: one count per decision made.
  if (result.repeated) return;
  const tags: MetricTags = { verdict: result.verdict, rule: bounded(decidingRule(result.reasons)) };
  meter.createCounter(METRIC.decisions, '1', 'consent decisions by verdict and deciding rule').add(1, tags);
  if (result.verdict === 'defer')
    meter.createCounter(METRIC.defers, '1', 'deferred sends by deciding rule').add(1, { rule: tags.rule! });
  meter
    .createHistogram(METRIC.decisionLatency, 'float', 's', 'time decideStep took')
    .record(seconds, { verdict: result.verdict });
}

function recordDelivery(meter: MetricMeter, channel: string, outcome: string, seconds: number): void {
  meter
    .createCounter(METRIC.deliveries, '1', 'delivery attempts by channel and outcome')
    .add(1, { channel, outcome });
  meter
    .createHistogram(METRIC.deliveryLatency, 'float', 's', 'time a delivery attempt took')
    .record(seconds, { channel, outcome });
}

/** The outcome of one deliver attempt: its state, or the failure kind, or `error` when it threw (retried). */
function deliveryOutcome(result: DeliveryResult): string {
  return result.state === 'failed' && result.failure ? `failed:${result.failure.kind}` : result.state;
}

class ActivityMetrics implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const type = this.ctx.info.activityType;
    if (type !== 'decideStep' && type !== 'deliver') return next(input);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const meter = this.ctx.metricMeter;
    let result: unknown;
    try {
      result = await next(input);
    } catch (err) {
      // A thrown attempt is retried by Temporal; counted so a provider outage shows before anything fails.
      if (type === 'deliver') recordDelivery(meter, 'unknown', 'error', seconds());
      throw err;
    }
    if (type === 'decideStep') recordDecision(meter, result as DecideStepResult, seconds());
    else {
      const delivery = result as DeliveryResult;
      // deliver's input is only the message key; its result names the channel (absent when it never got that far).
      recordDelivery(meter, delivery.channel ?? 'unknown', deliveryOutcome(delivery), seconds());
    }
    return result;
  }
}

/** The worker's activity interceptor that records consentflow's metrics (worker/create-worker.ts). */
export const activityMetrics: ActivityInterceptorsFactory = (ctx) => ({ inbound: new ActivityMetrics(ctx) });
