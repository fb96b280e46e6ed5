// Two imports at once whose files share new addresses: both race to create the same contacts. The loser of
// each race must retry and update the winner's contact (docs/consent-model.md, "Concurrency"), in about the
// time one import takes, and never reject a row with a raw driver error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { importContacts } from '../../client/contacts';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-concurrent-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function csv(name: string, rows: string[]): string {
  const p = path.join(dir, name);
  writeFileSync(p, `email,phone,first_name,resource\n${rows.join('\n')}\n`);
  return p;
}

const phone = (i: number) => `+4477009${String(i).padStart(5, '0')}`;

describe('two imports at once with overlapping new contacts', () => {
  test('both finish in normal time; every shared contact exists once with both subscriptions', async () => {
    const N = 3000;
    // A: contacts 0..N-1 on resource "a"; B: contacts N/2..N+N/2-1 on "b", in reverse order so the two
    // imports meet from both ends (the order that deadlocks naive writers).
    const a = csv(
      'a.csv',
      Array.from({ length: N }, (_, i) => `c${i}@example.com,${phone(i)},A${i},a`),
    );
    const bRows = Array.from({ length: N }, (_, k) => {
      const i = N / 2 + k;
      return `c${i}@example.com,${phone(i)},B${i},b`;
    }).reverse();
    const b = csv('b.csv', bRows);

    // Time one import alone (on a resource of its own, different contacts) as the yardstick.
    const alone = csv(
      'alone.csv',
      Array.from({ length: N }, (_, i) => `solo${i}@example.com,${phone(50000 + i)},S,solo`),
    );
    const t0 = Date.now();
    await importContacts(db.pool, alone, { batchSize: 500 });
    const single = Date.now() - t0;

    const rejections: string[] = [];
    const run = (f: string) =>
      importContacts(db.pool, f, {
        batchSize: 500,
        onRejection: (r) => rejections.push(`${f}:${r.line}: ${r.field}: ${r.reason}`),
      });
    const t1 = Date.now();
    const [sa, sb] = await Promise.all([run(a), run(b)]);
    const both = Date.now() - t1;

    expect(rejections).toEqual([]);
    expect(sa.rejected + sb.rejected).toBe(0);
    // 1.5 N distinct contacts between them; each shared one is inserted by one import and updated by the other.
    expect(sa.inserted + sb.inserted).toBe(N * 1.5);
    expect(sa.inserted + sa.updated).toBe(N);
    expect(sb.inserted + sb.updated).toBe(N);
    // Normal time: about two imports' worth of work, not minutes of one-row-at-a-time retries.
    expect(both).toBeLessThan(Math.max(4 * single, 10_000));

    const count = async (sql: string) =>
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n;
    expect(await count(`contacts WHERE email LIKE 'c%@example.com'`)).toBe(N * 1.5);
    // Shared contacts: one contact each, with the email subscription of both resources and both phones'.
    const { rows } = await db.pool.query<{ email: string; resources: string }>(
      `SELECT c.email, string_agg(DISTINCT s.resource || ':' || s.channel, ',' ORDER BY s.resource || ':' || s.channel) AS resources
       FROM contacts c JOIN subscriptions s ON s.contact_id = c.id
       WHERE c.email LIKE 'c%@example.com' GROUP BY c.email`,
    );
    const byEmail = new Map(rows.map((r) => [r.email, r.resources]));
    for (let i = 0; i < N * 1.5; i++) {
      const expected = i < N / 2 ? 'a:email,a:sms' : i >= N ? 'b:email,b:sms' : 'a:email,a:sms,b:email,b:sms';
      expect(byEmail.get(`c${i}@example.com`), `c${i}`).toBe(expected);
    }
    // The ledger of a shared contact starts with exactly one "created" row.
    expect(
      await count(`consent_ledger l JOIN contacts c ON c.id = l.contact_id
                   WHERE c.email LIKE 'c%@example.com' AND l.kind = 'created'`),
    ).toBe(N * 1.5);
  });
});
