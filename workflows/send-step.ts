// The one send step every automation uses: ask the consent decision, then deliver, sleep until `notBefore`,
// or record the suppression. Deterministic: time comes from the workflow clock, side effects from activities.
import {
  defineQuery,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { DecisionReason, Verdict } from '../rules/model';
import type { ConsentflowActivities } from '../activities';
import { LAST_VERDICT } from '../client/search-attributes';
import { NON_RETRYABLE_ERROR_TYPES } from '../activities/errors';
import type { SendSpec } from './definitions';

// The decision is a few milliseconds of PostgreSQL and rule evaluation, idempotent per step: a local activity
// saves the server two round trips per step (see docs/benchmarks.md). Delivery stays a regular activity, so
// its retries and failures are server-side and visible in the Web UI.
const { decideStep } = proxyLocalActivities<ConsentflowActivities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
  },
});

// Transports time out after 15 s; a crashed worker's attempt is retried on another worker 20 s after it began.
const { deliver } = proxyActivities<ConsentflowActivities>({
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 12,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

/** What an operator sees per step (query `steps`, and the workflow result). Ids and verdicts only. */
export interface StepRecord {
  step: string;
  channel: SendSpec['channel'];
  type: SendSpec['type'];
  verdict: Verdict;
  reasons: DecisionReason[];
  rulesHash: string;
  decidedAt: string;
  delivery?: 'sent' | 'failed';
  defers: number;
}

export const stepsQuery = defineQuery<StepRecord[]>('steps');

/** Input every automation accepts besides its own. */
export interface CommonInput {
  contactId: string;
  /**
   * Optional virtual start instant: decisions are asked "as of" this instant plus the workflow's elapsed time.
   * Lets the demo and tests exercise quiet hours without waiting for a real 08:00.
   */
  clockStart?: string;
}

/** Upper bound on consecutive defers of one step: a rule set that always defers must not loop forever. */
const MAX_DEFERS = 5;

export class StepRunner {
  readonly records: StepRecord[] = [];
  private readonly offsetMs: number;
  /** Steps in the order they were started: concurrent steps still list in that order. */
  private readonly started = new Map<string, number>();

  constructor(private readonly input: CommonInput) {
    this.offsetMs = input.clockStart ? Date.parse(input.clockStart) - Date.now() : 0;
    setHandler(stepsQuery, () => this.records);
  }

  /** The instant decisions are made for. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** `vars` are non-personal template values (order id, item count); they travel with the outbox row. */
  async send(step: string, spec: SendSpec, vars?: Record<string, string | number>): Promise<StepRecord> {
    const { workflowId } = workflowInfo();
    if (!this.started.has(step)) this.started.set(step, this.started.size);
    let defers = 0;
    for (;;) {
      const at = this.now();
      const decision = await decideStep({
        workflowId,
        step,
        contactId: this.input.contactId,
        message: spec,
        at: at.toISOString(),
        ...(vars ? { vars } : {}),
      });
      upsertSearchAttributes([{ key: LAST_VERDICT, value: decision.verdict }]);
      const record: StepRecord = {
        step,
        channel: spec.channel,
        type: spec.type,
        verdict: decision.verdict,
        reasons: decision.reasons,
        rulesHash: decision.rulesHash,
        decidedAt: at.toISOString(),
        defers,
      };
      if (decision.verdict === 'defer' && decision.notBefore && defers < MAX_DEFERS) {
        defers++;
        const waitMs = Math.max(0, Date.parse(decision.notBefore) - at.getTime());
        log.info('step deferred', { step, notBefore: decision.notBefore });
        this.upsert(record);
        await sleep(waitMs);
        continue;
      }
      if (decision.verdict === 'defer') {
        // Deferred too often (or without an instant): fail closed.
        record.verdict = 'suppress';
        record.reasons = [
          ...decision.reasons,
          { rule: 'workflow:max-defers', message: 'Deferred too many times; not sent.' },
        ];
      }
      if (record.verdict === 'send' && decision.idempotencyKey) {
        const result = await deliver({ idempotencyKey: decision.idempotencyKey });
        record.delivery = result.state;
      }
      this.upsert(record);
      return record;
    }
  }

  private upsert(record: StepRecord): void {
    const i = this.records.findIndex((r) => r.step === record.step);
    if (i >= 0) this.records[i] = record;
    else {
      this.records.push(record);
      const rank = (r: StepRecord) => this.started.get(r.step) ?? 0;
      this.records.sort((a, b) => rank(a) - rank(b));
    }
  }
}
