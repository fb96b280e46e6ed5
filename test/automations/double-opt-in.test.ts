// Double opt-in end to end: a form sign-up starts the DOI workflow, which sends its own confirmation email
// (a transactional consent message with a signed confirm link) through the real worker and SMTP sink; the
// person opens the link on the consent server (GET shows a button and changes nothing), presses it (POST),
// and the store, the ledger (IP and user agent as proof) and the waiting welcome series follow. Replays are
// harmless; a tampered or expired link writes nothing; a confirmation that arrives another way (the CLI's
// token, or a signal lost) is found in the store while the workflow waits, and still releases the welcome series.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { confirmSubscription, signUp, upsertContact } from '../../db/contacts';
import type { LinkConfig } from '../../contracts/link-config';
import { buildServer } from '../../server/app';
import { startHarness, type Harness } from '../support/automation-harness';

const links: LinkConfig = { baseUrl: 'http://127.0.0.1:1', keys: ['d'.repeat(40)] };
let h: Harness;
let app: FastifyInstance;
const confirmedSignals: string[] = [];

beforeAll(async () => {
  h = await startHarness({ links });
  app = await buildServer({
    pool: h.db.pool,
    links,
    providers: {},
    onConfirmed: async (contactId) => {
      confirmedSignals.push(contactId);
      await h.automations.doubleOptInConfirmed(contactId);
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  links.baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const mailTo = async (address: string) => {
  for (let i = 0; i < 100; i++) {
    const mail = h.smtp.messages().find((m) => m.to.includes(address));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${address}`);
};
const state = async (contactId: string) => {
  const c = await h.db.pool.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [
    contactId,
  ]);
  const s = await h.db.pool.query<{ status: string }>(
    `SELECT status FROM subscriptions WHERE contact_id = $1 AND channel = 'email'`,
    [contactId],
  );
  return { global: c.rows[0]?.status, email: s.rows[0]?.status };
};
const ledgerCount = async (contactId: string) =>
  Number(
    (
      await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM consent_ledger WHERE contact_id = $1', [
        contactId,
      ])
    ).rows[0]!.n,
  );

describe('double opt-in through a confirmation email and a signed link', () => {
  test('the workflow mails a confirm link; GET changes nothing, POST confirms with proof and releases the welcome series', async () => {
    const email = 'doi-1@example.test';
    const { contactId } = await signUp(h.db.pool, { email, first_name: 'Dora', resource: 'newsletter' });
    expect(await state(contactId)).toEqual({ global: 'unconfirmed', email: 'unconfirmed' });
    const slow = h.automationsAt(2_000 / 86_400_000); // the 7-day wait takes 14 s
    const welcome = await slow.signUp(contactId, { doubleOptIn: true, confirmationEmail: true });
    const doi = `doi-${contactId}`;

    const mail = await mailTo(email);
    expect(mail.listUnsubscribe).toBeUndefined(); // a consent message, not a list message
    const url = new RegExp(`${links.baseUrl}/c/v1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+`).exec(
      mail.text ?? '',
    )?.[0];
    expect(url, mail.text).toBeDefined();
    // No welcome email before the confirmation.
    expect(h.smtp.messages().filter((m) => m.to.includes(email))).toHaveLength(1);

    const before = await ledgerCount(contactId);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<button[^>]*type="submit"[^>]*>[^<]*Confirm/);
    expect(html).not.toContain(email);
    expect(await state(contactId)).toEqual({ global: 'unconfirmed', email: 'unconfirmed' });
    expect(await ledgerCount(contactId)).toBe(before);

    // Tampered: the claims of another contact under this signature.
    const [v, body, sig] = url!.split('/c/')[1]!.split('.') as [string, string, string];
    const forged = Buffer.from(
      Buffer.from(body, 'base64url').toString().replace(contactId, 'c-other'),
    ).toString('base64url');
    const bad = await fetch(`${links.baseUrl}/c/${v}.${forged}.${sig}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(bad.status).toBe(400);
    expect(await ledgerCount(contactId)).toBe(before);

    const post = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Firefox/130' },
      body: 'confirm=yes',
    });
    expect(post.status).toBe(200);
    expect(await post.text()).toMatch(/confirmed/i);
    expect(await state(contactId)).toEqual({ global: 'subscribed', email: 'subscribed' });
    const { rows } = await h.db.pool.query<{ kind: string; origin: string; source: Record<string, unknown> }>(
      `SELECT kind, origin, source FROM consent_ledger WHERE contact_id = $1 AND kind = 'subscription' ORDER BY id DESC LIMIT 1`,
      [contactId],
    );
    expect(rows[0]).toMatchObject({
      origin: 'form',
      source: { via: 'confirm-link', ip: '127.0.0.1', userAgent: 'Firefox/130' },
    });
    expect(rows[0]!.source.messageId).toEqual(expect.stringContaining(doi));

    const result = await h.result(doi);
    expect(result.outcome).toBe('confirmed');
    expect(result.steps.map((s) => [s.step, s.type, s.delivery])).toEqual([
      ['doi-confirmation-email', 'doi_confirmation', 'sent'],
    ]);
    expect(confirmedSignals).toContain(contactId);
    // The welcome series was waiting for this confirmation: its first email follows.
    for (let i = 0; i < 100 && h.smtp.messages().filter((m) => m.to.includes(email)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    const welcomeMail = h.smtp.messages().filter((m) => m.to.includes(email));
    expect(welcomeMail.map((m) => m.subject)).toEqual(['Please confirm your subscription', 'Welcome, Dora!']);
    await h.client.workflow.getHandle(welcome).terminate('test done');

    // A replay of the POST is harmless: nothing more is written.
    const after = await ledgerCount(contactId);
    const again = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(again.status).toBe(200);
    expect(await ledgerCount(contactId)).toBe(after);
  }, 60_000);

  test('unconfirmed at the timeout: the workflow ends not-confirmed and its link no longer confirms', async () => {
    const email = 'doi-2@example.test';
    const { contactId } = await signUp(h.db.pool, { email });
    const fast = h.automationsAt(200 / 86_400_000); // 7 days take 1.4 s
    await fast.signUp(contactId, { doubleOptIn: true, confirmationEmail: true });
    const mail = await mailTo(email);
    const url = /http:\/\/127\.0\.0\.1:\d+\/c\/[^\s]+/.exec(mail.text ?? '')![0];
    expect((await h.result(`doi-${contactId}`)).outcome).toBe('not-confirmed');
    const before = await ledgerCount(contactId);
    const late = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(late.status).toBe(400);
    expect(await late.text()).toMatch(/expired/i);
    expect(await state(contactId)).toEqual({ global: 'unconfirmed', email: 'unconfirmed' });
    expect(await ledgerCount(contactId)).toBe(before);
  }, 30_000);

  test('a confirmation that arrives another way (the CLI token) is found in the store when the wait ends', async () => {
    const email = 'doi-3@example.test';
    const { contactId, confirmationToken } = await signUp(h.db.pool, { email });
    const fast = h.automationsAt(200 / 86_400_000);
    await fast.signUp(contactId, { doubleOptIn: true, confirmationEmail: true });
    await mailTo(email);
    await confirmSubscription(h.db.pool, confirmationToken);
    expect((await h.result(`doi-${contactId}`)).outcome).toBe('confirmed');
  }, 30_000);

  test('a confirmation whose signal never came releases the welcome series within the check interval, not at the end of the wait', async () => {
    const email = 'doi-6@example.test';
    const { contactId, confirmationToken } = await signUp(h.db.pool, { email, first_name: 'Ines' });
    const slow = h.automationsAt(4_000 / 86_400_000); // the 7-day wait takes 28 s
    const welcome = await slow.signUp(contactId, { doubleOptIn: true, confirmationEmail: true });
    await mailTo(email);
    // Confirmed in the store with no signal to any workflow: the consent server could not reach Temporal.
    await confirmSubscription(h.db.pool, confirmationToken);
    const confirmedAt = Date.now();
    for (let i = 0; i < 200 && h.smtp.messages().filter((m) => m.to.includes(email)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    const mails = h.smtp.messages().filter((m) => m.to.includes(email));
    expect(mails.map((m) => m.subject)).toEqual(['Please confirm your subscription', 'Welcome, Ines!']);
    // The first check is due a second after the email (an hour's cap is 167 ms at this pace).
    expect(Date.now() - confirmedAt).toBeLessThan(8_000);
    expect((await h.result(`doi-${contactId}`)).outcome).toBe('confirmed');
    await h.client.workflow.getHandle(welcome).terminate('test done');
  }, 60_000);

  test('a welcome series whose confirmation signal never came asks the store when its wait ends, and goes on', async () => {
    const email = 'doi-7@example.test';
    const { contactId, confirmationToken } = await signUp(h.db.pool, { email, first_name: 'Noor' });
    const fast = h.automationsAt(200 / 86_400_000); // the 7-day wait takes 1.4 s
    // The app sends its own confirmation email; the person confirms, the store says so, no signal arrives.
    const welcome = await fast.signUp(contactId, { doubleOptIn: true });
    await confirmSubscription(h.db.pool, confirmationToken);
    const result = await h.result(welcome);
    expect(result.outcome).toBe('completed');
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Welcome, Noor!');
  }, 60_000);

  test('a confirmation for one resource confirms that subscription only', async () => {
    const email = 'doi-4@example.test';
    const { contactId } = await signUp(h.db.pool, { email, resource: 'newsletter' });
    await signUp(h.db.pool, { email, resource: 'offers' });
    const slow = h.automationsAt(2_000 / 86_400_000);
    const doi = await slow.requestConfirmation(contactId, { resource: 'newsletter' });
    const mail = await mailTo(email);
    const url = /http:\/\/127\.0\.0\.1:\d+\/c\/[^\s]+/.exec(mail.text ?? '')![0];
    const post = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(post.status).toBe(200);
    const { rows } = await h.db.pool.query<{ resource: string; status: string }>(
      `SELECT resource, status FROM subscriptions WHERE contact_id = $1 ORDER BY resource`,
      [contactId],
    );
    expect(rows).toEqual([
      { resource: 'newsletter', status: 'subscribed' },
      { resource: 'offers', status: 'unconfirmed' },
    ]);
    expect((await h.result(doi)).outcome).toBe('confirmed');
  }, 30_000);

  test('a contact with nothing to confirm gets no confirmation email, and a waiting series starts', async () => {
    const contactId = await upsertContact(h.db.pool, { id: 'c-doi-5', email: 'doi-5@example.test' });
    const slow = h.automationsAt(2_000 / 86_400_000);
    const welcome = await slow.signUp(contactId, { doubleOptIn: true, confirmationEmail: true });
    const result = await h.result(`doi-${contactId}`);
    expect(result.outcome).toBe('already-confirmed');
    expect(result.steps).toEqual([]);
    const mail = await mailTo('doi-5@example.test');
    expect(mail.subject).toContain('Welcome');
    await h.client.workflow.getHandle(welcome).terminate('test done');
  }, 30_000);
});
