// The step records an operator sees (query `steps`, and the workflow result): one per step, in the order the
// steps started, so concurrent steps still list in that order.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { StepRecord } from '../contracts/automation-result';

export const stepsQuery = defineQuery<StepRecord[]>('steps');

export class StepRecords {
  private readonly order = new Map<string, number>();

  constructor(readonly all: StepRecord[]) {
    for (const r of all) this.started(r.step);
    setHandler(stepsQuery, () => this.all);
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
