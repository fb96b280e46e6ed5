// Whether a campaign can answer, before the client asks it anything. A query or an update is answered by a
// worker replaying the workflow: with none running, Temporal holds a query about 30 s before it fails and an
// update until a worker comes back (then applies it, long after the user gave up). So: an ended campaign's
// status is its result (Temporal keeps it; no worker needed), and a running one is asked with a deadline;
// pause, resume and cancel are sent only once a worker has answered that probe.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CampaignState, CampaignStatus } from '../contracts/campaign';

/** How long a worker has to answer a campaign's status query: it answers in milliseconds when it runs. */
export const ANSWER_WITHIN_MS = 10_000;

export class CampaignEndedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly how: string,
  ) {
    super(
      `campaign ${workflowId} has ended (${how}): there is nothing to pause, resume or cancel; ` +
        `\`consentflow campaigns status\` shows its final counts.`,
    );
    this.name = 'CampaignEndedError';
  }
}

export class NoWorkerError extends Error {
  constructor(
    readonly workflowId: string,
    readonly taskQueue: string,
  ) {
    super(
      `campaign ${workflowId} is running, but no worker answered for it within ${ANSWER_WITHIN_MS / 1000} s: ` +
        `no worker polls task queue "${taskQueue}", or it is overloaded. Start one with \`consentflow worker\` ` +
        `(TEMPORAL_TASK_QUEUE=${taskQueue}); the campaign waits meanwhile and loses nothing.`,
    );
    this.name = 'NoWorkerError';
  }
}

export type Reach =
  | { running: true; taskQueue: string }
  /** The run ended; `final` is its result when it completed (a campaign returns its status). */
  | { running: false; how: CampaignState; final?: CampaignStatus };

const ENDED: Partial<Record<string, CampaignState>> = {
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed out',
};

export async function reach(handle: WorkflowHandle): Promise<Reach> {
  const d = await handle.describe();
  if (d.status.name === 'RUNNING') return { running: true, taskQueue: d.taskQueue };
  const how = ENDED[d.status.name] ?? 'failed';
  if (d.status.name !== 'COMPLETED') return { running: false, how };
  return { running: false, how, final: (await handle.result()) as CampaignStatus };
}

/** `fn` (a query of the campaign or of one of its ranges), failing once the answer deadline has passed. */
export function withinAnswerDeadline<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + ANSWER_WITHIN_MS, fn);
}

/** withinAnswerDeadline for the campaign itself: NoWorkerError past the deadline. */
export async function answered<T>(
  client: Client,
  handle: WorkflowHandle,
  taskQueue: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await withinAnswerDeadline(client, fn);
  } catch (err) {
    if (isDeadline(err)) throw new NoWorkerError(handle.workflowId, taskQueue);
    throw err;
  }
}

function isDeadline(err: unknown): boolean {
  // gRPC DEADLINE_EXCEEDED (4), as the client reports it; or the server giving up on the query itself.
  const e = err as { code?: number; cause?: { code?: number }; message?: string };
  return e?.code === 4 || e?.cause?.code === 4 || /deadline|Failed to query Workflow/i.test(e?.message ?? '');
}
