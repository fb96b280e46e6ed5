// Automations end to end: N order confirmations (start through the automation client, decideStep, deliver to
// the local SMTP and SMS sinks, recorded in PostgreSQL) against N bare workflows with one no-op activity, on
// the same dev server and worker in the same run. The bare baseline is also measured on a second dev server
// without the SQLite pragmas, to record what they change. Standalone: npx tsx bench/automations.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { createAutomationClient } from '../client/automations';
import { loadAutomations, type AutomationCatalog } from '../client/definitions';
import { DEFAULT_PRAGMAS } from '../client/dev-server';
import { startSmsSink } from '../activities/transports/sinks/sms-sink';
import { startSmtpSink } from '../activities/transports/sinks/smtp-sink';
import { benchNoopWorkflow } from './noop-workflow';
import { freshDatabase, mapLimit, percentile, round, type BenchDatabase } from './support';
import { TASK_QUEUE, seedContacts, startStack, type Stack } from './automation-stack';

/** Workflows started at once; the rest queue in the client, as an app under load would. */
const IN_FLIGHT = 100;

export interface AutomationBenchOptions {
  quick: boolean;
  /** Workflows per measured batch; default 300 (quick: 60). */
  workflows?: number;
  databaseUrl?: string;
}

interface Batch {
  workflows: number;
  seconds: number;
  perSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

type Starter = (i: number) => Promise<() => Promise<unknown>>;

/** Starts `n` workflows with `start` (at most `inFlight` at once) and waits for every result. */
async function timeBatch(n: number, start: Starter, inFlight = IN_FLIGHT): Promise<Batch> {
  const latencies = new Float64Array(n);
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    inFlight,
    async (i) => {
      const s = performance.now();
      const result = await start(i);
      await result();
      latencies[i] = performance.now() - s;
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    workflows: n,
    seconds: round(seconds, 2),
    perSecond: round(n / seconds, 1),
    latencyP50Ms: round(percentile(latencies, 0.5), 1),
    latencyP99Ms: round(percentile(latencies, 0.99), 1),
  };
}

function bareBatch(client: Client, run: string, n: number, inFlight?: number): Promise<Batch> {
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
function benchCatalog(): AutomationCatalog {
  const catalog = loadAutomations();
  return {
    ...catalog,
    order: { ...catalog.order, shipping: [], cancellation: [], closeAfter: 0 },
  };
}

function orderBatch(
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
async function sendStepLatency(db: BenchDatabase, runs: string[]) {
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

const sum = (batches: Batch[]): Batch => {
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

export async function benchAutomations(opts: AutomationBenchOptions): Promise<Record<string, unknown>> {
  const n = opts.workflows ?? (opts.quick ? 60 : 300);
  const rounds = opts.quick ? 1 : 2;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'cf-bench-temporal-'));
  const db = await freshDatabase('automations', { databaseUrl: opts.databaseUrl, poolSize: 25 });
  const smtp = await startSmtpSink();
  const sms = await startSmsSink();
  let stack: Stack | undefined;
  try {
    const contacts = await seedContacts(db, Math.min(n, 500));
    const run = Date.now().toString(36);

    // With WAL (the default the dev command uses): bare and orders alternate, after a warm-up of both.
    stack = await startStack(path.join(stateDir, 'wal'), DEFAULT_PRAGMAS, db, smtp, sms);
    await bareBatch(stack.client, `${run}-warm`, 20);
    await orderBatch(stack.client, contacts, `${run}-warm`, 20);
    // One at a time first: the latency of a single workflow on an idle server.
    const single = opts.quick ? 5 : 20;
    const bareAlone = await bareBatch(stack.client, `${run}-alone`, single, 1);
    const orderAlone = await orderBatch(stack.client, contacts, `${run}-alone`, single, 1);
    const bare: Batch[] = [];
    const orders: Batch[] = [];
    const orderRuns: string[] = [];
    for (let r = 0; r < rounds; r++) {
      bare.push(await bareBatch(stack.client, `${run}-${r}`, n));
      orders.push(await orderBatch(stack.client, contacts, `${run}-${r}`, n));
      orderRuns.push(`${run}-${r}`);
    }
    const sendStep = await sendStepLatency(db, orderRuns);
    const expectedSends = 2 * n * rounds; // both confirmations of every order, by email and by SMS
    if (sendStep.sent !== expectedSends)
      throw new Error(`expected ${expectedSends} sent outbox rows, found ${sendStep.sent}`);
    const delivered = { emails: smtp.messages().length, sms: sms.messages().length };
    await stack.stop();
    stack = undefined;

    // Same bare workflows on a dev server with no pragmas (the Temporal CLI's own SQLite defaults).
    stack = await startStack(path.join(stateDir, 'plain'), {}, db, smtp, sms);
    await bareBatch(stack.client, `${run}-plain-warm`, 20);
    const barePlain: Batch[] = [];
    for (let r = 0; r < rounds; r++) barePlain.push(await bareBatch(stack.client, `${run}-plain-${r}`, n));
    await stack.stop();
    stack = undefined;

    const bareWal = sum(bare);
    const order = sum(orders);
    const noPragmas = sum(barePlain);
    const ratio = round(order.perSecond / bareWal.perSecond, 3);
    const result = {
      workflowsPerBatch: n,
      rounds,
      ordersPerSecond: order.perSecond,
      bareWorkflowsPerSecond: bareWal.perSecond,
      ratioToBare: ratio,
      target: 2 / 3,
      targetMet: ratio >= 2 / 3,
      orders: order,
      bare: bareWal,
      oneAtATime: {
        orderLatencyP50Ms: orderAlone.latencyP50Ms,
        orderLatencyP99Ms: orderAlone.latencyP99Ms,
        bareLatencyP50Ms: bareAlone.latencyP50Ms,
        bareLatencyP99Ms: bareAlone.latencyP99Ms,
        workflows: single,
      },
      sendStepP50Ms: sendStep.p50Ms,
      sendStepP99Ms: sendStep.p99Ms,
      sendStep,
      delivered,
      sqlite: {
        withPragmas: { pragmas: DEFAULT_PRAGMAS, bareWorkflowsPerSecond: bareWal.perSecond },
        withoutPragmas: { pragmas: {}, bareWorkflowsPerSecond: noPragmas.perSecond, bare: noPragmas },
        speedupFromPragmas: round(bareWal.perSecond / noPragmas.perSecond, 2),
      },
    };
    console.log('automations benchmark');
    console.log(
      `  order confirmations: ${order.perSecond} workflows/s (${order.workflows} in ${order.seconds}s), client latency p50 ${order.latencyP50Ms} ms, p99 ${order.latencyP99Ms} ms`,
    );
    console.log(
      `  bare no-op workflows (WAL): ${bareWal.perSecond} workflows/s, client latency p50 ${bareWal.latencyP50Ms} ms, p99 ${bareWal.latencyP99Ms} ms`,
    );
    console.log(`  ratio orders / bare: ${ratio} (target >= 0.667)`);
    console.log(
      `  one at a time: order confirmation p50 ${orderAlone.latencyP50Ms} ms (p99 ${orderAlone.latencyP99Ms}), bare p50 ${bareAlone.latencyP50Ms} ms (p99 ${bareAlone.latencyP99Ms})`,
    );
    console.log(
      `  send step (decision row -> outbox sent): p50 ${sendStep.p50Ms} ms, p99 ${sendStep.p99Ms} ms over ${sendStep.sent} sends`,
    );
    console.log(
      `  bare without SQLite pragmas: ${noPragmas.perSecond} workflows/s; WAL + synchronous=normal is ${result.sqlite.speedupFromPragmas}x`,
    );
    return result;
  } finally {
    await stack?.stop().catch(() => undefined);
    await smtp.close();
    await sms.close();
    await db.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchAutomations({ quick: process.argv.includes('--quick') });
}
