// The package as a team installs it: `npm pack` (which builds) gives a tarball, installed into an empty folder
// with npm, and the `consentflow` it installs works there without the clone and without tsx: --version, --help,
// decide, and a worker that runs workflows from the prebuilt bundle against the real dev server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { replayFixtures } from '../../scripts/replay-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work: string;
let app: string;
let installed: string;

function npm(args: string[], cwd: string): string {
  const out = spawnSync(NPM, [...args, '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (out.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

/** The installed `consentflow`, as `npx consentflow` in the app folder finds it. */
function consentflow(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const out = spawnSync(path.join(app, 'node_modules', '.bin', 'consentflow'), args, {
    cwd: app,
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...opts.env },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

beforeAll(() => {
  // The replay below runs workers in this process; their state changes at INFO are noise here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  work = mkdtempSync(path.join(os.tmpdir(), 'cf-package-'));
  // `npm pack` runs `prepack`, which is `npm run build`.
  npm(['pack', '--pack-destination', work], REPO_ROOT);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball to ${work}`);
  app = path.join(work, 'app');
  spawnSync('mkdir', [app]);
  npm(['install', '--prefer-offline', path.join(work, tarball)], app);
  installed = path.join(app, 'node_modules', 'consentflow');
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball installed into an empty folder', () => {
  test('ships compiled JavaScript, the data files and the workflow bundle, not the TypeScript sources', () => {
    for (const file of [
      'dist/cli.mjs',
      'dist/index.mjs',
      'dist/types/client/index.d.ts',
      'dist/workflow-bundle.js',
      // The bundle a worker with an OTLP endpoint runs (docs/deployment.md, Traces).
      'dist/workflow-bundle-traced.js',
      'rules/matrix.email.json',
      'rules/schema/rule-file.schema.json',
      'automations/welcome.json',
      'templates/welcome-1-email.json',
      'db/migrations/0001_automation-log.sql',
    ])
      expect(existsSync(path.join(installed, file)), file).toBe(true);
    expect(existsSync(path.join(installed, 'client', 'cli', 'main.ts'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  test('--version prints the package version', () => {
    const { code, stdout } = consentflow(['--version']);
    expect(code).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(pkg.version);
  });

  test('--help lists the commands', () => {
    const { code, stdout } = consentflow(['--help']);
    expect(code).toBe(0);
    for (const command of ['dev', 'worker', 'db', 'decide', 'rules', 'contacts', 'automations'])
      expect(stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
  });

  test('decide answers with the rules the package ships', () => {
    const request = {
      id: 'r1',
      contact: {
        status: 'subscribed',
        country: 'DE',
        timezone: 'Europe/Berlin',
        subscriptions: [
          { resource: 'shop', channel: 'email', address: 'a1', status: 'subscribed', priority: 1 },
        ],
      },
      message: { channel: 'email', type: 'campaign' },
      at: '2026-06-15T10:00:00Z',
    };
    const { code, stdout, stderr } = consentflow(['decide'], { input: `${JSON.stringify(request)}\n` });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const answer = JSON.parse(stdout.trim()) as { id: string; verdict: string; rules: string };
    expect(answer.id).toBe('r1');
    expect(answer.verdict).toBe('send');
  });

  test('its declarations type-check an app on NodeNext resolution, and catch a wrong type', () => {
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const check = (body: string) => {
      writeFileSync(path.join(app, 'app.mts'), body);
      return spawnSync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
        ]
          .concat(['--types', 'node', '--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types')])
          .concat(['app.mts']),
        { cwd: app, encoding: 'utf8', timeout: 120_000 },
      );
    };
    const good = check(
      "import { createAutomationClient, loadSettings, type AutomationClient } from 'consentflow';\n" +
        'export const queue: string = loadSettings().taskQueue;\n' +
        'export const make: typeof createAutomationClient = createAutomationClient;\n' +
        'export type Client = AutomationClient;\n',
    );
    expect(good.status, good.stdout).toBe(0);
    const bad = check(
      "import { loadSettings } from 'consentflow';\nexport const n: number = loadSettings().taskQueue;\n",
    );
    expect(bad.stdout).toContain("Type 'string' is not assignable to type 'number'");
  });

  test('the workflow bundle it ships replays every committed history', async () => {
    const report = await replayFixtures({ codePath: path.join(installed, 'dist', 'workflow-bundle.js') });
    expect(report.failures).toEqual([]);
    expect(report.count).toBeGreaterThan(5);
  });

  describe('worker', () => {
    let db: TestDatabase;
    let worker: ChildProcess | undefined;
    let output = '';

    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      worker?.kill('SIGTERM');
      await db?.drop();
    });

    test('runs an automation from the prebuilt bundle against the dev server', async () => {
      const env = {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: `package-${process.pid}`,
        DATABASE_URL: db.url,
        CONSENTFLOW_STATE_DIR: path.join(work, 'state'),
      };
      worker = spawn(path.join(app, 'node_modules', '.bin', 'consentflow'), ['worker'], {
        cwd: app,
        env: { ...process.env, SMTP_URL: '', SMS_API_URL: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 120_000);
        const check = setInterval(() => {
          if (/Worker polling task queue/.test(output)) {
            clearTimeout(timer);
            clearInterval(check);
            resolve();
          }
        }, 200);
      });
      // No webpack at start: the worker loads dist/workflow-bundle.js.
      expect(output).not.toMatch(/workflow bundle/i);

      const contact = await seedContact(db.pool, { key: 'pkg1' });
      const sent = consentflow(
        ['events', 'send', 'trial_started', '--contact', contact, '--props', '{"plan":"pro"}'],
        { env },
      );
      expect(sent.stderr).toBe('');
      const workflowId = sent.stdout.trim().split('\n')[0]!;
      expect(workflowId).toBe(`event-trial-started-${contact}`);
      // A query is answered only by a worker that replays the run in its workflow bundle; with no worker
      // polling, `automations steps` fails. (The step itself waits for SMTP, which this worker lacks.)
      let steps = consentflow(['automations', 'steps', workflowId], { env });
      for (let i = 0; i < 5 && steps.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        steps = consentflow(['automations', 'steps', workflowId], { env });
      }
      expect(steps.code, `${steps.stderr}\n${output}`).toBe(0);
      expect(steps.stderr).toBe('');
    }, 300_000);
  });
});
