// `consentflow decide` end to end: 100k JSON lines through a child process, the way an app would pipe them.
// Prints lines/s, with the process start-up measured separately, next to the same lines through a plain node
// process that only parses each line and answers it (the pipe and JSON alone, start-up included).
// Standalone: npx tsx bench/decide-cli.ts
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GLOBAL_STATUSES, SUBSCRIPTION_STATUSES, loadRuleSet } from '../rules/index';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGE_TYPES = loadRuleSet(path.join(REPO, 'rules')).messageTypes;

function requestLines(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 500 === 499) {
      lines.push('{"garbage": true}');
      continue;
    }
    const channel = i % 2 ? 'sms' : 'email';
    lines.push(
      JSON.stringify({
        id: `r${i}`,
        contact: {
          status: GLOBAL_STATUSES[i % 7],
          country: ['US', 'DE', null][i % 3],
          timezone: 'America/New_York',
          subscriptions: [
            {
              resource: 'shop',
              channel,
              address: `a${i}`,
              status: SUBSCRIPTION_STATUSES[i % 8],
              priority: 1,
            },
          ],
        },
        message: { channel, type: MESSAGE_TYPES[i % MESSAGE_TYPES.length] },
        at: new Date(Date.UTC(2026, 5, 15, i % 24)).toISOString(),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Baseline: read JSON lines, parse each, write one small JSON answer per line. No validation, no rules. */
const ECHO = `
const rl = require('node:readline').createInterface({ input: process.stdin });
const out = [];
rl.on('line', (line) => {
  let id; try { id = JSON.parse(line).id; } catch {}
  out.push(JSON.stringify({ id, verdict: 'send', reasons: [], rules: 'baseline' }));
  if (out.length >= 512) process.stdout.write(out.splice(0).join('\\n') + '\\n');
});
rl.on('close', () => { if (out.length) process.stdout.write(out.join('\\n') + '\\n'); });
`;

const CLI = ['bin/consentflow.mjs', 'decide'];

function run(file: string, args = CLI): Promise<{ ms: number; lines: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    createReadStream(file).pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, lines, code }));
  });
}

export async function benchDecideCli(opts: {
  quick: boolean;
  lines?: number;
}): Promise<Record<string, unknown>> {
  const n = opts.lines ?? (opts.quick ? 20_000 : 100_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'cf-bench-'));
  try {
    const input = path.join(dir, 'requests.jsonl');
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(input, requestLines(n));
    writeFileSync(empty, '');
    const startup = await run(empty);
    const full = await run(input);
    if (full.lines !== n) throw new Error(`decide answered ${full.lines} lines for ${n}`);
    const baseline = await run(input, ['-e', ECHO]);
    if (baseline.lines !== n) throw new Error(`the baseline answered ${baseline.lines} lines for ${n}`);
    const rate = n / (full.ms / 1000);
    const baselineRate = n / (baseline.ms / 1000);
    const result = {
      lines: n,
      exitCode: full.code,
      totalMs: Math.round(full.ms),
      startupMs: Math.round(startup.ms),
      linesPerSecond: Math.round(rate),
      linesPerSecondAfterStartup: Math.round(n / ((full.ms - startup.ms) / 1000)),
      baselineMs: Math.round(baseline.ms),
      baselineLinesPerSecond: Math.round(baselineRate),
      ratioToBaseline: Number((rate / baselineRate).toFixed(3)),
    };
    console.log('decide CLI benchmark');
    console.log(
      `  ${n.toLocaleString('en')} lines in ${result.totalMs} ms (start-up alone ${result.startupMs} ms)`,
    );
    console.log(
      `  ${result.linesPerSecond.toLocaleString('en')} lines/s end to end, ${result.linesPerSecondAfterStartup.toLocaleString('en')} lines/s after start-up`,
    );
    console.log(
      `  plain node parse-and-answer baseline: ${result.baselineLinesPerSecond.toLocaleString('en')} lines/s (${result.baselineMs} ms); ratio ${result.ratioToBaseline}`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDecideCli({ quick: process.argv.includes('--quick') });
}
