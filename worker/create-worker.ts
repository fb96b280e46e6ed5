// Builds a worker from its dependencies; the CLI, the demo, the benchmarks and the tests all go through here.
import { NativeConnection, Worker } from '@temporalio/worker';
import { workflowBundle } from './bundle';
import { activityMetrics } from './metrics';
import { bundleBuildId, deploymentOptions, type VersioningSettings } from './versioning';
import type { WorkerTracing } from './tracing';

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
  /** OpenTelemetry tracing (worker/tracing.ts): the traced workflow bundle, its interceptors and sink. */
  tracing?: WorkerTracing;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const bundle = await workflowBundle(opts.workflowsPath, { traced: !!opts.tracing });
  // A traced worker is the same version as an untraced one: the interceptors add spans and headers, never a
  // command, and the traced bundle replays every history fixture (scripts/build.ts). So it reports the build
  // id of the untraced bundle, and turning tracing on or off is no deployment of new workflow code.
  const buildId = bundleBuildId(opts.tracing ? await workflowBundle(opts.workflowsPath) : bundle);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: bundle,
    workerDeploymentOptions: deploymentOptions(
      opts.versioning ?? { deploymentName: 'consentflow', behavior: 'off' },
      buildId,
    ),
    activities: opts.activities,
    // consentflow's counters and latencies, on the SDK's meter (exported when the runtime has an exporter).
    interceptors: { activity: [activityMetrics, ...(opts.tracing?.activity ?? [])] },
    ...(opts.tracing ? { sinks: opts.tracing.sinks } : {}),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    ...(opts.maxConcurrentLocalActivityExecutions
      ? { maxConcurrentLocalActivityExecutions: opts.maxConcurrentLocalActivityExecutions }
      : {}),
  });
}
