// Connections as Temporal users configure them: a profile of a TOML config file (TEMPORAL_CONFIG_FILE,
// TEMPORAL_PROFILE) with address, namespace, API key and TLS / mTLS files, TEMPORAL_* variables on top, for the
// client API, the CLI and the worker. The secure case runs for real: the dev server behind a TLS front that
// requires a client certificate of the test CA (test/support/tls-proxy.ts), reached only through a profile.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { loadSettings, REPO_ROOT } from '../../client/config';
import { connectClient, TemporalUnreachableError } from '../../client/temporal';
import { TemporalConfigError } from '../../client/temporal-config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';
import { makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from '../support/tls-proxy';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');
const home = mkdtempSync(path.join(os.tmpdir(), 'cf-profile-home-'));

/** An environment without the run's own Temporal variables, and no user config file. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  for (const k of Object.keys(env)) if (k.startsWith('TEMPORAL_')) delete env[k];
  return { ...env, ...extra };
}

function configFile(toml: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cf-profile-')), 'temporal.toml');
  writeFileSync(file, toml);
  return file;
}

describe('reading the connection settings', () => {
  const file = configFile(`
[profile.default]
address = "10.0.0.1:7233"
namespace = "plain"

[profile.cloud]
address = "acme.a1b2c.tmprl.cloud:7233"
namespace = "acme.a1b2c"
api_key = "key-123"

[profile.mtls]
address = "temporal.internal:7233"
namespace = "orders"
[profile.mtls.tls]
client_cert_path = "/nonexistent/client.crt"
client_key_path = "/nonexistent/client.key"
`);

  test('the default profile of TEMPORAL_CONFIG_FILE gives address and namespace', () => {
    const s = loadSettings(cleanEnv({ TEMPORAL_CONFIG_FILE: file }));
    expect([s.temporalAddress, s.temporalNamespace]).toEqual(['10.0.0.1:7233', 'plain']);
    expect(s.temporalTransport?.tls).toBeUndefined();
    expect(s.temporalTransport?.source).toBe(`profile "default" of ${file}`);
  });

  test('TEMPORAL_PROFILE picks a profile; an API key turns TLS on (Temporal Cloud)', () => {
    const s = loadSettings(cleanEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }));
    expect([s.temporalAddress, s.temporalNamespace]).toEqual(['acme.a1b2c.tmprl.cloud:7233', 'acme.a1b2c']);
    expect(s.temporalTransport).toMatchObject({ apiKey: 'key-123', tls: true });
  });

  test('TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_TASK_QUEUE still win over the profile', () => {
    const s = loadSettings(
      cleanEnv({
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'cloud',
        TEMPORAL_ADDRESS: '127.0.0.1:9999',
        TEMPORAL_NAMESPACE: 'other',
        TEMPORAL_TASK_QUEUE: 'q1',
      }),
    );
    expect([s.temporalAddress, s.temporalNamespace, s.taskQueue]).toEqual(['127.0.0.1:9999', 'other', 'q1']);
    expect(s.temporalTransport?.apiKey).toBe('key-123');
  });

  test('the file in the user config folder is read when TEMPORAL_CONFIG_FILE is not set', () => {
    const xdg = mkdtempSync(path.join(os.tmpdir(), 'cf-xdg-'));
    const dir = path.join(xdg, 'temporalio');
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(path.join(dir, 'temporal.toml'), '[profile.default]\naddress = "10.9.9.9:7233"\n');
    const s = loadSettings({ ...cleanEnv({}), XDG_CONFIG_HOME: xdg });
    expect(s.temporalAddress).toBe('10.9.9.9:7233');
  });

  test('without a config file only the old variables count, and nothing extra is set', () => {
    const s = loadSettings(cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:7000' }));
    expect([s.temporalAddress, s.temporalNamespace]).toEqual(['127.0.0.1:7000', 'default']);
    expect(s.temporalTransport).toBeUndefined();
  });

  test('TLS from variables alone (TEMPORAL_TLS_*), as the temporal CLI reads them', () => {
    const certs = makeCertificates();
    const s = loadSettings(
      cleanEnv({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
      }),
    );
    const tls = s.temporalTransport?.tls as {
      clientCertPair?: { crt: Buffer };
      serverRootCACertificate?: Buffer;
    };
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toContain('BEGIN CERTIFICATE');
  });

  test('bad settings are clear errors naming the file, the profile and the fix', () => {
    const read = (env: Record<string, string>) => {
      try {
        void loadSettings(cleanEnv(env)).temporalAddress;
      } catch (err) {
        expect(err).toBeInstanceOf(TemporalConfigError);
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(read({ TEMPORAL_CONFIG_FILE: '/nope/temporal.toml' })).toMatch(
      /TEMPORAL_CONFIG_FILE=\/nope\/temporal.toml: no such file/,
    );
    expect(read({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toMatch(
      /TEMPORAL_PROFILE=staging: .*temporal.toml has no \[profile.staging\]/,
    );
    expect(read({ TEMPORAL_PROFILE: 'staging' })).toMatch(/no Temporal config file/);
    expect(read({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' })).toMatch(
      /profile "mtls" .* cannot be read: \/nonexistent\/client.crt/,
    );
    expect(read({ TEMPORAL_CONFIG_FILE: configFile('[profile.default\naddress = 1') })).toMatch(
      /could not be read: .*Fix the file/,
    );
  });

  test('a command that does not talk to Temporal is not stopped by a broken profile', () => {
    const s = loadSettings(cleanEnv({ TEMPORAL_CONFIG_FILE: '/nope/temporal.toml' }));
    expect(s.rulesDir).toMatch(/rules$/);
    const r = spawnSync(process.execPath, [BIN, 'decide'], {
      cwd: REPO_ROOT,
      input: `${JSON.stringify({ contact: { status: 'subscribed', subscriptions: [] }, message: { channel: 'email', type: 'campaign' } })}\n`,
      encoding: 'utf8',
      env: cleanEnv({ TEMPORAL_CONFIG_FILE: '/nope/temporal.toml' }),
      timeout: 60_000,
    });
    expect(r.stdout).toMatch(/"verdict"/);
  });

  test('the CLI reports a broken profile as bad input: exit 2, one line', () => {
    const r = spawnSync(process.execPath, [BIN, 'automations', 'steps', 'some-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: cleanEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }),
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^consentflow: TEMPORAL_PROFILE=staging: .*\[profile.staging\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('through mTLS, configured only by a profile', () => {
  let certs: TestCertificates;
  let proxy: TlsProxy;
  let file: string;
  let db: TestDatabase;
  let worker: ChildProcess | undefined;
  const queue = `profile-${process.pid}`;

  beforeAll(async () => {
    certs = makeCertificates();
    proxy = await startTlsProxy(inject('temporalAddress'), certs, { requireClientCert: true });
    file = configFile(`
[profile.secure]
address = "${proxy.address}"
namespace = "default"
[profile.secure.tls]
server_name = "localhost"
server_ca_cert_path = "${certs.caCert}"
client_cert_path = "${certs.clientCert}"
client_key_path = "${certs.clientKey}"

[profile.nocert]
address = "${proxy.address}"
[profile.nocert.tls]
server_name = "localhost"
server_ca_cert_path = "${certs.caCert}"

[profile.stranger]
address = "${proxy.address}"
[profile.stranger.tls]
server_name = "localhost"
server_ca_cert_path = "${certs.caCert}"
client_cert_path = "${certs.strangerCert}"
client_key_path = "${certs.strangerKey}"
`);
    db = await createTestDatabase();
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await proxy?.close();
    await db?.drop();
  });

  const env = (profile: string) =>
    cleanEnv({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: profile,
      TEMPORAL_TASK_QUEUE: queue,
      DATABASE_URL: db.url,
    });

  test('the client API connects with the client certificate of the profile', async () => {
    const client = await connectClient(loadSettings(env('secure')));
    const info = await client.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
    await client.connection.close();
  });

  test('without a client certificate, or with one of another CA, the server refuses: a clear error', async () => {
    const before = proxy.refused();
    for (const profile of ['nocert', 'stranger']) {
      const err = await connectClient(loadSettings(env(profile))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalUnreachableError);
      expect((err as Error).message).toContain(`profile "${profile}" of ${file}`);
    }
    expect(proxy.refused()).toBeGreaterThan(before);
  });

  test('a worker and the CLI run an automation through the profile', async () => {
    let output = '';
    worker = spawn(process.execPath, [BIN, 'worker'], {
      cwd: REPO_ROOT,
      env: { ...env('secure'), SMTP_URL: '', SMS_API_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 150_000;
    while (!/Worker polling task queue/.test(output)) {
      if (Date.now() > deadline || worker.exitCode !== null)
        throw new Error(`worker did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Asynchronous: the TLS front runs in this process and must keep forwarding while the CLI runs.
    const cli = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { cwd: REPO_ROOT, env: env('secure'), encoding: 'utf8', timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
        );
      });
    const contact = await seedContact(db.pool, { key: 'profile1' });
    const sent = await cli([
      'events',
      'send',
      'trial_started',
      '--contact',
      contact,
      '--props',
      '{"plan":"pro"}',
    ]);
    expect(sent.stderr, sent.stderr).toBe('');
    const workflowId = sent.stdout.trim().split('\n')[0]!;
    // A query is answered only by a worker holding the run: the worker is connected through mTLS too.
    let steps = await cli(['automations', 'steps', workflowId]);
    for (let i = 0; i < 10 && steps.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      steps = await cli(['automations', 'steps', workflowId]);
    }
    expect(steps.status, `${steps.stderr}\n${output}`).toBe(0);
    expect(steps.stderr).toBe('');
  }, 240_000);
});
