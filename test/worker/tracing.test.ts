// OpenTelemetry traces, on only when an OTLP endpoint is configured. A worker process with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver in this test runs a custom-event automation
// started by a traced client: the receiver must get the client's start span, the workflow run and its
// activities in one trace, under the service name, with no contact address in any span. Without the variables,
// a worker process loads no OpenTelemetry module at all.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { connectClient } from '../../client/temporal';
import { createAutomationClient } from '../../client/automations';
import { loadAutomations } from '../../client/definitions';
import { tracingFromEnv } from '../../client/tracing-config';
import { installTracing } from '../../client/tracing';
import { TRACED_WORKFLOW_INFO } from '../../worker/tracing';
import { startSmtpSink, type SmtpSink } from '../../activities/transports/sinks/smtp-sink';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
}
interface Received {
  service: string;
  span: OtlpSpan;
}

/** A minimal OTLP/HTTP receiver: every span POSTed to /v1/traces (JSON encoding), and the raw bodies. */
async function startReceiver() {
  const spans: Received[] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        bodies.push(body);
        const doc = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: OtlpValue }[] };
            scopeSpans?: { spans?: OtlpSpan[] }[];
          }[];
        };
        for (const rs of doc.resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) spans.push({ service, span });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A zone where it is early afternoon now, so quiet hours do not defer the send. */
function afternoonZone(): string {
  const zones = ['Pacific/Honolulu', 'America/Los_Angeles', 'America/New_York', 'Europe/London'].concat([
    'Europe/Berlin',
    'Asia/Dubai',
    'Asia/Kolkata',
    'Asia/Bangkok',
    'Asia/Tokyo',
    'Pacific/Auckland',
  ]);
  const hour = (zone: string) =>
    Number(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: zone }).format());
  return zones.sort((a, b) => Math.abs(hour(a) - 13) - Math.abs(hour(b) - 13))[0]!;
}

/** This process's environment without any OpenTelemetry variable a developer may have set. */
function envWithoutOtel(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
}

