// Automations end to end: N order confirmations (start through the automation client, decideStep, deliver to
// the local SMTP and SMS sinks, recorded in PostgreSQL) against N bare workflows with one no-op activity, on
// the same dev server and worker in the same run. The bare baseline is also measured on a second dev server
// without the SQLite pragmas, to record what they change. Standalone: npx tsx bench/automations.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_PRAGMAS } from '../client/dev-server';
import { startSmsSink } from '../activities/transports/sinks/sms-sink';
import { startSmtpSink } from '../activities/transports/sinks/smtp-sink';
import { freshDatabase, round } from './support';
import { seedContacts, startStack, type Stack } from './automation-stack';
import { bareBatch, orderBatch, sendStepLatency, sum, type Batch } from './batches';
import { benchServers, WORKER_PROCESSES } from './servers';

export interface AutomationBenchOptions {
  quick: boolean;
  /** Workflows per measured batch; default 300 (quick: 60). */
  workflows?: number;
  databaseUrl?: string;
  /** Also run the load on the dev server and the PostgreSQL cluster with two worker processes (default true). */
  servers?: boolean;
}

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
    if (opts.servers === false) return result;
    console.log(`  same load on both servers, ${WORKER_PROCESSES} worker processes each:`);
    const servers = await benchServers({
      workflows: n,
      rounds,
      single,
      db,
      contacts,
      smtp,
      sms,
      run,
      stateDir: path.join(stateDir, 'servers'),
      log: (line) => console.log(line),
    });
    console.log(
      `  cluster / dev server: orders ${servers.ordersRatio}x, bare ${servers.bareRatio}x, one order alone p50 ${servers.orderLatencyP50Ratio}x`,
    );
    return { ...result, servers };
  } finally {
    await stack?.stop().catch(() => undefined);
    await smtp.close();
    await sms.close();
    await db.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchAutomations({
    quick: process.argv.includes('--quick'),
    servers: !process.argv.includes('--no-servers'),
  });
}
