// `consentflow demo`: every automation, end to end, for a handful of seeded contacts. Real dev server, real
// PostgreSQL (a `consentflow_demo` database, recreated each run), a local SMTP server and SMS sink. Ends with a
// table of what each step decided and where it was delivered (masked), and the Web UI link to the same runs.
import { Client, Connection } from '@temporalio/client';
import { DateTime } from 'luxon';
import pg from 'pg';
import { maskAddress } from '../activities/mask';
import { createSmtpTransport } from '../activities/transports/email';
import { createHttpSmsTransport } from '../activities/transports/sms';
import { startSmsSink } from '../activities/transports/sinks/sms-sink';
import { startSmtpSink } from '../activities/transports/sinks/smtp-sink';
import { createPool, parseDatabaseUrl } from '../db/pool';
import { migrate } from '../db/migrate';
import type { AutomationResult } from '../contracts/automation-result';
import { startWorkerRuntime } from '../worker/runtime';
import { createAutomationClient } from './automations';
import { loadSettings } from './config';
import { connectionOptions } from './temporal-config';
import { seedDemoContacts, type DemoContacts } from './demo-contacts';
import { startDevServer, isPortFree, type DevServer } from './dev-server';
import { untilSignal } from './cli/signals';
import { clickOneClickUnsubscribe, startDemoConsentServer } from './demo-consent';

export interface DemoOptions {
  keep: boolean;
  /** Multiplies automation durations; default one day per second. */
  timeScale: number;
  log?: (line: string) => void;
  /** Use this Temporal server instead of starting (or finding) the local dev server. */
  temporalAddress?: string;
  /** The database to recreate for the demo (default: `consentflow_demo` on DATABASE_URL's server). */
  databaseUrl?: string;
  /** With `keep`: runs while everything stays up, instead of waiting for Ctrl-C (the Web UI test). */
  whileKept?: (report: DemoReport) => Promise<unknown>;
}

export interface DemoRow {
  contact: string;
  automation: string;
  workflowId: string;
  step: string;
  channel: string;
  verdict: string;
  reason: string;
  deliveredTo: string;
}

export interface DemoReport {
  rows: DemoRow[];
  uiUrl?: string;
  databaseUrl: string;
  namespace: string;
  workflowIds: string[];
}

export const DEMO_QUEUE = 'consentflow-demo';

