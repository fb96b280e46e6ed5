// Consent proof comes back out: `consentflow contacts export` and the operator route print everything the
// store holds about a contact, the ledger with the one-click's origin, IP and user agent included.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signLink } from '../../contracts/consent-link';
import { upsertContact } from '../../db/contacts';
import { REPO_ROOT } from '../../client/config';
import { buildServer } from '../../server/app';
import { createEnqueueCampaignPage } from '../../activities/campaign-enqueue';
import { loadRuleSet } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';

const KEY = 'e'.repeat(40);
const OPERATOR = 'operator-token-0123456789';
let db: TestDatabase;
let app: FastifyInstance;
let closed: FastifyInstance;

interface Export {
  contact: { id: string; email: string };
  subscriptions: { status: string }[];
  ledger: { origin: string; source: Record<string, unknown>; after: { status?: string } | null }[];
}

beforeAll(async () => {
  db = await createTestDatabase();
  const links = { baseUrl: 'https://x.test', keys: [KEY] };
  app = await buildServer({ pool: db.pool, links, providers: {}, operatorToken: OPERATOR });
  closed = await buildServer({ pool: db.pool, links, providers: {} });
  await upsertContact(db.pool, {
    id: 'c-ada',
    email: 'ada@example.com',
    status: 'subscribed',
    subscriptions: [{ resource: 'newsletter', channel: 'email', status: 'subscribed' }],
  });
  const token = signLink([KEY], {
    purpose: 'unsubscribe',
    contactId: 'c-ada',
    channel: 'email',
    resource: 'newsletter',
    messageId: 'wf/run/1',
  });
  const r = await app.inject({
    method: 'POST',
    url: `/u/${token}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Gmail' },
    payload: 'List-Unsubscribe=One-Click',
  });
  expect(r.statusCode).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await closed?.close();
  await db?.drop();
});

const proofOf = (e: Export) => e.ledger.find((l) => l.after?.status === 'unsubscribed');

describe('contact export', () => {
  it('the operator route returns the contact, its subscriptions and the ledger with the proof', async () => {
    const r = await app.inject({
      url: '/admin/contacts/ada@example.com/export',
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(r.statusCode).toBe(200);
    const e = r.json<Export>();
    expect(e.contact).toMatchObject({ id: 'c-ada', email: 'ada@example.com' });
    expect(e.subscriptions).toEqual([expect.objectContaining({ status: 'unsubscribed' })]);
    expect(proofOf(e)).toMatchObject({
      origin: 'feedback',
      source: {
        via: 'one-click',
        userAgent: 'Gmail',
        messageId: 'wf/run/1',
        ip: expect.any(String) as string,
      },
    });
  });

  it('without the token it is 401; on a server without an operator token it is not enabled', async () => {
    const url = '/admin/contacts/c-ada/export';
    expect((await app.inject({ url })).statusCode).toBe(401);
    expect((await app.inject({ url, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const off = await closed.inject({ url, headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(off.statusCode).toBe(404);
    expect(off.json<{ message: string }>().message).toContain('CONSENTFLOW_OPERATOR_TOKEN');
  });

  it("a campaign's suppression of the contact is among its outcomes, and nobody else's", async () => {
    // Ada unsubscribed her newsletter email: a newsletter campaign suppresses her, and Bob, on the same page.
    await upsertContact(db.pool, {
      id: 'c-bob',
      email: 'bob@example.com',
      status: 'subscribed',
      subscriptions: [{ resource: 'newsletter', channel: 'email', status: 'unsubscribed' }],
    });
    const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
    const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
    const page = await enqueue({
      campaignId: 'campaign-news',
      segment: { id: 'everyone', where: { status: ['subscribed', 'unsubscribed'] } },
      message: { channel: 'email', type: 'campaign', resource: 'newsletter', template: 'campaign-email' },
      range: { index: 0, after: '' },
      after: '',
      pageSize: 10,
      at: '2026-06-02T10:00:00Z',
    });
    expect(page.counts).toMatchObject({ decided: 2, suppressed: 2 });
    const r = await app.inject({
      url: '/admin/contacts/c-ada/export',
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    const outcomes = r.json<{ outcomes: Record<string, unknown>[] }>().outcomes;
    expect(outcomes).toEqual([
      expect.objectContaining({
        message_key: 'campaign-news/c-ada/campaign-email',
        contact_id: 'c-ada',
        outcome: 'suppressed',
        reasons: [expect.objectContaining({ rule: expect.stringMatching(/^(matrix|gate):/) as string })],
      }),
    ]);
  });

  it('consentflow contacts export prints the same JSON; an unknown contact is one line, exit 1', () => {
    const cli = (key: string) =>
      spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'contacts', 'export', key],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          timeout: 90_000,
          env: { ...process.env, DATABASE_URL: db.url },
        },
      );
    const ok = cli('c-ada');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const e = JSON.parse(ok.stdout) as Export;
    expect(proofOf(e)?.source).toMatchObject({ via: 'one-click', userAgent: 'Gmail' });
    const missing = cli('nobody@example.com');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('nobody@example.com');
  }, 200_000);
});
