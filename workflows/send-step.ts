// The one send step every automation uses: ask the consent decision, then deliver, wait for `notBefore`, or
// record the suppression. It returns an outcome and never throws for a message-level problem: a refused
// address, a template error, a deadline that passed or a bug in an activity input is a recorded step, and the
// automation goes on. Deterministic: time comes from the workflow clock, side effects from activities.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConsentflowActivities, DecideStepResult, DeliveryResult } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../activities/errors';
import type { Deferral, StepOutcome, StepRecord } from '../contracts/automation-result';
import type { DecisionReason } from '../rules/model';
import {
  DECISION_VALID_FOR_MS,
  MAX_DEFERS,
  MAX_ROUNDS,
  RECORD_OPTIONS,
  deadlineMs,
  decideOptions,
  deliverOptions,
} from './activity-options';
import type { SendSpec } from './definitions';
import { msOf } from './duration';
import { CurrentDetails, decideSummary, deferSummary, deliverSummary, durationWords } from './explain';
import { messageKeyFor } from './message-key';
import { RunFindings } from './run-findings';
import { StepRecords } from './step-records';
import { VirtualClock, type CommonInput } from './virtual-clock';

export type { CommonInput } from './virtual-clock';
export type { StepRecord } from '../contracts/automation-result';
export { stepsQuery } from './step-records';

/** Stop conditions are checked during defer waits: runs before this patch slept through them. */
export const STOP_ENDS_DEFER = 'stop-ends-defer';

export interface SendOptions {
  /** Non-personal template values (order id, item count); they travel with the outbox row. */
  vars?: Record<string, string | number>;
  /** The automation's stop condition: a reason when this message should no longer go out, else undefined. */
  stopWhen?: () => string | undefined;
}

export interface StepRunnerOptions {
  /** Key scope instead of the run chain: a business id (see message-key.ts). */
  scope?: string;
  /** Records carried across continue-as-new. */
  records?: StepRecord[];
}

export class StepRunner {
  readonly clock: VirtualClock;
  /** The run's current details in the Web UI; the automation adds its own waits. */
  readonly details = new CurrentDetails();
  private readonly list: StepRecords;
  private readonly findings: RunFindings;

  constructor(
    private readonly input: CommonInput,
    private readonly options: StepRunnerOptions = {},
  ) {
    this.clock = new VirtualClock(input);
    this.list = new StepRecords(options.records ?? []);
    this.findings = new RunFindings(options.records ?? []);
  }

  get records(): StepRecord[] {
    return this.list.all;
  }

  /** The step whose failure stopped the automation (its definition says `onFailure: stop`), if any. */
  halted: string | undefined;

  /** A duration of the definition in its own words (`2 days`), even when the client ran it faster. */
  durationText(ms: number): string {
    const scale = this.input.timeScale;
    if (!scale || scale === 1) return durationWords(ms);
    const original = ms / scale;
    return durationWords(original >= 1_000 ? Math.round(original / 1_000) * 1_000 : original);
  }

  /** ` (demo pace: 400 ms)` after a timer's summary when the client scaled the durations, else nothing. */
  paced(ms: number): string {
    const scale = this.input.timeScale;
    return scale && scale !== 1 ? ` (demo pace: ${durationWords(ms)})` : '';
  }

  /** The instant decisions are made for. */
  now(): Date {
    return this.clock.now();
  }

  async send(step: string, spec: SendSpec, opts: SendOptions = {}): Promise<StepRecord> {
    const record = await this.run(step, spec, opts);
    if (record.outcome === 'failed' && spec.onFailure === 'stop') this.halted ??= step;
    return record;
  }