async function recreateDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect().catch((err: Error) => {
    throw new Error(
      `PostgreSQL is not reachable at ${target.host} (${err.message}). Start it with: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

/** The demo's own database on the configured server, so a run never touches the real one. */
export function demoDatabaseUrl(databaseUrl: string): string {
  const url = parseDatabaseUrl(databaseUrl);
  url.pathname = '/consentflow_demo';
  return url.toString();
}

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const settings = loadSettings();
  const databaseUrl = opts.databaseUrl ?? demoDatabaseUrl(settings.databaseUrl);
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  log(
    `[${elapsed()}] PostgreSQL: fresh demo database ${parseDatabaseUrl(databaseUrl).host}/consentflow_demo`,
  );
  await recreateDatabase(databaseUrl);
  await migrate(databaseUrl);
  const pool = createPool(databaseUrl);

  // An explicitly configured cluster, or a dev server already running on the default port, is used as is.
  let server: DevServer | undefined;
  let address = opts.temporalAddress ?? settings.temporalAddress;
  let uiUrl: string | undefined;
  // A Temporal config profile (TLS, API key) configures a cluster too; a dev server started here is plain.
  let transport = opts.temporalAddress ? undefined : settings.temporalTransport;
  const configured =
    opts.temporalAddress ??
    process.env.TEMPORAL_ADDRESS ??
    (transport ? settings.temporalAddress : undefined);
  if (!configured && (await isPortFree('127.0.0.1', 7233))) {
    log(`[${elapsed()}] Temporal: starting the dev server (first run builds the CLI)`);
    server = await startDevServer({
      stateDir: settings.stateDir,
      namespace: settings.temporalNamespace,
      log,
    });
    address = server.address;
    transport = undefined;
    uiUrl = server.uiUrl;
  } else {
    log(`[${elapsed()}] Temporal: using the server at ${address}`);
    uiUrl = configured ? undefined : 'http://127.0.0.1:8233';
  }

  const smtp = await startSmtpSink();
  const sms = await startSmsSink();
  const consent = await startDemoConsentServer(pool);
  const runtime = await startWorkerRuntime(
    {
      ...settings,
      temporalAddress: address,
      temporalTransport: transport,
      taskQueue: DEMO_QUEUE,
      databaseUrl,
    },
    {
      pool,
      links: consent.links,
      transports: {
        email: createSmtpTransport({ url: smtp.url, from: 'Demo Shop <hello@demo-shop.example>' }),
        sms: createHttpSmsTransport({
          baseUrl: sms.url,
          accountSid: 'ACdemo',
          authToken: 'demo',
          from: '+15005550006',
        }),
      },
    },
  );
  const connection = await Connection.connect(connectionOptions({ address, transport }));
  const client = new Client({ connection, namespace: settings.temporalNamespace });

  try {
    log(
      `[${elapsed()}] Seeding contacts, SMTP server at ${smtp.url}, SMS sink at ${sms.url}, consent server at ${consent.url}`,
    );
    const contacts = await seedDemoContacts(pool);
    const run = `${Date.now().toString(36)}`;
    // Decisions are asked as of 13:00 UTC today (a shop's afternoon in Europe), so quiet hours never stall the demo
    // whenever it runs; Dan's series is the one that meets them on purpose.
    const afternoon = DateTime.utc().startOf('day').plus({ hours: 13 });
    const automations = createAutomationClient({
      client,
      taskQueue: DEMO_QUEUE,
      timeScale: opts.timeScale,
      clockStart: () => afternoon.toISO(),
    });
    // Dan's series starts 12 s before 08:00 in Los Angeles: its SMS step (3 scaled days in) lands in the quiet
    // hours even on a slow machine, and waits a few seconds for 08:00.
    const danClock = DateTime.now()
      .setZone('America/Los_Angeles')
      .plus({ days: 1 })
      .set({ hour: 7, minute: 59, second: 48, millisecond: 0 });
    const nightOwl = createAutomationClient({
      client,
      taskQueue: DEMO_QUEUE,
      timeScale: opts.timeScale,
      clockStart: () => danClock.toUTC().toISO()!,
    });

    log(
      `[${elapsed()}] Starting automations (decisions as of ${afternoon.toISO()}; Dan's at ${danClock.toISO()})`,
    );
    const started = await startScenario(automations, nightOwl, contacts, run);
    // Finn unsubscribes with his mail program's button (the one-click header of his first welcome email) once
    // that email has arrived.
    await smtp.waitFor(1, 30_000);
    const finnsFirst = async () => {
      for (let i = 0; i < 300; i++) {
        const mail = smtp.messages().find((m) => m.to.includes(contacts.finn.email));
        if (mail) return mail;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("Finn's first welcome email did not arrive within 15 s.");
    };
    const click = await clickOneClickUnsubscribe(await finnsFirst());
    log(
      `[${elapsed()}] Finn clicked "Unsubscribe" in his mail program: one-click POST answered ${click.status}`,
    );
    await started.afterFirstSends();

    const results = await Promise.all(
      started.runs.map(async (r) => ({
        ...r,
        result: (await client.workflow.getHandle(r.workflowId).result()) as AutomationResult,
      })),
    );
    log(`[${elapsed()}] All ${results.length} automations finished`);

    const outbox = await pool.query<{ workflow_id: string; step: string; address: string }>(
      `SELECT workflow_id, step, address FROM outbox WHERE state = 'sent'`,
    );
    const delivered = new Map(outbox.rows.map((r) => [`${r.workflow_id}:${r.step}`, r.address]));
    const rows: DemoRow[] = results.flatMap((r) =>
      r.result.steps.map((s) => ({
        contact: r.contact,
        automation: r.automation,
        workflowId: r.workflowId,
        step: s.step.replace(/^[^/]+\//, ''),
        channel: s.channel,
        verdict: s.defers ? `${s.verdict} (after ${s.defers} defer)` : s.verdict,
        reason:
          s.verdict === 'send' ? (s.defers ? 'quiet hours ended' : 'allowed') : (s.reasons[0]?.message ?? ''),
        deliveredTo:
          s.delivery === 'sent' ? maskAddress(delivered.get(`${r.workflowId}:${s.step}`) ?? '') : '-',
      })),
    );
    printTable(rows, log);
    log(
      `\nEmails received by the SMTP server: ${smtp.messages().length}; SMS received by the sink: ${sms.messages().length}`,
    );
    const ns = settings.temporalNamespace;
    if (uiUrl)
      log(
        `Web UI: ${uiUrl}/namespaces/${ns}/workflows?query=${encodeURIComponent(`TaskQueue="${DEMO_QUEUE}"`)}`,
      );
    log(`Decision log: psql ${databaseUrl} -c 'SELECT * FROM decision_log'`);
    const report: DemoReport = {
      rows,
      uiUrl,
      databaseUrl,
      namespace: ns,
      workflowIds: results.map((r) => r.workflowId),
    };

    if (opts.keep) {
      // The worker stays too: the `steps` query and the current details answer only while one polls the
      // demo's task queue (the Web UI's Queries tab, `consentflow automations steps`).
      const what = server
        ? `the dev server, its Web UI (${uiUrl}) and the demo's worker`
        : "the demo's worker";
      log(`\n--keep: ${what} stay up. Ctrl-C stops them.`);
      await (opts.whileKept ? opts.whileKept(report) : untilSignal());
    }
    return report;
  } finally {
    await connection.close();
    await runtime.stop().catch(() => undefined);
    await pool.end();
    await consent.close();
    await smtp.close();
    await sms.close();
    await server?.stop();
  }
}

type Automations = ReturnType<typeof createAutomationClient>;

async function startScenario(a: Automations, nightOwl: Automations, c: DemoContacts, run: string) {
  const runs: { contact: string; automation: string; workflowId: string }[] = [];
  const add = (contact: string, automation: string, workflowId: string) =>
    runs.push({ contact, automation, workflowId });

  add('ada', 'welcome', await a.signUp(c.ada.id));
  add('ada', 'order', await a.orderPlaced(`${run}-1001`, c.ada.id));
  add('ben', 'abandoned-cart', await a.cartUpdated(`${run}-2001`, c.ben.id, { itemCount: 2 }));
  add('ben', 'order', await a.orderPlaced(`${run}-1002`, c.ben.id));
  add('chloe', 'abandoned-cart', await a.cartUpdated(`${run}-2002`, c.chloe.id, { itemCount: 1 }));
  add('chloe', 'order', await a.orderPlaced(`${run}-1003`, c.chloe.id));
  add('dan', 'welcome', await nightOwl.signUp(c.dan.id));
  add('eve', 'order', await a.orderPlaced(`${run}-1004`, c.eve.id));
  add('finn', 'welcome', await a.signUp(c.finn.id));
  const [gia] = await a.sendEvent({
    contactId: c.gia.id,
    name: 'trial_started',
    properties: { plan: 'pro' },
  });
  add('gia', 'trial-started', gia!);
  const [hugo] = await a.sendEvent({
    contactId: c.hugo.id,
    name: 'trial_started',
    properties: { plan: 'team' },
  });
  add('hugo', 'trial-started', hugo!);

  return {
    runs,
    /** Signals that follow the first messages: shipping, cancellation, delivery, the awaited event. */
    async afterFirstSends() {
      await a.orderShipped(`${run}-1001`);
      await a.orderDelivered(`${run}-1001`);
      await a.orderDelivered(`${run}-1002`);
      await a.orderCancelled(`${run}-1003`, 'customer request');
      await a.orderDelivered(`${run}-1004`);
      await a.sendEvent({ contactId: c.gia.id, name: 'project_created', properties: { template: 'kanban' } });
    },
  };
}

function printTable(rows: DemoRow[], log: (line: string) => void): void {
  const headers: (keyof DemoRow)[] = [
    'contact',
    'automation',
    'step',
    'channel',
    'verdict',
    'reason',
    'deliveredTo',
  ];
  const titles = ['contact', 'automation', 'step', 'ch', 'verdict', 'reason', 'delivered to'];
  const cell = (r: DemoRow, k: keyof DemoRow) =>
    k === 'reason' && r.reason.length > 72 ? `${r.reason.slice(0, 71)}…` : r[k];
  const widths = headers.map((k, i) => Math.max(titles[i]!.length, ...rows.map((r) => cell(r, k).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  log('');
  log(line(titles));
  log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) log(line(headers.map((k) => cell(r, k))));
}
