// Start-up of the compiled `consentflow` (cli.mjs as `npm run build` compiles it for the installed package,
// compiled here from the current sources into a folder of its own, so a stale or concurrent dist/ cannot skew it): `--help` to exit, and
// `decide` to its first answer line, each next to `node -e ''` measured in the same run (the floor no CLI
// can go under). Targets: --help under 0.3 s, decide's first line under 0.5 s. Median of several runs, run
// one after another so they do not compete with each other for the CPU.
// Standalone: npx tsx bench/startup.ts [--quick]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../client/config';
import { compileJavaScript } from '../scripts/build';
import { percentile, round } from './support';

const REQUEST = `${JSON.stringify({
  id: 'r1',
  contact: {
    status: 'subscribed',
    country: 'DE',
    timezone: 'Europe/Berlin',
    subscriptions: [{ resource: 'shop', channel: 'email', address: 'a1', status: 'subscribed', priority: 1 }],
  },
  message: { channel: 'email', type: 'campaign' },
  at: '2026-06-15T10:00:00Z',
})}\n`;

/** Milliseconds from spawn to the first stdout line (`firstLine`) or to exit. */
function timeRun(args: string[], opts: { input?: string; firstLine?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let done = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (opts.firstLine && !done && out.includes('\n')) {
        done = true;
        resolve(performance.now() - t0);
        child.stdin.end();
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited with ${code}`));
      else if (!done) resolve(performance.now() - t0);
    });
    if (opts.input) child.stdin.write(opts.input);
    if (!opts.firstLine) child.stdin.end();
  });
}

async function median(runs: number, once: () => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return round(percentile(samples, 50), 1);
}

export async function benchStartup(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  // Inside node_modules/, so the compiled code resolves its dependencies as it does from dist/.
  const out = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache-consentflow-startup-'));
  try {
    await compileJavaScript(out);
    return await measure(path.join(out, 'cli.mjs'), opts.quick);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function measure(cli: string, quick: boolean): Promise<Record<string, unknown>> {
  // --quick (the test suite's smoke run) measures each once: enough to prove it works, too few to quote.
  const runs = quick ? 1 : 9;
  if (!quick) await timeRun([cli, '--help']); // warm the file cache once, as an installed CLI would be
  const nodeMs = await median(runs, () => timeRun(['-e', '']));
  const helpMs = await median(runs, () => timeRun([cli, '--help']));
  const decideMs = await median(runs, () => timeRun([cli, 'decide'], { input: REQUEST, firstLine: true }));
  const result = {
    runs,
    nodeMs,
    helpMs,
    decideFirstLineMs: decideMs,
    helpRatioToNode: round(helpMs / nodeMs, 2),
    decideRatioToNode: round(decideMs / nodeMs, 2),
  };
  console.log(`CLI start-up (compiled cli.mjs, median of ${runs})`);
  console.log(`  node -e '':               ${nodeMs} ms`);
  console.log(`  consentflow --help:       ${helpMs} ms (${result.helpRatioToNode}x node; target < 300 ms)`);
  console.log(
    `  decide, first answer:     ${decideMs} ms (${result.decideRatioToNode}x node; target < 500 ms)`,
  );
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchStartup({ quick: process.argv.includes('--quick') });
}