function spawnWorker(env: NodeJS.ProcessEnv, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'worker'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = { child, output: '' };
  child.stdout.on('data', (c: Buffer) => (proc.output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (proc.output += c.toString()));
  return proc;
}

async function untilPolling(proc: { child: ChildProcess; output: string }): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (!/Worker polling task queue/.test(proc.output)) {
    if (Date.now() > deadline || proc.child.exitCode !== null)
      throw new Error(`worker did not start:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let db: TestDatabase;
let smtp: SmtpSink;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
  receiver = await startReceiver();
});

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await smtp?.close();
  await receiver?.close();
  await db?.drop();
});

describe('OpenTelemetry traces, optional by configuration', () => {
  test('an endpoint that is not an http(s) URL is bad input: exit 2, one line', () => {
    const r = spawnSync(process.execPath, [BIN, 'worker'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...envWithoutOtel(), OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318" is not an http\(s\) URL/);
  });

  test('the configuration follows the OpenTelemetry variables', () => {
    expect(tracingFromEnv({})).toBeUndefined();
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toEqual({
      url: 'http://c:4318/v1/traces',
      serviceName: 'consentflow-worker',
      source: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    });
    expect(
      tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'consentflow-client'),
    ).toMatchObject({
      serviceName: 'consentflow-client',
    });
    expect(
      tracingFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/otlp/traces',
        OTEL_SERVICE_NAME: 'cf-eu',
      }),
    ).toMatchObject({ url: 'https://t.example/otlp/traces', serviceName: 'cf-eu' });
    expect(
      tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
    expect(
      tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
    expect(() =>
      tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toThrow(/grpc" is not supported/);
  });

  test('a traced client and worker: one trace from the start to the workflow run and its activities', async () => {
    const queue = `tracing-${process.pid}`;
    const worker = spawnWorker({
      ...envWithoutOtel(),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: queue,
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      SMS_API_URL: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    workers.push(worker.child);
    await untilPolling(worker);
    expect(worker.output).toContain(
      `Traces over OTLP/HTTP: ${receiver.url}/v1/traces (service consentflow-worker)`,
    );

    const contactId = await seedContact(db.pool, {
      key: 'traced-contact',
      phone: '+447700900777',
      timezone: afternoonZone(),
    });
    // The client side: this test process, configured the same way, under its own service name.
    const saved = { ...process.env };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'consentflow-test-client';
    try {
      const client = await connectClient({
        temporalAddress: inject('temporalAddress'),
        temporalNamespace: 'default',
      });
      try {
        // Three days of waiting for the next event take three seconds here: the run ends, so its span does.
        const automations = createAutomationClient({
          client,
          taskQueue: queue,
          catalog: loadAutomations(),
          timeScale: 1_000 / 86_400_000,
        });
        const [wf] = await automations.sendEvent({
          contactId,
          name: 'trial_started',
          properties: { plan: 'pro' },
        });
        await client.workflow.getHandle(wf!).result();
      } finally {
        await client.connection.close();
      }
      await (await installTracing(tracingFromEnv()!)).flush();
    } finally {
      process.env = saved;
    }

    // Until the worker exported the run and both activities of the send step.
    const named = (prefix: string) => receiver.spans.filter((s) => s.span.name.startsWith(prefix));
    for (let i = 0; i < 240; i++) {
      if (
        named('RunWorkflow:').length &&
        named('RunActivity:decideStep').length &&
        named('RunActivity:deliver').length
      )
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // The welcome tip and, the awaited event not coming, the nudge.
    expect(smtp.messages()).toHaveLength(2);
    const start = [...named('SignalWithStartWorkflow:'), ...named('StartWorkflow:')];
    expect(start.length, receiver.spans.map((s) => s.span.name).join(', ')).toBeGreaterThan(0);
    expect(start[0]!.service).toBe('consentflow-test-client');
    const run = named('RunWorkflow:');
    expect(run.length).toBeGreaterThan(0);
    const decide = named('RunActivity:decideStep');
    const deliver = named('RunActivity:deliver');
    expect(decide.length).toBeGreaterThan(0);
    expect(deliver.length).toBeGreaterThan(0);
    for (const s of [...run, ...decide, ...deliver]) {
      expect(s.service).toBe('consentflow-worker');
      // One trace: started by the client, carried through the workflow's headers to every activity.
      expect(s.span.traceId).toBe(start[0]!.span.traceId);
    }
    // The activity runs are children of the workflow's StartActivity spans.
    const startActivityIds = new Set(named('StartActivity:').map((s) => s.span.spanId));
    for (const s of [...decide, ...deliver])
      expect(startActivityIds.has(s.span.parentSpanId ?? '')).toBe(true);

    // Workflow spans name the run, never its memo, search attributes or last result.
    for (const s of [...run, ...named('StartActivity:')]) {
      const keys = (s.span.attributes ?? []).map((a) => a.key);
      expect(keys).toContain('workflowId');
      for (const key of keys) expect(TRACED_WORKFLOW_INFO as readonly string[]).toContain(key);
    }
    // A short CLI call is traced too: its start span is exported before the process exits.
    const second = await seedContact(db.pool, { key: 'traced-cli', timezone: afternoonZone() });
    // Asynchronously: the receiver answering the CLI's export runs in this process.
    const cli = await promisify(execFile)(
      process.execPath,
      [BIN, 'events', 'send', 'trial_started', '--contact', second, '--props', '{"plan":"pro"}'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...envWithoutOtel(),
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_TASK_QUEUE: queue,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
      },
    );
    expect(cli.stderr).toBe('');
    const cliStart = named('SignalWithStartWorkflow:').filter((s) =>
      s.span.attributes?.some((a) => a.value.stringValue === cli.stdout.trim()),
    );
    expect(cliStart).toHaveLength(1);
    expect(cliStart[0]!.service).toBe('consentflow-client');

    // Contact ids may identify a run; addresses and phone numbers never reach a span.
    const everything = receiver.bodies.join('\n');
    expect(everything).not.toContain('traced-contact@example.test');
    expect(everything).not.toContain('+447700900777');
    expect(everything).not.toContain('447700900777');
  }, 240_000);

  test('without the variables, a worker loads no OpenTelemetry module', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'consentflow-untraced-'));
    try {
      const list = path.join(dir, 'modules.txt');
      const probe = path.join(dir, 'probe.mjs');
      // ES modules through a loader hook, CommonJS modules (Temporal, OpenTelemetry) through require.cache.
      writeFileSync(
        probe,
        `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const file = ${JSON.stringify(list)};
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(\${JSON.stringify(file)}, url + '\\\\n'); return next(url, context); }
\`));
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(file, Object.keys(require.cache).join('\\n') + '\\n'));
`,
      );
      const worker = spawnWorker(
        {
          ...envWithoutOtel(),
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_TASK_QUEUE: `untraced-${process.pid}`,
          DATABASE_URL: db.url,
          SMTP_URL: smtp.url,
          SMS_API_URL: '',
        },
        ['--import', pathToFileURL(probe).href],
      );
      workers.push(worker.child);
      await untilPolling(worker);
      expect(worker.output).not.toContain('Traces over OTLP');
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exited;
      const files = readFileSync(list, 'utf8').split('\n').filter(Boolean);
      // The probe saw the worker's own modules (so it worked), and nothing of OpenTelemetry.
      expect(files.some((f) => f.includes('@temporalio/worker'))).toBe(true);
      expect(
        files.filter((f) => /@opentelemetry|interceptors-opentelemetry|client\/tracing\.ts/.test(f)),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
