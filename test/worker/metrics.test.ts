// `consentflow worker --metrics-port`: Temporal's runtime metrics and consentflow's own counters and latencies on
// one Prometheus endpoint. A worker process runs a custom-event automation for two contacts (one unsubscribed);
// the scrape must count what the decision log and the SMTP sink saw, with bounded labels and no contact id.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { connectClient } from '../../client/temporal';
import { createAutomationClient } from '../../client/automations';
import { loadAutomations } from '../../client/definitions';
import { decidingRule } from '../../workflows/run-findings';
import type { DecisionReason } from '../../rules/model';
import { startSmtpSink, type SmtpSink } from '../../activities/transports/sinks/smtp-sink';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A zone where it is early afternoon now, so quiet hours do not defer the send this test expects. */
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

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (samples: Sample[], name: string, where: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

let db: TestDatabase;
let smtp: SmtpSink;
let worker: ChildProcess | undefined;
let port: number;
let output = '';
const queue = `metrics-${process.pid}`;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
  port = await freePort();
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  await smtp?.close();
  await db?.drop();
});

describe('worker metrics for Prometheus', () => {
  test('--metrics-port that is not a port is bad input: exit 2, one line', () => {
    const r = spawnSync(process.execPath, [BIN, 'worker', '--metrics-port', '99999'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--metrics-port "99999" is not a port \(1-65535\)/);
  });

  test('Temporal runtime metrics and consentflow decisions, deliveries and latencies, by bounded labels', async () => {
    worker = spawn(process.execPath, [BIN, 'worker', '--metrics-port', String(port)], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: queue,
        DATABASE_URL: db.url,
        SMTP_URL: smtp.url,
        SMS_API_URL: '',
        CONSENTFLOW_METRICS_HOST: '127.0.0.1',
      },
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
    expect(output).toContain(`Metrics for Prometheus: http://127.0.0.1:${port}/metrics`);

    const zone = afternoonZone();
    const subscribed = await seedContact(db.pool, { key: 'metrics1', timezone: zone });
    const unsubscribed = await seedContact(db.pool, {
      key: 'metrics2',
      timezone: zone,
      status: 'unsubscribed',
    });
    const client = await connectClient({
      temporalAddress: inject('temporalAddress'),
      temporalNamespace: 'default',
    });
    try {
      const automations = createAutomationClient({ client, taskQueue: queue, catalog: loadAutomations() });
      for (const contactId of [subscribed, unsubscribed])
        await automations.sendEvent({ contactId, name: 'trial_started', properties: { plan: 'pro' } });
    } finally {
      await client.connection.close();
    }

    // Until both decisions are made and the first message delivered (or not), then one export interval more.
    const decisions = async () =>
      (
        await db.pool.query<{ verdict: string; reasons: DecisionReason[] }>(
          'SELECT verdict, reasons FROM decision_log',
        )
      ).rows;
    let logged = await decisions();
    let samples: Sample[] = [];
    for (let i = 0; i < 120; i++) {
      logged = await decisions();
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      samples = parse(text);
      const sent = logged.filter((d) => d.verdict === 'send').length;
      if (
        logged.length >= 2 &&
        sum(samples, 'consentflow_decisions_total') === logged.length &&
        (sent === 0 || sum(samples, 'consentflow_deliveries_total') >= sent)
      )
        break;
      await new Promise((r) => setTimeout(r, 500));
    }

    // Temporal's own metrics are on the same endpoint.
    expect(samples.some((s) => s.name.startsWith('temporal_'))).toBe(true);
    expect(samples.some((s) => s.labels.activity_type === 'decideStep')).toBe(true);

    // Every decision the log holds, counted under its verdict and deciding rule.
    expect(logged.length).toBeGreaterThanOrEqual(2);
    const expected = new Map<string, number>();
    for (const d of logged) {
      const key = `${d.verdict} ${decidingRule(d.reasons) ?? 'none'}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    for (const [key, count] of expected) {
      const [verdict, rule] = key.split(' ') as [string, string];
      expect(sum(samples, 'consentflow_decisions_total', { verdict, rule }), key).toBe(count);
    }
    expect(logged.some((d) => d.verdict === 'suppress')).toBe(true);
    const defers = logged.filter((d) => d.verdict === 'defer').length;
    expect(sum(samples, 'consentflow_defers_total')).toBe(defers);
    expect(sum(samples, 'consentflow_decision_latency_seconds_count')).toBe(logged.length);

    // The subscribed contact's email went out through the sink: one delivery, email, sent.
    const sent = logged.filter((d) => d.verdict === 'send').length;
    if (sent > 0) {
      expect(sum(samples, 'consentflow_deliveries_total', { channel: 'email', outcome: 'sent' })).toBe(sent);
      expect(sum(samples, 'consentflow_delivery_latency_seconds_count', { channel: 'email' })).toBe(sent);
    }

    // No contact id (nor anything unbounded) is a label.
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    expect(text).not.toContain(subscribed);
    expect(text).not.toContain(unsubscribed);
    const ours = samples.filter((s) => s.name.startsWith('consentflow_'));
    for (const s of ours)
      for (const k of Object.keys(s.labels))
        expect([
          'verdict',
          'rule',
          'channel',
          'outcome',
          'le',
          'activityType',
          'namespace',
          'taskQueue',
        ]).toContain(k);
  }, 240_000);
});
