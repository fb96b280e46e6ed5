// The foundation as a new user meets it: the CLI's help, and one clear line (never a bare stack trace) for
// each way the environment can be wrong.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

function consentflow(args: string[], env: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('consentflow CLI', () => {
  test('--help lists every command with one line each', () => {
    const { code, stdout } = consentflow(['--help']);
    expect(code).toBe(0);
    const commands = stdout
      .slice(stdout.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      .filter((l) => l.trim());
    // One line each: a wrapped description would start a line with spaces only.
    expect(commands.every((l) => /^ {2}[a-z]/.test(l))).toBe(true);
    const names = commands.map((l) => l.trim().split(' ')[0]);
    for (const command of [
      'dev',
      'worker',
      'db',
      'decide',
      'rules',
      'contacts',
      'feedback',
      'events',
      'automations',
      'demo',
      'serve',
      'segments',
      'campaigns',
      'schedules',
    ]) {
      expect(names).toContain(command);
    }
  });

  test('an unreachable DATABASE_URL gives one line naming the server and how to start it', () => {
    const { code, stderr } = consentflow(['db', 'migrate'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('PostgreSQL is not reachable at 127.0.0.1:1/nowhere');
    expect(stderr).toContain('pg_ctlcluster');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('a DATABASE_URL that is not a URL says what one looks like', () => {
    const { code, stderr } = consentflow(['db', 'migrate'], { DATABASE_URL: 'localhost' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('is not a URL. Expected e.g. postgres://');
  });

  test('a port already in use is named, with the variable that moves it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = consentflow(['dev', '--port', String(port), '--headless']);
      expect(code).not.toBe(0);
      expect(stderr).toContain(`Port ${port} on 127.0.0.1 (Temporal frontend) is already in use`);
      expect(stderr).toContain('CONSENTFLOW_DEV_PORT');
    } finally {
      blocker.close();
    }
  });

  test('without a Temporal CLI and without Go, the build step says how to get one', () => {
    const emptyTools = mkdtempSync(path.join(os.tmpdir(), 'cf-tools-'));
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'temporal-ensure.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          CONSENTFLOW_TOOLS_DIR: emptyTools,
          GO: '',
          PATH: '/usr/bin:/bin',
          TEMPORAL_CLI_PATH: '',
        },
        encoding: 'utf8',
      },
    );
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('No Temporal CLI found and no Go toolchain to build one');
    expect(out.stderr).toContain('TEMPORAL_CLI_PATH');
  });
});