  private async run(step: string, spec: SendSpec, opts: SendOptions): Promise<StepRecord> {
    const info = workflowInfo();
    const ref = {
      workflowId: info.workflowId,
      runChain: info.firstExecutionRunId,
      runId: info.runId,
      step,
      messageKey: messageKeyFor(info.workflowId, this.options.scope ?? info.firstExecutionRunId, step),
      contactId: this.input.contactId,
    };
    const base = { step, messageKey: ref.messageKey, channel: spec.channel, type: spec.type };
    this.list.started(step);
    const budget = spec.deadline !== undefined ? msOf(spec.deadline) : deadlineMs(spec.type);
    const stopChecked = patched(STOP_ENDS_DEFER);
    let deadline = Date.now() + budget;
    let defers = 0;
    let reasons: DecisionReason[] = [];
    let last: DecideStepResult | undefined;
    const deferrals: Deferral[] = [];

    const finish = (outcome: StepOutcome, extra: Partial<StepRecord> = {}): StepRecord => {
      const record: StepRecord = {
        ...base,
        outcome,
        verdict: last?.verdict ?? 'suppress',
        reasons,
        rulesHash: last?.rulesHash ?? '',
        decidedAt: last?.decidedAt ?? this.now().toISOString(),
        defers,
        ...(deferrals.length > 0 ? { deferrals: [...deferrals] } : {}),
        ...(outcome === 'sent' ? { delivery: 'sent' as const } : {}),
        ...(outcome === 'failed' ? { delivery: 'failed' as const } : {}),
        ...extra,
      };
      this.list.upsert(record);
      this.findings.settled(record);
      if (outcome !== 'deferred') this.details.clear(step);
      return record;
    };
    const record = async (
      outcome: 'expired' | 'stopped' | 'failed',
      why: DecisionReason,
      failure?: StepRecord['failure'],
    ): Promise<StepRecord> => {
      const summary = `record ${step} ${outcome} (${why.rule})`;
      const { recordOutcome } = proxyActivities<ConsentflowActivities>({ ...RECORD_OPTIONS, summary });
      const r = await recordOutcome({
        ...ref,
        message: { channel: spec.channel, type: spec.type },
        outcome,
        verdict: last?.verdict ?? 'suppress',
        reasons: [...reasons, why],
        defers,
        ...(failure ? { failure } : {}),
      });
      reasons = r.reasons;
      return finish(r.outcome, failure && r.outcome === 'failed' ? { failure } : {});
    };

    for (let round = 0; ; round++) {
      const stop = opts.stopWhen?.();
      if (stop && stopChecked) return record('stopped', { rule: 'workflow:stopped', message: stop });
      if (round >= MAX_ROUNDS) {
        return record(
          'failed',
          {
            rule: 'workflow:max-rounds',
            message: 'The decision kept changing between decide and deliver; not sent.',
          },
          { kind: 'internal', detail: `${MAX_ROUNDS} decision rounds` },
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return record('expired', expiredReason(spec.type, budget));
      let d: DecideStepResult;
      this.details.set(step, `${step}: asking the consent decision`);
      try {
        const options = { ...decideOptions(remaining), summary: decideSummary(step, spec) };
        d = await proxyLocalActivities<ConsentflowActivities>(options).decideStep({
          ...ref,
          message: spec,
          at: this.now().toISOString(),
          clockOffsetMs: this.clock.offsetMs,
          ...(opts.vars ? { vars: opts.vars } : {}),
          round,
          defers,
          maxDefers: MAX_DEFERS,
          validForMs: DECISION_VALID_FOR_MS,
        });
      } catch (err) {
        return this.failedActivity(err, spec.type, budget, deadline, record);
      }
      d = fromFirstVersion(d, defers);
      // Right after the decision, as the first version did: replays of its histories expect it here.
      this.findings.decided(d.verdict, d.reasons);
      last = d;
      defers = d.defers;
      reasons = d.reasons;
      if (d.outcome === 'deferred' && d.notBefore) {
        deferrals.push({ decidedAt: d.decidedAt, notBefore: d.notBefore, reasons: d.reasons });
        finish('deferred', { notBefore: d.notBefore });
        log.info('step deferred', { step, notBefore: d.notBefore });
        const waitMs = Math.max(0, Date.parse(d.notBefore) - this.now().getTime());
        const timer = { summary: deferSummary(step, d.reasons, d.notBefore) };
        this.details.set(step, `waiting: ${timer.summary}`);
        if (stopChecked && opts.stopWhen)
          await condition(() => opts.stopWhen!() !== undefined, waitMs, timer);
        else await sleep(waitMs, timer);
        deadline = Date.now() + budget; // the deadline counts from the step's last question, defers excluded
        continue;
      }
      if (d.outcome) return finish(d.outcome);
      const stopBeforeDelivery = opts.stopWhen?.();
      if (stopBeforeDelivery && stopChecked)
        return record('stopped', { rule: 'workflow:stopped', message: stopBeforeDelivery });
      let r: DeliveryResult;
      this.details.set(step, `${step}: delivering by ${spec.channel}`);
      try {
        const options = { ...deliverOptions(deadline - Date.now()), summary: deliverSummary(step, spec) };
        r = await proxyActivities<ConsentflowActivities>(options).deliver({
          messageKey: ref.messageKey,
          runId: ref.runId,
          clockOffsetMs: this.clock.offsetMs,
        });
      } catch (err) {
        return this.failedActivity(err, spec.type, budget, deadline, record);
      }
      if (r.state === 'redecide') continue;
      if (r.state === 'failed') {
        const failure = r.failure ?? { kind: 'recipient-refused' as const, detail: 'delivery failed' };
        reasons = [...reasons, { rule: `deliver:${failure.kind}`, message: failure.detail }];
        return finish('failed', { failure });
      }
      if (r.state === 'expired') return finish('expired');
      return finish('sent');
    }
  }

  /** An activity that gave up: past the deadline it is `expired`; anything else is a bug, recorded `failed`. */
  private failedActivity(
    err: unknown,
    type: string,
    budget: number,
    deadline: number,
    record: (
      o: 'expired' | 'failed',
      why: DecisionReason,
      failure?: StepRecord['failure'],
    ) => Promise<StepRecord>,
  ): Promise<StepRecord> {
    // Retries have no attempt limit: a retryable failure that surfaces, or a timeout, means the deadline ran out.
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const gaveUp =
      cause instanceof ApplicationFailure &&
      !cause.nonRetryable &&
      !(NON_RETRYABLE_ERROR_TYPES as readonly string[]).includes(cause.type ?? '');
    const timedOut =
      err instanceof ActivityFailure && (cause instanceof TimeoutFailure || err.retryState === 'TIMEOUT');
    if (timedOut || gaveUp || (err instanceof ActivityFailure && Date.now() >= deadline - 1_000)) {
      const last = cause instanceof TimeoutFailure ? cause.cause : cause;
      return record('expired', expiredReason(type, budget, last ? lastError(last) : undefined));
    }
    const detail = lastError(err);
    log.warn('send step failed in an activity; recorded as failed', { error: detail });
    return record(
      'failed',
      { rule: 'workflow:activity-failed', message: detail },
      { kind: 'internal', detail },
    );
  }
}

/**
 * A decision recorded by the first version (replayed from its history) has no outcome and no defer count: the
 * workflow derived them, suppressing after MAX_DEFERS defers itself. Same commands, same record.
 */
function fromFirstVersion(d: DecideStepResult, defers: number): DecideStepResult {
  if (d.outcome !== undefined || d.defers !== undefined) return d;
  if (d.verdict === 'suppress') return { ...d, outcome: 'suppressed', defers };
  if (d.verdict === 'defer' && d.notBefore && defers < MAX_DEFERS)
    return { ...d, outcome: 'deferred', defers: defers + 1 };
  if (d.verdict === 'defer') {
    const reasons = [
      ...d.reasons,
      { rule: 'workflow:max-defers', message: 'Deferred too many times; not sent.' },
    ];
    return { ...d, verdict: 'suppress', outcome: 'suppressed', reasons, defers };
  }
  return { ...d, defers };
}

function lastError(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function expiredReason(type: string, budget: number, lastFailure?: string): DecisionReason {
  const hours = Math.round((budget / 3_600_000) * 10) / 10;
  return {
    rule: 'workflow:deadline',
    message:
      `Not delivered within the ${hours} h deadline of a ${type} message` +
      (lastFailure ? ` (last failure: ${lastFailure})` : '') +
      '; not sent.',
  };
}
