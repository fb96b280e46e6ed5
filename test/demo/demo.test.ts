// The README's main job: the demo's table must say, for each seeded contact, what the reference tables say.
import { afterAll, expect, inject, test } from 'vitest';
import pg from 'pg';
import { runDemo, type DemoReport } from '../../client/demo';
import { DEMO_CAST } from '../../client/demo-contacts';

const serverUrl = inject('serverUrl');
const database = `cf_demo_test_${process.pid}`;

afterAll(async () => {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

// contact, automation, step, verdict: derived by hand from the Omnisend, Altcraft and SmartSender documents.
const EXPECTED = [
  ['ada', 'welcome', 'welcome-1-email', 'send'],
  ['ada', 'welcome', 'welcome-2-email', 'send'],
  ['ada', 'welcome', 'welcome-3-sms', 'send'],
  ['ada', 'order', 'confirmation-1-email', 'send'],
  ['ada', 'order', 'confirmation-2-sms', 'send'],
  ['ada', 'order', 'shipping-1-1-email', 'send'],
  ['ada', 'order', 'shipping-1-2-sms', 'send'],
  // Non-subscribed: email abandoned-cart reminders and confirmations reach them; US SMS reaches subscribed only.
  ['ben', 'abandoned-cart', 'cart-reminder-1-email', 'send'],
  ['ben', 'abandoned-cart', 'cart-reminder-2-sms', 'suppress'],
  ['ben', 'order', 'confirmation-1-email', 'send'],
  ['ben', 'order', 'confirmation-2-sms', 'suppress'],
  // Unsubscribed globally: no marketing; order and cancellation confirmations still reach them outside the US.
  ['chloe', 'abandoned-cart', 'cart-reminder-1-email', 'suppress'],
  ['chloe', 'abandoned-cart', 'cart-reminder-2-sms', 'suppress'],
  ['chloe', 'order', 'confirmation-1-email', 'send'],
  ['chloe', 'order', 'confirmation-2-sms', 'send'],
  ['chloe', 'order', 'cancellation-1-email', 'send'],
  ['chloe', 'order', 'cancellation-2-sms', 'send'],
  // Quiet hours: the marketing SMS waits for 08:00 in Los Angeles, then goes.
  ['dan', 'welcome', 'welcome-1-email', 'send'],
  ['dan', 'welcome', 'welcome-2-email', 'send'],
  ['dan', 'welcome', 'welcome-3-sms', 'send (after 1 defer)'],
  // Blacklisted email address: nothing on email, transactional included.
  ['eve', 'order', 'confirmation-1-email', 'suppress'],
  ['eve', 'order', 'confirmation-2-sms', 'send'],
  // Unsubscribes through the first welcome email's one-click link: that stops email, not the SMS consent he
  // gave separately (an email link opts out of its channel only, docs/consent-http.md).
  ['finn', 'welcome', 'welcome-1-email', 'send'],
  ['finn', 'welcome', 'welcome-2-email', 'suppress'],
  ['finn', 'welcome', 'welcome-3-sms', 'send'],
  ['gia', 'trial-started', 'step-1-send-email', 'send'],
  ['gia', 'trial-started', 'step-3.then.1-send-email', 'send'],
  ['hugo', 'trial-started', 'step-1-send-email', 'send'],
  ['hugo', 'trial-started', 'step-2.timeout.1-send-email', 'send'],
];

test('the demo runs every automation and its table matches the rules for each seeded contact', async () => {
  const lines: string[] = [];
  const report: DemoReport = await runDemo({
    keep: false,
    timeScale: 1 / 86_400,
    temporalAddress: inject('temporalAddress'),
    databaseUrl: `${serverUrl}/${database}`,
    log: (l) => lines.push(l),
  });
  expect(report.rows.map((r) => [r.contact, r.automation, r.step, r.verdict])).toEqual(EXPECTED);

  for (const row of report.rows) {
    if (row.verdict.startsWith('send')) {
      expect(row.deliveredTo, `${row.contact} ${row.step}`).toMatch(/\*\*\*/);
      expect(row.reason).not.toBe('');
    } else {
      expect(row.deliveredTo).toBe('-');
      expect(row.reason.length, `${row.contact} ${row.step} needs a reason`).toBeGreaterThan(10);
    }
  }
  const printed = lines.join('\n');
  expect(printed).toMatch(/contact\s+automation\s+step\s+ch\s+verdict\s+reason\s+delivered to/);
  for (const cast of Object.values(DEMO_CAST)) {
    expect(printed).not.toContain(cast.email);
    expect(printed).not.toContain(cast.phone);
  }
  // Finn's unsubscribe is his mail program's one-click POST to the demo's consent server: proof in the ledger.
  expect(printed).toMatch(/one-click POST answered 200/);
  const db = new pg.Client({ connectionString: `${serverUrl}/${database}` });
  await db.connect();
  try {
    const { rows } = await db.query<{ origin: string; source: Record<string, unknown> }>(
      `SELECT l.origin, l.source FROM consent_ledger l JOIN contacts c ON c.id = l.contact_id
       WHERE c.email = $1 AND l.after->>'status' = 'unsubscribed'`,
      [DEMO_CAST.finn.email],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.origin).toBe('feedback');
      expect(r.source).toMatchObject({
        via: 'one-click',
        ip: '127.0.0.1',
        userAgent: 'consentflow-demo-mailbox',
      });
    }
  } finally {
    await db.end();
  }
}, 120_000);
