// Builds a worker from its dependencies; the CLI, the demo, the benchmarks and the tests all go through here.
import { NativeConnection, Worker } from '@temporalio/worker';
import { workflowBundle } from './bundle';
import { activityMetrics } from './metrics';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  /** Another workflows module than workflows/index.ts (the benchmark's, with its baseline). */
  workflowsPath?: string;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(opts.workflowsPath),
    activities: opts.activities,
    // consentflow's counters and latencies, on the SDK's meter (exported when the runtime has an exporter).
    interceptors: { activity: [activityMetrics] },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    ...(opts.maxConcurrentLocalActivityExecutions
      ? { maxConcurrentLocalActivityExecutions: opts.maxConcurrentLocalActivityExecutions }
      : {}),
  });
}
