// The step records an operator sees (query `steps`, and the workflow result): one per step, in the order the
// steps started, so concurrent steps still list in that order.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { StepRecord } from '../contracts/automation-result';

export const stepsQuery = defineQuery<StepRecord[]>('steps');

/** Shown next to the query in the Web UI (Queries tab) and returned by the workflow metadata query. */
export const STEPS_QUERY_DESCRIPTION =
  'Every send step of this run, in start order: outcome (sent, suppressed, deferred, failed, expired, ' +
  'stopped, duplicate, unconfirmed), verdict, the reasons with their rule ids, every deferral (until when and why) and ' +
  'the message key. decidedAt and notBefore are UTC instants on the run’s virtual clock (the demo and tests ' +
  'start runs at a chosen instant; in production it is the real clock). Ids and rule ids only, no address.';

export class StepRecords {
  private readonly order = new Map<string, number>();

  constructor(readonly all: StepRecord[]) {
    for (const r of all) this.started(r.step);
    setHandler(stepsQuery, () => this.all, { description: STEPS_QUERY_DESCRIPTION });
  }

  started(step: string): void {
    if (!this.order.has(step)) this.order.set(step, this.order.size);
  }

  upsert(record: StepRecord): void {
    const i = this.all.findIndex((r) => r.step === record.step);
    if (i >= 0) this.all[i] = record;
    else {
      this.all.push(record);
      const rank = (r: StepRecord) => this.order.get(r.step) ?? 0;
      this.all.sort((a, b) => rank(a) - rank(b));
    }
  }
}
