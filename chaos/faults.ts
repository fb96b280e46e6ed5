// The fault schedule: during the fault window, sink faults per message (a seeded coin per request) and timed
// faults on the processes (worker SIGKILL, dev server restart, PostgreSQL connection terminations). Every loop
// is bounded by the window's end; nothing is injected after it.
import type pg from 'pg';
import type { HarnessFault } from './checks';
import type { Rng } from './rng';
import { SINK_FAULTS, type FaultPicker, type SinkFault } from './sink-faults';
import { terminateWorkerConnections, type TemporalServer, type WorkerPool } from './stack';

export interface FaultRates {
  /** Share of messages a sink answers with a fault during the window. */
  sinkFaultShare: number;
  /** Relative weights of the sink faults. */
  sinkWeights: Record<SinkFault, number>;
  /** Mean time between faults of each timed kind (exponential waits). */
  workerKillEveryMs: number;
  serverRestartEveryMs: number;
  pgTerminateEveryMs: number;
}

export const DEFAULT_RATES: FaultRates = {
  sinkFaultShare: 0.3,
  sinkWeights: { 'reject-4xx': 3, 'reject-5xx': 3, hang: 1, 'drop-after-accept': 3 },
  workerKillEveryMs: 120_000,
  serverRestartEveryMs: 240_000,
  pgTerminateEveryMs: 4_000,
};

export type TimedFaultKind = 'worker-sigkill' | 'dev-server-restart' | 'pg-terminate';

export interface TimedFaultCounts {
  'worker-sigkill': number;
  'dev-server-restart': number;
  'pg-terminate': number;
  /** Connections the terminations ended (one pg-terminate fault may end several). */
  pgConnectionsTerminated: number;
  failedInjections: number;
}

export function createSinkFaultPicker(rng: Rng, rates: FaultRates, active: () => boolean): FaultPicker {
  const total = SINK_FAULTS.reduce((s, f) => s + rates.sinkWeights[f], 0);
  return () => {
    if (!active() || total <= 0 || !rng.chance(rates.sinkFaultShare)) return undefined;
    let x = rng.next() * total;
    for (const f of SINK_FAULTS) {
      x -= rates.sinkWeights[f];
      if (x < 0) return f;
    }
    return undefined;
  };
}

export interface TimedFaultDeps {
  rng: Rng;
  rates: FaultRates;
  workers: WorkerPool;
  server: TemporalServer;
  pool: pg.Pool;
  database: string;
  log: (line: string) => void;
  /** Epoch ms at which the window closes. */
  until: number;
  /** Timed fault kinds not to inject (`--skip`). */
  skip?: Set<string>;
}

/** Runs the timed faults until the window closes; resolves when the last one finished. */
export async function runTimedFaults(deps: TimedFaultDeps): Promise<{
  counts: TimedFaultCounts;
  timeline: HarnessFault[];
}> {
  const counts: TimedFaultCounts = {
    'worker-sigkill': 0,
    'dev-server-restart': 0,
    'pg-terminate': 0,
    pgConnectionsTerminated: 0,
    failedInjections: 0,
  };
  const timeline: HarnessFault[] = [];
  const { rng, rates } = deps;
  const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  const record = (kind: TimedFaultKind) => {
    counts[kind]++;
    timeline.push({ kind, at: Date.now() });
  };

  const loop = async (kind: TimedFaultKind, meanMs: number, inject: () => Promise<void>) => {
    if (deps.skip?.has(kind)) return;
    // Bounded: at most one injection per 100 ms of window, and never after the window.
    for (let i = 0; i < 1_000_000; i++) {
      const next = Date.now() + Math.max(100, rng.exp(meanMs));
      if (next >= deps.until) return;
      await sleepUntil(next);
      try {
        await inject();
      } catch (err) {
        counts.failedInjections++;
        deps.log(`fault injection failed: ${(err as Error).message}`);
      }
    }
  };

  await Promise.all([
    loop('worker-sigkill', rates.workerKillEveryMs, () => {
      // Only a worker that polls: killing one still bundling its code (slow on a busy machine) tests nothing new.
      const alive = deps.workers.polling();
      if (alive.length === 0) return Promise.resolve();
      const i = rng.pick(alive);
      if (deps.workers.kill(i, rng.int(500, 3_000))) record('worker-sigkill');
      return Promise.resolve();
    }),
    loop('pg-terminate', rates.pgTerminateEveryMs, async () => {
      const n = await terminateWorkerConnections(deps.pool, deps.database);
      counts.pgConnectionsTerminated += n;
      if (n > 0) record('pg-terminate');
    }),
    loop('dev-server-restart', rates.serverRestartEveryMs, async () => {
      record('dev-server-restart');
      const t0 = Date.now();
      await deps.server.restart();
      deps.log(`dev server restarted in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }),
  ]);
  return { counts, timeline };
}
