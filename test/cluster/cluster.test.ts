// `npm run cluster` as an operator runs it: the production Temporal server built from its Go module, on
// PostgreSQL, then `consentflow worker` against it and one order confirmation end to end. That part is opt-in
// (CONSENTFLOW_CLUSTER_TEST=1, set by .ci/run): a cold Go cache builds the server for minutes (docs/deployment.md).
// Bad input to the script is checked always (no server needed).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSmsSink, type SmsSink } from '../../activities/transports/sinks/sms-sink';
import { startSmtpSink, type SmtpSink } from '../../activities/transports/sinks/smtp-sink';
import { createAutomationClient } from '../../client/automations';
import { REPO_ROOT } from '../../client/config';
import { loadAutomations } from '../../client/definitions';
import type { AutomationResult } from '../../contracts/automation-result';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';
import { artifactPath, launchBrowser } from '../support/browser';

const run = promisify(execFile);
const enabled = process.env.CONSENTFLOW_CLUSTER_TEST === '1';
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const databases = { temporal: `cf_cluster_${suffix}`, visibility: `cf_cluster_vis_${suffix}` };

/** `npm run cluster -- <args>` with the state folder and databases of this test. */
function cluster(stateDir: string, args: string[]) {
  return run(
    TSX,
    ['scripts/cluster.ts', '--db', databases.temporal, '--visibility-db', databases.visibility, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, CONSENTFLOW_STATE_DIR: stateDir }, timeout: 15 * 60_000 },
  );
}

function webUiFrom(stdout: string): string {
  const url = /^\s*Web UI: (http:\/\/\S+)/m.exec(stdout)?.[1];
  if (!url) throw new Error(`no Web UI in:\n${stdout}`);
  return url;
}

function addressFrom(stdout: string): string {
  const address = /^\s*TEMPORAL_ADDRESS=(\S+)$/m.exec(stdout)?.[1];
  if (!address) throw new Error(`no TEMPORAL_ADDRESS in:\n${stdout}`);
  return address;
}

