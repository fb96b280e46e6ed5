// Keeps the benchmarks working: one `bench/run.ts --quick` run, spawned the way `npm run bench` runs it, must
// exit 0 and write a results file with every benchmark, its figures and baselines as numbers, and the machine.
// The quick run takes about 135 s on an idle 2-core machine; the limit leaves room for the rest of the suite
// running beside it. `--no-servers`: the cluster part starts a Temporal server with ~50 PostgreSQL connections,
// which beside the suite's own pools runs PostgreSQL out of connections; test/cluster covers the cluster.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCHMARKS, type Row } from '../../bench/report';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'cf-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runQuick(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'bench/run.ts', '--quick', '--no-servers', '--out', out], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

interface Results {
  quick: boolean;
  machine: { cpuModel: string; cores: number; node: string };
  table: Row[];
  benchmarks: Record<string, Record<string, unknown>>;
  errors: Record<string, string>;
}

describe('npm run bench -- --quick', () => {
  it('runs every benchmark, prints the table and writes numeric figures with their baselines', async () => {
    const out = path.join(dir, 'results.json');
    const { code, output } = await runQuick(out);
    expect(code, output).toBe(0);
    expect(output).toMatch(/benchmark\s+figure\s+value\s+baseline/);

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.quick).toBe(true);
    expect(results.errors).toEqual({});
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.cpuModel).not.toBe('');
    expect(results.machine.node).toBe(process.version);
    expect(Object.keys(results.benchmarks).sort()).toEqual([...BENCHMARKS].sort());

    const benchmarksInTable = new Set(results.table.map((r) => r.benchmark));
    expect(benchmarksInTable.size).toBe(BENCHMARKS.length);
    for (const row of results.table) {
      expect(Number.isFinite(row.value), `${row.benchmark} ${row.figure}`).toBe(true);
      if (row.baseline !== undefined) {
        expect(row.baselineValue, `${row.benchmark} ${row.figure} baseline`).toBeGreaterThan(0);
        expect(row.ratio, `${row.benchmark} ${row.figure} ratio`).toBeGreaterThan(0);
      }
      if (row.target !== undefined) expect(typeof row.met).toBe('boolean');
    }

    // The automation run really delivered: both confirmations of every measured order reached the sinks.
    const automations = results.benchmarks.automations!;
    const orders = (automations.workflowsPerBatch as number) * (automations.rounds as number);
    expect((automations.sendStep as { sent: number }).sent).toBe(2 * orders);
    const audience = results.benchmarks.audience!;
    const verdicts = audience.verdicts as Record<string, number>;
    expect(verdicts.send! + verdicts.suppress! + verdicts.defer!).toBe(audience.contacts);
  }, 420_000);
});
