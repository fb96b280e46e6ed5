// Without CONSENTFLOW_SECRET the double opt-in token is signed with a key generated once into
// <home>/.consentflow/doi-secret (the mechanism link keys use), not with a constant anyone can read in the
// source: a token forged with the old constant is refused; the generated key is kept and reused.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfirmationTokenError, confirmSubscription, signUp } from '../../client/contacts';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let home: string;
const saved = { secret: process.env.CONSENTFLOW_SECRET, home: process.env.CONSENTFLOW_HOME };

beforeAll(async () => {
  db = await createTestDatabase();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-doi-key-'));
  delete process.env.CONSENTFLOW_SECRET;
  process.env.CONSENTFLOW_HOME = home;
});
afterAll(async () => {
  if (saved.secret === undefined) delete process.env.CONSENTFLOW_SECRET;
  else process.env.CONSENTFLOW_SECRET = saved.secret;
  if (saved.home === undefined) delete process.env.CONSENTFLOW_HOME;
  else process.env.CONSENTFLOW_HOME = saved.home;
  fs.rmSync(home, { recursive: true, force: true });
  await db?.drop();
});

const problem = (p: Promise<unknown>) =>
  p.then(
    () => 'confirmed',
    (e: unknown) => (e instanceof ConfirmationTokenError ? e.problem : String(e)),
  );

test('a token signed with the old constant development secret is refused', async () => {
  const { confirmationToken } = await signUp(db.pool, { email: 'forged-doi@example.com' });
  const [payload] = confirmationToken.split('.') as [string];
  const forged = `${payload}.${createHmac('sha256', 'consentflow-dev-secret-change-me').update(payload).digest('base64url')}`;
  expect(await problem(confirmSubscription(db.pool, forged))).toBe('bad_signature');
});

test('the generated key is kept in <home>/.consentflow/doi-secret (owner-only) and keeps verifying', async () => {
  const { confirmationToken } = await signUp(db.pool, { email: 'kept-doi@example.com' });
  const file = path.join(home, '.consentflow', 'doi-secret');
  expect(fs.readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  expect(fs.statSync(file).mode & 0o077).toBe(0);
  expect(await problem(confirmSubscription(db.pool, confirmationToken))).toBe('confirmed');
});
