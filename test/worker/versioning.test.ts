// Worker Deployment Versioning: the build id is the workflow bundle's hash (written by the build next to the
// prebuilt bundle, computed from a source run's bundle), and with CONSENTFLOW_WORKER_VERSIONING a worker
// registers that version with Temporal, which then routes the runs of the deployment's current version to it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { bundleBuildId, buildIdOf, deploymentOptions, versioningFromEnv } from '../../worker/versioning';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('build id', () => {
  test('is the hash of the bundle code: same code, same id; other code, another id', () => {
    expect(buildIdOf('a')).toBe(buildIdOf('a'));
    expect(buildIdOf('a')).not.toBe(buildIdOf('b'));
    expect(bundleBuildId({ code: 'x', sourceMap: '' })).toBe(buildIdOf('x'));
  });

  test('of a prebuilt bundle is read from the file the build wrote next to it, or hashed when missing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-build-id-'));
    const bundle = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundle, 'code');
    expect(bundleBuildId({ codePath: bundle })).toBe(buildIdOf('code'));
    writeFileSync(path.join(dir, 'workflow-bundle.build-id'), 'abc123\n');
    expect(bundleBuildId({ codePath: bundle })).toBe('abc123');
  });

  test('versioning is off unless configured; a wrong value is bad input', () => {
    expect(versioningFromEnv({})).toEqual({ deploymentName: 'consentflow', behavior: 'off' });
    expect(deploymentOptions(versioningFromEnv({}), 'b1')).toEqual({
      version: { deploymentName: 'consentflow', buildId: 'b1' },
      useWorkerVersioning: false,
    });
    expect(
      deploymentOptions(
        versioningFromEnv({ CONSENTFLOW_WORKER_VERSIONING: 'pinned', CONSENTFLOW_DEPLOYMENT_NAME: 'shop' }),
        'b2',
      ),
    ).toEqual({
      version: { deploymentName: 'shop', buildId: 'b2' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    });
    expect(() => versioningFromEnv({ CONSENTFLOW_WORKER_VERSIONING: 'sometimes' })).toThrow(
      /not one of off, auto-upgrade, pinned/,
    );
  });
});

test('consentflow worker with a wrong versioning setting exits 2 with the allowed values', async () => {
  const r = await run(process.execPath, [BIN, 'worker'], {
    ...process.env,
    CONSENTFLOW_WORKER_VERSIONING: 'sometimes',
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^consentflow: CONSENTFLOW_WORKER_VERSIONING="sometimes" is not one of off/);
});

describe('a versioned worker', () => {
  let db: TestDatabase;
  let worker: ChildProcess | undefined;
  let temporal: string;
  const deployment = `cf-versioning-${process.pid}`;
  const queue = `versioning-${process.pid}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    temporal = await ensureTemporalCli();
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await db?.drop();
  });

  test('registers its build id with Temporal and, once current, runs the automations', async () => {
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: queue,
      DATABASE_URL: db.url,
      SMTP_URL: '',
      SMS_API_URL: '',
      CONSENTFLOW_WORKER_VERSIONING: 'auto-upgrade',
      CONSENTFLOW_DEPLOYMENT_NAME: deployment,
    };
    let output = '';
    worker = spawn(process.execPath, [BIN, 'worker'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 150_000;
    while (!/build id \w+: versioned/.test(output)) {
      if (Date.now() > deadline || worker.exitCode !== null)
        throw new Error(`worker did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(output).toMatch(
      new RegExp(
        `Worker deployment ${deployment}, build id [0-9a-f]{16}: versioned, default behavior AUTO_UPGRADE`,
      ),
    );
    const buildId = /build id ([0-9a-f]{16})/.exec(output)![1]!;

    const cli = ['--address', inject('temporalAddress'), '--namespace', 'default'];
    let described = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 30; i++) {
      described = await run(temporal, [
        'worker',
        'deployment',
        'describe',
        '--name',
        deployment,
        '-o',
        'json',
        ...cli,
      ]);
      if (described.code === 0 && described.stdout.includes(buildId)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(described.stdout, described.stderr).toContain(buildId);

    // Until the version is current nothing is routed to it; then a run goes through this worker.
    const current = await run(temporal, [
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deployment,
      '--build-id',
      buildId,
      '--yes',
      ...cli,
    ]);
    expect(current.code, current.stderr).toBe(0);
    const contact = await seedContact(db.pool, { key: 'versioned1' });
    const sent = await run(
      process.execPath,
      [BIN, 'events', 'send', 'trial_started', '--contact', contact, '--props', '{"plan":"pro"}'],
      env,
    );
    expect(sent.stderr).toBe('');
    const workflowId = sent.stdout.trim().split('\n')[0]!;
    let shown = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 30; i++) {
      shown = await run(temporal, [
        'workflow',
        'describe',
        '--workflow-id',
        workflowId,
        '-o',
        'json',
        ...cli,
      ]);
      if (shown.stdout.includes(buildId)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // The run records the deployment version of the worker that ran its tasks.
    expect(shown.stdout, shown.stderr).toContain(buildId);
  }, 300_000);
});
