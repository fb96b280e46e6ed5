// The `consentflow worker` process as an operator runs it: what it says at start, how it waits for a Temporal
// that comes up late, when it gives up, and that it exits instead of idling when its Temporal worker fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { startDevServer, type DevServer } from '../../client/dev-server';
import { createTestDatabase, type TestDatabase } from '../support/db';

interface WorkerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output so far once `pattern` appears on stdout or stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

export function startWorkerProcess(
  env: Record<string, string | undefined>,
  nodeArgs: string[] = [],
): WorkerProcess {
  const bin = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');
  const child = spawn(process.execPath, [...nodeArgs, bin, 'worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SMTP_URL: undefined, SMS_API_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  const wake = new Set<() => void>();
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (const w of wake) w();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    for (const w of wake) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) {
            clearTimeout(timer);
            wake.delete(check);
            resolve(out + err);
          }
        };
        const timer = setTimeout(() => {
          wake.delete(check);
          reject(new Error(`no ${pattern} after ${timeoutMs} ms.\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        wake.add(check);
        void exited.then(() => {
          check();
          if (wake.has(check)) {
            clearTimeout(timer);
            wake.delete(check);
            reject(new Error(`exited before ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`));
          }
        });
        check();
      });
    },
  };
}

/**
 * Preloaded into a worker process: the Temporal worker really starts and polls, then fails the way a fatal error
 * fails it (`run()` rejects). The dev server offers no cheap way to cause one (a deleted namespace and a stopped
 * server are retried by the SDK for ever), so only that rejection is injected; what the process does with it is
 * what the test checks. A data: URL, because worker threads inherit the flag and run plain JavaScript.
 */
const FAIL_WORKER_RUN = `data:text/javascript,${encodeURIComponent(`
  import { createRequire } from 'node:module';
  const { Worker } = createRequire(${JSON.stringify(path.join(REPO_ROOT, 'package.json'))})('@temporalio/worker');
  const realRun = Worker.prototype.run;
  Worker.prototype.run = async function run() {
    const running = realRun.call(this);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    this.shutdown();
    await running;
    throw new Error('Poll failed: simulated fatal error');
  };
`)}`;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => db?.drop());

const queue = () => `worker-proc-${Math.random().toString(36).slice(2, 8)}`;

describe('consentflow worker', () => {
  it('warns once per missing transport at start, then polls; SIGTERM stops it with 0', async () => {
    const w = startWorkerProcess({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: queue(),
      DATABASE_URL: db.url,
    });
    await w.waitFor(/Worker polling task queue/);
    const warnings = w
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/SMTP_URL is not set: email messages will wait .*Set SMTP_URL/);
    expect(warnings[1]).toMatch(/SMS_API_URL is not set: SMS messages will wait .*Set SMS_API_URL/);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 120_000);

  it('started before Temporal, it retries and connects once the server is up', async () => {
    const port = await freePort();
    const w = startWorkerProcess({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_TASK_QUEUE: queue(),
      DATABASE_URL: db.url,
      CONSENTFLOW_TEMPORAL_WAIT_SECONDS: '120',
    });
    await w.waitFor(/Temporal is not reachable at 127\.0\.0\.1:\d+ .*retry 1 in/);
    let server: DevServer | undefined;
    try {
      server = await startDevServer({
        stateDir: mkdtempSync(path.join(os.tmpdir(), 'cf-late-temporal-')),
        port,
        uiPort: await freePort(),
        headless: true,
      });
      await w.waitFor(/Worker polling task queue/, 120_000);
      expect(w.child.exitCode).toBeNull();
      expect(w.stderr()).not.toMatch(/\n\s+at /);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    } finally {
      await server?.stop();
    }
  }, 240_000);

  it('gives up after the configured wait with one clear line and exit code 1', async () => {
    const port = await freePort();
    const w = startWorkerProcess({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_TASK_QUEUE: queue(),
      DATABASE_URL: db.url,
      CONSENTFLOW_TEMPORAL_WAIT_SECONDS: '3',
    });
    expect(await w.exited).toBe(1);
    const lines = w.stderr().trim().split('\n');
    expect(lines.filter((l) => /retry \d+ in/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^consentflow: Temporal is not reachable at 127\\.0\\.0\\.1:${port} .*after 3 s of retries`),
    );
    expect(w.stderr()).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('exits with 1 and a clear line when its Temporal worker fails, instead of idling', async () => {
    const w = startWorkerProcess(
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: queue(),
        DATABASE_URL: db.url,
      },
      ['--import', FAIL_WORKER_RUN],
    );
    await w.waitFor(/Worker polling task queue/);
    const code = await Promise.race([
      w.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000)),
    ]);
    expect(code).toBe(1);
    expect(w.stderr()).toMatch(
      /^consentflow: the Temporal worker for task queue worker-proc-\w+ stopped: Poll failed: simulated fatal error\. .*exiting/m,
    );
    expect(w.stderr()).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('a namespace that does not exist: one line saying how to fix it, exit 1 (no gRPC dump, no hang)', async () => {
    const w = startWorkerProcess({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: 'no-such-namespace',
      TEMPORAL_TASK_QUEUE: queue(),
      DATABASE_URL: db.url,
    });
    const code = await Promise.race([
      w.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 90_000)),
    ]);
    expect(code).toBe(1);
    const last = w.stderr().trim().split('\n').at(-1);
    expect(last).toMatch(/^consentflow: Namespace no-such-namespace was not found/);
    expect(last).toContain('temporal operator namespace create --namespace no-such-namespace');
    expect(last).not.toMatch(/Status \{|details:/);
  }, 120_000);
});
