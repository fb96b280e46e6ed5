// One chaos run, start to finish: the stack up, the seeded workload and faults for the window, a bounded settle,
// then the checks, the table and the cleanup (also on Ctrl-C). See docs/chaos.md.
import { loadRuleSet } from '../rules';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createAutomationClient } from '../client/automations';
import { REPO_ROOT } from '../client/config';
import { DEFAULT_DATABASE_URL } from '../client/config';
import { checkRun } from './checks';
import { countRunning, readPgFacts, readTemporalFacts } from './collect';
import { createSinkFaultPicker, DEFAULT_RATES, runTimedFaults, type FaultRates } from './faults';
import { targetLines, type Profile, type RunSummary } from './report';
import { createRng } from './rng';
import { startChaosSinks } from './sinks';
import {
  createChaosDatabase,
  HARNESS_APP_NAME,
  startTemporal,
  startWorkers,
  type ChaosDatabase,
  type TemporalServer,
  type WorkerPool,
} from './stack';
import { afternoonClock, createWorkload } from './workload';

export interface ChaosOptions {
  minutes: number;
  seed: number;
  workers: number;
  settleSeconds: number;
  /** Virtual day length in real ms. */
  dayMs: number;
  /** Mean time between new journeys. */
  journeyEveryMs: number;
  withdrawEveryMs: number;
  rates: FaultRates;
  profile: Profile;
  minFaults: number;
  keepState: boolean;
  /** Fault kinds not to inject: worker-sigkill, dev-server-restart, pg-terminate, sink. */
  skip: Set<string>;
  command: string;
  databaseUrl?: string;
  log: (line: string) => void;
}

