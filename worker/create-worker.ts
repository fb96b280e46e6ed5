// Builds a worker from its dependencies; the CLI, the demo, the benchmarks and the tests all go through here.
import { NativeConnection, Worker } from '@temporalio/worker';
import { workflowBundle } from './bundle';
import { activityMetrics } from './metrics';
import { bundleBuildId, deploymentOptions, type VersioningSettings } from './versioning';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  /** Another workflows module than workflows/index.ts (the benchmark's, with its baseline). */
  workflowsPath?: string;
  /** Worker Deployment Versioning (worker/versioning.ts); default: report the build id, route unversioned. */
  versioning?: VersioningSettings;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const bundle = await workflowBundle(opts.workflowsPath);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: bundle,
    workerDeploymentOptions: deploymentOptions(
      opts.versioning ?? { deploymentName: 'consentflow', behavior: 'off' },
      bundleBuildId(bundle),
    ),
    activities: opts.activities,
    // consentflow's counters and latencies, on the SDK's meter (exported when the runtime has an exporter).
    interceptors: { activity: [activityMetrics] },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    ...(opts.maxConcurrentLocalActivityExecutions
      ? { maxConcurrentLocalActivityExecutions: opts.maxConcurrentLocalActivityExecutions }
      : {}),
  });
}
