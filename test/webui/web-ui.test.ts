// The Temporal Web UI of the dev server, in a real browser (Debian's chromium through playwright-core), on the
// demo's runs kept up with their worker (`demo --keep`): what an operator sees must explain the runs, and no
// page may show a seeded contact's email address or phone number. Screenshots go to test-artifacts/.
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, expect, inject, test } from 'vitest';
import { DateTime } from 'luxon';
import { createAutomationClient } from '../../client/automations';
import { DEMO_QUEUE, runDemo, type DemoReport } from '../../client/demo';
import { loadAutomations, type AutomationCatalog } from '../../client/definitions';
import { DEMO_CAST } from '../../client/demo-contacts';
import { CONTACT_ID } from '../../contracts/search-attributes';
import { artifactPath, launchBrowser } from '../support/browser';

const serverUrl = inject('serverUrl');
const ui = `${inject('temporalUiUrl')}/namespaces/default`;
const database = `cf_webui_test_${process.pid}`;

afterAll(async () => {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

const NIGHT_IN_MADRID = DateTime.fromISO('2026-11-24T03:00', { zone: 'Europe/Madrid' }).toUTC().toISO()!;

/** The welcome series with only its SMS step, due at once. */
function smsOnlyWelcome(): AutomationCatalog {
  const catalog = loadAutomations();
  const sms = catalog.welcome.steps.find((s) => s.channel === 'sms')!;
  return { ...catalog, welcome: { ...catalog.welcome, steps: [{ ...sms, after: '0s' }] } };
}

const tab = (name: string) => (page: Page) => page.getByRole('tab', { name }).first().click();

const PERSONAL = Object.values(DEMO_CAST).flatMap((c) => [c.email, c.phone]);

/** Text (or source) of the page and of its frames: the UI renders summaries and details in sandboxed iframes. */
async function allFrames(page: Page, read: 'text' | 'html'): Promise<string> {
  const parts = await Promise.all(
    page.frames().map((f) => (read === 'text' ? f.innerText('body') : f.content()).catch(() => '')),
  );
  return parts.join('\n');
}

/**
 * The page's text once it shows every `expected` (the UI renders after load, and summary and details in
 * iframes of their own that load separately), or after 30 s whatever it shows.
 */
async function textShowing(page: Page, expected: readonly string[]): Promise<string> {
  let text = '';
  for (const until = Date.now() + 30_000; Date.now() < until;) {
    text = await allFrames(page, 'text');
    if (expected.every((e) => text.includes(e))) break;
    await page.waitForTimeout(250);
  }
  return text;
}

/**
 * Opens a page (and does `act` there: click a tab, run a query), waits until its text shows `expected` (and
 * `alsoExpected`, which the caller asserts), saves a screenshot, and checks text and source for every seeded
 * contact's email address and phone number.
 */
async function look(
  page: Page,
  name: string,
  url: string,
  expected: string,
  act?: (page: Page) => Promise<void>,
  alsoExpected: readonly string[] = [],
): Promise<string> {
  await page.goto(url);
  await act?.(page);
  const text = await textShowing(page, [expected, ...alsoExpected]);
  await page.screenshot({ path: artifactPath(`web-ui-${name}.png`), fullPage: true });
  const html = await allFrames(page, 'html');
  for (const value of PERSONAL) {
    expect(text, `${name}: page text`).not.toContain(value);
    expect(html, `${name}: page source`).not.toContain(value);
  }
  expect(text, `${name}: ${url}`).toContain(expected);
  return text;
}

test('the Web UI explains a demo run: order summary, a deferral timer’s reason, the Verdicts filter; no personal data', async () => {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection });
  const browser = await launchBrowser();
  let looked = false;
  try {
    await runDemo({
      keep: true,
      timeScale: 1 / 86_400,
      temporalAddress: inject('temporalAddress'),
      databaseUrl: `${serverUrl}/${database}`,
      log: () => undefined,
      whileKept: async (report: DemoReport) => {
        const page = await browser.context.newPage();
        const idOf = (contact: string, automation: string) =>
          report.rows.find((r) => r.contact === contact && r.automation === automation)!.workflowId;
        const runPage = async (workflowId: string, tab: string) => {
          const d = await client.workflow.getHandle(workflowId).describe();
          return {
            url: `${ui}/workflows/${workflowId}/${d.runId}/${tab}`,
            contactId: d.typedSearchAttributes.get(CONTACT_ID),
          };
        };

        // Eve's order: the summary names automation, version, contact id and order; the details its plan.
        const eveOrder = idOf('eve', 'order');
        const orderId = eveOrder.replace(/^order-/, '');
        const meta = await runPage(eveOrder, 'history');
        const summary = await look(
          page,
          'order-user-metadata',
          meta.url,
          `order v1 · contact ${meta.contactId} · order ${orderId}`,
          tab('User Metadata'),
          ['confirmation-1-email: order_confirmation by email'],
        );
        expect(summary).toContain('confirmation-1-email: order_confirmation by email');
        const history = await look(
          page,
          'order-history',
          (await runPage(eveOrder, 'history')).url,
          'deliver confirmation-2-sms (sms, order_confirmation)',
          undefined,
          [`order ${orderId} closes 30 days after placement`],
        );
        expect(history).toContain(`order ${orderId} closes 30 days after placement`);

        // A welcome SMS asked for at 03:00 in Madrid: its timer says which rule deferred it and until when,
        // and the running run's current details (answered by the kept worker) say the same.
        const hugo = await runPage(idOf('hugo', 'trial-started'), 'history');
        const night = createAutomationClient({
          client,
          taskQueue: DEMO_QUEUE,
          timeScale: 1 / 86_400,
          clockStart: () => NIGHT_IN_MADRID,
          catalog: smsOnlyWelcome(),
        });
        const deferred = await night.signUp(hugo.contactId!);
        const why = 'welcome-1-sms deferred by quiet-hours:rest-of-world until 08:00';
        await look(page, 'deferral-history', (await runPage(deferred, 'history')).url, why);
        const current = await look(
          page,
          'deferral-current-details',
          (await runPage(deferred, 'history')).url,
          `waiting: ${why}`,
          tab('User Metadata'),
          [`welcome v1 · contact ${hugo.contactId}`],
        );
        expect(current).toContain(`welcome v1 · contact ${hugo.contactId}`);
        await client.workflow.getHandle(deferred).terminate('web UI test done');

        // The Verdicts filter finds the orders with any suppressed message, though their SMS went out.
        const prefix = eveOrder.replace(/\d+$/, '');
        const query = `Verdicts = "suppress" AND WorkflowId STARTS_WITH "${prefix}"`;
        const list = await look(
          page,
          'verdicts-filter',
          `${ui}/workflows?query=${encodeURIComponent(query)}`,
          eveOrder,
        );
        const found = [...new Set(list.match(new RegExp(`${prefix}\\d+`, 'g')))].sort();
        expect(found).toEqual([idOf('ben', 'order'), eveOrder].sort());

        // The kept worker answers the steps query from the UI.
        const queries = await look(
          page,
          'steps-query',
          (await runPage(eveOrder, 'query')).url,
          '"outcome": "suppressed"',
          (p) => p.getByRole('button', { name: 'Run Query' }).click(),
        );
        expect(queries).toContain('"rule": "gate:blacklist"');
        looked = true;
      },
    });
  } finally {
    await browser.close();
    await connection.close();
  }
  expect(looked).toBe(true);
}, 240_000);