export const DEFAULT_OPTIONS = {
  minutes: 20,
  seed: 1,
  workers: 2,
  settleSeconds: 300,
  dayMs: 2_000,
  journeyEveryMs: 1_000,
  withdrawEveryMs: 4_000,
  rates: DEFAULT_RATES,
  profile: 'full' as Profile,
  keepState: false,
  skip: new Set<string>(),
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosOptions): Promise<RunSummary> {
  const log = opts.log;
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s]`;
  const say = (line: string) => log(`${stamp()} ${line}`);
  const rng = createRng(opts.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'consentflow-chaos-'));
  const taskQueue = `chaos-${opts.seed}-${t0.toString(36)}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    cleanups.length = 0;
    if (!opts.keepState) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or SIGTERM: take every process and the database down, then exit.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the chaos run and cleaning up...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    say(`state in ${dir}; task queue ${taskQueue}`);
    const server: TemporalServer = await startTemporal(path.join(dir, 'temporal'));
    cleanups.push(() => server.stop());
    say(`Temporal dev server at ${server.address()}`);

    const dbName = `consentflow_chaos_${opts.seed}_${process.pid}`;
    const db: ChaosDatabase = await createChaosDatabase(
      opts.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
      dbName,
    );
    cleanups.push(() => db.drop());
    const pool = new pg.Pool({ connectionString: db.url, application_name: HARNESS_APP_NAME, max: 6 });
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());
    say(`PostgreSQL database ${dbName} (fresh, migrated)`);

    let faultsOn = false;
    const sinks = await startChaosSinks({
      pickFault: createSinkFaultPicker(rng, opts.rates, () => faultsOn && !opts.skip.has('sink')),
    });
    cleanups.push(() => sinks.close());

    const workers: WorkerPool = startWorkers({
      count: opts.workers,
      logDir: dir,
      log: say,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        DATABASE_URL: db.url,
        SMTP_URL: sinks.smtpUrl,
        SMS_API_URL: sinks.smsUrl,
        CONSENTFLOW_LOG_LEVEL: process.env.CONSENTFLOW_LOG_LEVEL ?? 'ERROR',
      },
    });
    cleanups.push(() => workers.stop());
    await workers.ready(600_000);
    say(`${opts.workers} worker process(es) polling`);

    const connection = await Connection.connect({ address: server.address() });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const automations = createAutomationClient({
      client,
      taskQueue,
      timeScale: opts.dayMs / 86_400_000,
      clockStart: afternoonClock,
    });
    const workload = createWorkload({ pool, automations, rng, seed: opts.seed, dayMs: opts.dayMs, log: say });

    // The fault window: journeys, withdrawals and faults, each loop bounded by `until`.
    const until = Date.now() + opts.minutes * 60_000;
    faultsOn = true;
    const every = async (meanMs: number, fn: () => unknown) => {
      while (Date.now() < until) {
        await pause(Math.min(rng.exp(meanMs), Math.max(0, until - Date.now())));
        if (Date.now() < until) await fn();
      }
    };
    const progress = setInterval(() => {
      const f = sinks.faults();
      const sinkFaults = [...Object.values(f.email), ...Object.values(f.sms)].reduce((a, b) => a + b, 0);
      say(
        `journeys ${Object.values(workload.stats.journeys).reduce((a, b) => a + b, 0)}, copies ${
          sinks.copies().length
        }, sink faults ${sinkFaults}, withdrawals ${workload.stats.withdrawals.length}, workers alive ${
          workers.alive().length
        }`,
      );
    }, 30_000);
    const [timed] = await Promise.all([
      runTimedFaults({
        rng,
        rates: opts.rates,
        workers,
        server,
        pool,
        database: dbName,
        log: say,
        until,
        skip: opts.skip,
      }),
      every(opts.journeyEveryMs, () => workload.startJourney()),
      every(opts.withdrawEveryMs, () => workload.withdraw()),
    ]);
    faultsOn = false;
    clearInterval(progress);
    say('fault window closed; settling');

    // Settle (bounded): every worker up, the journeys' last signals sent, then until nothing runs.
    const settleStart = Date.now();
    const settleUntil = settleStart + opts.settleSeconds * 1_000;
    workers.ensureAll();
    await workload.drain(Math.max(0, settleUntil - Date.now()));
    let running = -1;
    while (Date.now() < settleUntil) {
      running = await countRunning(client, taskQueue).catch(() => -1);
      if (running === 0) break;
      await pause(3_000);
    }
    const settleSeconds = Math.round((Date.now() - settleStart) / 1000);
    say(`settled in ${settleSeconds}s (${running === 0 ? 'nothing running' : `${running} still running`})`);

    const copies = sinks.copies();
    const pgFacts = await readPgFacts(pool);
    const temporal = await readTemporalFacts(client, taskQueue);
    // The rule set says which types are transactional (they reach unsubscribed contacts by design).
    const transactional = new Set<string>(loadRuleSet(path.join(REPO_ROOT, 'rules')).model.transactional);
    const result = checkRun({
      copies,
      decisions: pgFacts.decisions,
      outbox: pgFacts.outbox,
      ...(pgFacts.stepOutcomes ? { stepOutcomes: pgFacts.stepOutcomes } : {}),
      ...(pgFacts.attempts ? { attempts: pgFacts.attempts } : {}),
      workflowSteps: temporal.steps,
      workflowStates: temporal.states,
      withdrawals: workload.stats.withdrawals,
      harnessFaults: timed.timeline,
      transactionalTypes: transactional,
    });

    const sinkFaults = sinks.faults();
    const faults: Record<string, number> = {
      'worker-sigkill': timed.counts['worker-sigkill'],
      'dev-server-restart': timed.counts['dev-server-restart'],
      'pg-terminate': timed.counts['pg-terminate'],
    };
    for (const channel of ['email', 'sms'] as const) {
      for (const [kind, n] of Object.entries(sinkFaults[channel]))
        faults[`${channel === 'email' ? 'smtp' : 'sms'} ${kind}`] = n;
    }
    const count = (s: string) => [...temporal.states.values()].filter((v) => v === s).length;
    const byCause: Record<string, number> = {
      'accepted-then-dropped': 0,
      'accepted-then-commit-lost': 0,
      unexplained: 0,
    };
    for (const d of result.duplicates) byCause[d.cause] = (byCause[d.cause] ?? 0) + 1;
    const exits = workers.unexpectedExits();
    const base: Omit<RunSummary, 'targets'> = {
      command: opts.command,
      seed: opts.seed,
      minutes: opts.minutes,
      workers: opts.workers,
      startedAt: new Date(t0).toISOString(),
      faultWindowSeconds: opts.minutes * 60,
      settleSeconds,
      settledCleanly: running === 0,
      faults,
      faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
      pgConnectionsTerminated: timed.counts.pgConnectionsTerminated,
      failedInjections: timed.counts.failedInjections,
      workflows: {
        startedByHarness: workload.stats.workflowsStarted.size,
        onTaskQueue: temporal.states.size,
        completed: count('completed'),
        failed: count('failed'),
        running: count('running'),
        other: count('other'),
        byStatus: temporal.byStatus,
      },
      workload: {
        ...workload.stats.journeys,
        signals: workload.stats.signals,
        signalsAfterEnd: workload.stats.signalsAfterEnd,
        clientErrors: workload.stats.clientErrors,
        withdrawalErrors: workload.stats.withdrawalErrors,
        unreadWorkflowResults: temporal.unreadResults,
      },
      withdrawals: workload.stats.withdrawals.length,
      messages: {
        decidedSend: result.decidedSend,
        receivedKeys: result.receivedKeys,
        receivedCopies: result.receivedCopies,
        unkeyedCopies: result.unkeyedCopies,
        lost: result.lost.length,
        unsettled: result.unsettled.length,
        duplicated: result.duplicates.length,
        duplicatedByCause: byCause,
        duplicatesWithDifferentHeaders: result.duplicates.filter((d) => !d.sameHeader).length,
        headerMismatches: result.headerMismatches.length,
        deliveredDespiteSuppression: result.despiteSuppression.length,
        deliveredAfterWithdrawal: result.afterWithdrawal.length,
        unconfirmed: (pgFacts.stepOutcomes ?? []).filter((o) => o.outcome === 'unconfirmed').length,
      },
      schema: {
        stepOutcomes: pgFacts.stepOutcomes !== undefined,
        ...(pgFacts.deliveryAttempts ? { deliveryAttempts: pgFacts.deliveryAttempts } : {}),
      },
      workerExitsNotByHarness: exits.length,
      workerExits: exits.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      findings: {
        lost: result.lost,
        unsettled: result.unsettled,
        despiteSuppression: result.despiteSuppression,
        afterWithdrawal: result.afterWithdrawal,
        headerMismatches: result.headerMismatches,
        duplicates: result.duplicates,
      },
    };
    return { ...base, targets: targetLines(base, opts.profile, opts.minFaults) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) {
      say('cleaning up (workers, dev server, sinks, database)');
      await cleanup();
    }
  }
}
