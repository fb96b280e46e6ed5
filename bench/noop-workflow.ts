// Baseline for the automation benchmark: the same shape as an order confirmation (start, one activity, end)
// with no work in the activity. Only the benchmark's worker (bench/workflows.ts) registers it and `noop`.
import { proxyActivities } from '@temporalio/workflow';

export interface BenchActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<BenchActivities>({ startToCloseTimeout: '10 seconds' });

export async function benchNoopWorkflow(): Promise<void> {
  await noop();
}
