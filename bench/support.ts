// Small pieces every benchmark shares: percentiles, a throw-away database, a free port, the machine.
import net from 'node:net';
import os from 'node:os';
import pg from 'pg';
import { createPool, ensureDatabase, parseDatabaseUrl, type Pool } from '../db/pool';
import { migrate } from '../db/migrate';
import { loadSettings } from '../client/config';

/** The value below which a share `p` (0..1) of the samples fall; samples need not be sorted. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export const round = (value: number, digits = 0): number => Number(value.toFixed(digits));

export interface BenchDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database on the configured server, named for the benchmark and this process, so a run
 * never touches real data and two runs never share rows. `drop()` removes it (connections included).
 */
export async function freshDatabase(
  label: string,
  opts: { databaseUrl?: string; poolSize?: number } = {},
): Promise<BenchDatabase> {
  const url = parseDatabaseUrl(opts.databaseUrl ?? loadSettings().databaseUrl);
  const name = `cf_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  url.pathname = `/${name}`;
  const target = url.toString();
  await ensureDatabase(target);
  await migrate(target);
  const pool = createPool(target, opts.poolSize ?? 10);
  return {
    url: target,
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      const admin = new URL(target);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  release: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    release: os.release(),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
  };
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * `--flag N` (or `--flag=N`): a whole number from 1 to `max`, or undefined when the flag is absent; a clear
 * error for anything else.
 */
export function wholeNumberFlag(
  argv: readonly string[],
  flag: string,
  opts: { what: string; max: number; example: number },
): number | undefined {
  const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const raw = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > opts.max)
    throw new Error(
      `${flag} needs a whole number of ${opts.what} between 1 and ${opts.max} (got "${raw ?? ''}"), e.g. ${flag} ${opts.example}`,
    );
  return n;
}
