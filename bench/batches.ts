// The automation benchmark's measuring pieces: timed batches of order confirmations and of bare no-op
// workflows, and the send step as PostgreSQL recorded it. Shared by the single-worker run (automations.ts)
// and the two-server comparison (servers.ts).
import type { Client } from '@temporalio/client';
import { createAutomationClient } from '../client/automations';
import { loadAutomations, type AutomationCatalog } from '../client/definitions';
import { benchNoopWorkflow } from './noop-workflow';
import { mapLimit, percentile, round, type BenchDatabase } from './support';
import { TASK_QUEUE } from './automation-stack';

/** Workflows started at once; the rest queue in the client, as an app under load would. */
export const IN_FLIGHT = 100;

export interface Batch {
  workflows: number;
  seconds: number;
  perSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

type Starter = (i: number) => Promise<() => Promise<unknown>>;

/**
 * Starts `n` workflows with `start` (at most `inFlight` at once) and waits for every result. The first failure
 * is printed when it happens and stops new starts; the batch rejects once the workflows already in flight have
 * settled, so no call is left running on a connection its caller is about to close.
 */
export async function timeBatch(n: number, start: Starter, inFlight = IN_FLIGHT): Promise<Batch> {
  const latencies = new Float64Array(n);
  const t0 = performance.now();
  let failure: Error | undefined;
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    inFlight,
    async (i) => {
      if (failure) return;
      const s = performance.now();
      try {
        const result = await start(i);
        await result();
      } catch (err) {
        if (!failure) {
          failure = err as Error;
          console.error(`workflow ${i} of a batch of ${n} failed: ${failure.message}`);
        }
        return;
      }
      latencies[i] = performance.now() - s;
    },
  );
  if (failure) throw failure;
  const seconds = (performance.now() - t0) / 1000;
  return {
    workflows: n,
    seconds: round(seconds, 2),
    perSecond: round(n / seconds, 1),
    latencyP50Ms: round(percentile(latencies, 0.5), 1),
    latencyP99Ms: round(percentile(latencies, 0.99), 1),
  };
}

export function bareBatch(client: Client, run: string, n: number, inFlight?: number): Promise<Batch> {
  return timeBatch(
    n,
    async (i) => {
      const handle = await client.workflow.start(benchNoopWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: `bench-noop-${run}-${i}`,
        args: [],
      });
      return () => handle.result();
    },
    inFlight,
  );
}

/** Only the confirmation sends, closing right after them: an order confirmation is start, send, end. */
export function benchCatalog(): AutomationCatalog {
  const catalog = loadAutomations();
  return {
    ...catalog,
    order: { ...catalog.order, shipping: [], cancellation: [], closeAfter: 0 },
  };
}

export function orderBatch(
  client: Client,
  contacts: string[],
  run: string,
  n: number,
  inFlight?: number,
): Promise<Batch> {
  const automations = createAutomationClient({ client, taskQueue: TASK_QUEUE, catalog: benchCatalog() });
  return timeBatch(
    n,
    async (i) => {
      const id = await automations.orderPlaced(`bench-${run}-${i}`, contacts[i % contacts.length]!);
      return () => client.workflow.getHandle(id).result();
    },
    inFlight,
  );
}

/** Send step as PostgreSQL saw it: from the decision row to the outbox row marked sent. */
export async function sendStepLatency(db: BenchDatabase, runs: string[]) {
  const { rows } = await db.pool.query<{ ms: number; state: string }>(
    `SELECT o.state, extract(epoch FROM (o.sent_at - d.decided_at)) * 1000 AS ms
     FROM outbox o JOIN decision_log d ON d.id = o.decision_id
     WHERE o.workflow_id LIKE ANY($1::text[])`,
    [runs.map((r) => `order-bench-${r}-%`)],
  );
  const sent = rows.filter((r) => r.state === 'sent').map((r) => Number(r.ms));
  return {
    outboxRows: rows.length,
    sent: sent.length,
    p50Ms: round(percentile(sent, 0.5), 1),
    p99Ms: round(percentile(sent, 0.99), 1),
  };
}

export const sum = (batches: Batch[]): Batch => {
  const workflows = batches.reduce((a, b) => a + b.workflows, 0);
  const seconds = batches.reduce((a, b) => a + b.seconds, 0);
  return {
    workflows,
    seconds: round(seconds, 2),
    perSecond: round(workflows / seconds, 1),
    // a median of medians: every batch has the same size, so this is close enough and says so in the name
    latencyP50Ms: round(
      percentile(
        batches.map((b) => b.latencyP50Ms),
        0.5,
      ),
      1,
    ),
    latencyP99Ms: round(Math.max(...batches.map((b) => b.latencyP99Ms)), 1),
  };
};
