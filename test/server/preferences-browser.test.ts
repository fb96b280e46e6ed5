// The preference page in a real browser (Debian's chromium through playwright-core): a person opens the link
// from an email, switches a topic off and saves, then unsubscribes one subscription, using labels and the
// keyboard as a screen-reader user would; the store and the ledger show each change with its proof.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signLink } from '../../contracts/consent-link';
import { upsertContact } from '../../db/contacts';
import { buildServer } from '../../server/app';
import { artifactPath, launchBrowser, type LaunchedBrowser } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';

const KEY = 'p'.repeat(40);
const ADA = 'c-ada-prefs';
let db: TestDatabase;
let app: FastifyInstance;
let browser: LaunchedBrowser;
let base: string;

const subscription = async (resource: string, channel: string) =>
  (
    await db.pool.query<{ status: string; categories: Record<string, string> }>(
      `SELECT status, categories FROM subscriptions WHERE contact_id = $1 AND resource = $2 AND channel = $3`,
      [ADA, resource, channel],
    )
  ).rows[0];

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ pool: db.pool, links: { baseUrl: 'http://x', keys: [KEY] }, providers: {} });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await upsertContact(db.pool, {
    id: ADA,
    email: 'ada.lovelace@example.com',
    phone: '+4915112345678',
    status: 'subscribed',
    subscriptions: [
      {
        resource: 'newsletter',
        channel: 'email',
        status: 'subscribed',
        categories: { news: 'subscribed', offers: 'subscribed' },
      },
      { resource: 'newsletter', channel: 'sms', status: 'subscribed' },
    ],
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.drop();
});

describe('preference page', () => {
  it('a topic switched off and a subscription unsubscribed in the browser land in the store with proof', async () => {
    const token = signLink([KEY], { purpose: 'preferences', contactId: ADA, channel: 'email' });
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    await page.goto(`${base}/p/${token}`);
    expect(await page.title()).toContain('preferences');
    const html = await page.content();
    expect(html).not.toContain('ada.lovelace@example.com');
    expect(html).not.toContain('+4915112345678');
    expect(html).toContain('a***@e***.com');

    const emailBox = page.getByRole('group', { name: /newsletter: Email/ });
    const offers = emailBox.getByLabel('Topic: offers');
    await expect.poll(() => offers.isChecked()).toBe(true);
    // Keyboard: focus the checkbox and toggle it with the space bar.
    await offers.focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.getByText('Your choices are saved.').waitFor();
    await page.screenshot({ path: artifactPath('preferences-after-topic.png'), fullPage: true });
    expect(await subscription('newsletter', 'email')).toMatchObject({
      status: 'subscribed',
      categories: { news: 'subscribed', offers: 'unsubscribed' },
    });

    await page
      .getByRole('group', { name: /newsletter: Text messages/ })
      .getByLabel('Subscribed')
      .uncheck();
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.getByText('Your choices are saved.').waitFor();
    expect((await subscription('newsletter', 'sms'))?.status).toBe('unsubscribed');
    expect((await subscription('newsletter', 'email'))?.status).toBe('subscribed');
    expect(
      await page
        .getByRole('group', { name: /newsletter: Text messages/ })
        .getByLabel('Subscribed')
        .isChecked(),
    ).toBe(false);

    const { rows } = await db.pool.query<{ kind: string; origin: string; source: Record<string, unknown> }>(
      `SELECT kind, origin, source FROM consent_ledger WHERE contact_id = $1 AND kind IN ('category', 'subscription')
         AND recorded_at > now() - interval '5 minutes' AND origin <> 'api' ORDER BY id`,
      [ADA],
    );
    expect(rows.map((r) => [r.kind, r.origin])).toEqual([
      ['category', 'form'],
      ['subscription', 'feedback'],
    ]);
    for (const r of rows) {
      expect(r.source).toMatchObject({ via: 'preference-page', ip: '127.0.0.1' });
      expect(String(r.source.userAgent)).toMatch(/Chrome/);
    }
  });

  it('"Unsubscribe from everything" turns off the global status and every subscription', async () => {
    const token = signLink([KEY], { purpose: 'preferences', contactId: ADA, channel: 'email' });
    const page = await browser.context.newPage();
    await page.goto(`${base}/p/${token}`);
    await page.getByRole('button', { name: 'Unsubscribe from everything' }).click();
    await page.getByText('You are unsubscribed from everything.').waitFor();
    const { rows } = await db.pool.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [
      ADA,
    ]);
    expect(rows[0]?.status).toBe('unsubscribed');
    expect((await subscription('newsletter', 'email'))?.status).toBe('unsubscribed');
    expect((await subscription('newsletter', 'sms'))?.status).toBe('unsubscribed');
  });

  it('a tampered preferences link is a 400 page without internals', async () => {
    const token = signLink(['q'.repeat(40)], { purpose: 'preferences', contactId: ADA, channel: 'email' });
    const page = await browser.context.newPage();
    const response = await page.goto(`${base}/p/${token}`);
    expect(response?.status()).toBe(400);
    expect(await page.content()).toContain('This preferences link is not valid');
  });
});