async function dropDatabases(serverUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    for (const name of Object.values(databases))
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function startWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

describe.skipIf(!enabled)('npm run cluster (CONSENTFLOW_CLUSTER_TEST=1)', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'cf-cluster-'));
  let db: TestDatabase;
  let smtp: SmtpSink;
  let sms: SmsSink;
  let address: string;
  let webUi: string;
  let worker: ReturnType<typeof startWorker> | undefined;
  let workflowId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpSink();
    sms = await startSmsSink();
  });

  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await cluster(stateDir, ['--stop']).catch(() => undefined);
    await Promise.all([smtp?.close(), sms?.close()]);
    await db?.drop();
    await dropDatabases(inject('serverUrl'));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    'builds, sets up PostgreSQL and starts detached, printing the address to use',
    async () => {
      const { stdout } = await cluster(stateDir, ['--port', '0', '--ui-port', '0', '--detach']);
      address = addressFrom(stdout);
      webUi = webUiFrom(stdout);
      expect(stdout).toMatch(/Temporal server 1\.29\.1 on PostgreSQL/);
      expect(stdout).toContain(`databases ${databases.temporal}, ${databases.visibility}`);
      const status = await cluster(stateDir, ['--status']);
      expect(addressFrom(status.stdout)).toBe(address);
      expect(webUiFrom(status.stdout)).toBe(webUi);
      // A second start from the same state folder refuses instead of fighting over the databases.
      const again = await cluster(stateDir, ['--port', '0', '--ui-port', '0']).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect(again).toMatchObject({ code: 1 });
      expect((again as { stderr: string }).stderr).toContain(`already running at ${address}`);
    },
    16 * 60_000,
  );

  it('runs an order confirmation end to end with consentflow worker, recorded in PostgreSQL', async () => {
    const taskQueue = `cluster-${suffix}`;
    worker = startWorker({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      SMS_API_URL: sms.url,
    });
    const contactId = await seedContact(db.pool, { key: 'cluster-buyer' });
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection, namespace: 'default' });
      // Only the confirmations: the run ends after them instead of waiting 30 days for a shipment.
      const catalog = loadAutomations();
      const automations = createAutomationClient({
        client,
        taskQueue,
        catalog: { ...catalog, order: { ...catalog.order, shipping: [], cancellation: [], closeAfter: 0 } },
      });
      workflowId = await automations.orderPlaced(`cluster-order-${suffix}`, contactId);
      const result = (await client.workflow.getHandle(workflowId).result()) as AutomationResult;
      expect(result.steps.map((s) => [s.channel, s.outcome])).toEqual([
        ['email', 'sent'],
        ['sms', 'sent'],
      ]);
      expect(smtp.messages().map((m) => m.to)).toEqual([['cluster-buyer@example.test']]);
      expect(sms.messages()).toHaveLength(1);

      // Found through the cluster's visibility store by the search attribute the workflow set.
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: `ContactId = "${contactId}"` }))
        found.push(wf.workflowId);
      expect(found).toEqual([workflowId]);
    } finally {
      await connection.close();
    }

    // The run lives in the cluster's PostgreSQL databases, not in a SQLite file.
    const visibility = new pg.Client({ connectionString: `${inject('serverUrl')}/${databases.visibility}` });
    await visibility.connect();
    try {
      const { rows } = await visibility.query<{ status: number }>(
        'SELECT status FROM executions_visibility WHERE workflow_id = $1',
        [workflowId],
      );
      expect(rows).toEqual([{ status: 2 }]); // WORKFLOW_EXECUTION_STATUS_COMPLETED
    } finally {
      await visibility.end();
    }
  }, 120_000);

  it('shows the run in the Temporal Web UI in front of the cluster, in a real browser', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${webUi}/namespaces/default/workflows`);
      // The list is read from the cluster's PostgreSQL visibility store by the UI server.
      await page.getByText(workflowId).first().waitFor({ timeout: 60_000 });
      await page.screenshot({ path: artifactPath('cluster-web-ui.png'), fullPage: true });
      // The run's own page, through the list's link to it: its status as the cluster recorded it.
      const href = await page.locator(`a[href*="${workflowId}"]`).first().getAttribute('href');
      expect(href).toBeTruthy();
      await page.goto(new URL(href!, webUi).toString());
      await page
        .getByText(/completed/i)
        .first()
        .waitFor({ timeout: 30_000 });
      await page.screenshot({ path: artifactPath('cluster-web-ui-run.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('stops, and starts again on the same databases with the run still there', async () => {
    worker?.child.kill('SIGTERM');
    const stopped = await cluster(stateDir, ['--stop']);
    expect(stopped.stdout).toMatch(/Stopped the Temporal server/);
    // The UI stopped with it.
    await expect(fetch(`${webUi}/healthz`)).rejects.toThrow();
    const { stdout } = await cluster(stateDir, ['--port', '0', '--ui-port', '0', '--detach']);
    const connection = await Connection.connect({ address: addressFrom(stdout) });
    try {
      const client = new Client({ connection, namespace: 'default' });
      const described = await client.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
  }, 120_000);
});

describe('npm run cluster, bad input', () => {
  it.each([
    [['--port', 'abc'], /--port "abc" is not a whole number/],
    [['--ui-port', '99999'], /--ui-port "99999" is not a whole number/],
    [['--shards', '0'], /--shards "0" is not a whole number from 1/],
    [['--postgres', 'mysql://x'], /--postgres: DATABASE_URL must start with postgres:\/\//],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('%j: exit 2, one clear line and the usage, no stack', async (args, message) => {
    const failed = await run(TSX, ['scripts/cluster.ts', ...args], { cwd: REPO_ROOT }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 2 });
    const { stderr } = failed as { stderr: string };
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm run cluster');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
