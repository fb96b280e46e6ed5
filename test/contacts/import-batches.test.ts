// The importer writes batches on two connections while it reads the file. Rows about one contact must
// still land in file order, the later row winning, however the batches interleave.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PoolClient } from '../../db/pool';
import { BatchPipeline } from '../../db/contacts/import/batches';
import { blankStagedContact } from '../../db/contacts/stage-input';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { importContacts, loadProfiles, resolveContactKey } from '../../client/contacts';

const contact = (n: number, email: string) => blankStagedContact({ n, line: n + 2, email });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BatchPipeline', () => {
  test('writes two batches at once, but a batch about a contact still being written waits for it', async () => {
    const lanes = [{ lane: 0 }, { lane: 1 }] as unknown as PoolClient[];
    const log: { emails: string[]; start: number; end: number }[] = [];
    let running = 0;
    let most = 0;
    const pipeline = new BatchPipeline(lanes, 2, async (_client, rows) => {
      const entry = { emails: rows.map((r) => r.email!), start: performance.now(), end: 0 };
      running++;
      most = Math.max(most, running);
      await sleep(40);
      running--;
      entry.end = performance.now();
      log.push(entry);
    });
    // [a b] and [c d] go to the two lanes; [c e] would go to the lane that wrote [a b], so only the barrier
    // keeps it from overtaking [c d].
    const emails = ['a', 'b', 'c', 'd', 'c', 'e', 'f', 'g'].map((x) => `${x}@example.com`);
    for (const [i, email] of emails.entries()) await pipeline.add(contact(i, email));
    await pipeline.finish();

    expect(most).toBe(2);
    const first = log.find((b) => b.emails.join() === 'c@example.com,d@example.com')!;
    const again = log.find((b) => b.emails.join() === 'c@example.com,e@example.com')!;
    expect(again.start).toBeGreaterThanOrEqual(first.end);
  });

  test('a failed write stops the import with its error', async () => {
    const lanes = [{}, {}] as unknown as PoolClient[];
    const pipeline = new BatchPipeline(lanes, 1, async (_client, rows) => {
      await sleep(5);
      if (rows[0]!.email === 'c@example.com') throw new Error('disk full');
    });
    await expect(
      (async () => {
        for (const [i, x] of ['a', 'b', 'c', 'd', 'e', 'f'].entries())
          await pipeline.add(contact(i, `${x}@example.com`));
        await pipeline.finish();
      })(),
    ).rejects.toThrow('disk full');
  });
});

describe('importContacts on two connections', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  test('each contact ends as its last row says, and its ledger tells the changes in file order', async () => {
    // 12 contacts, each on three rows far apart, in batches of 5 rows written two at a time.
    const rows = ['email,first_name,resource,priority'];
    for (const round of [1, 2, 3])
      for (let c = 0; c < 12; c++) rows.push(`p${c}@example.com,Round${round},shop,${round}`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cf-lanes-')), 'rounds.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);

    const s = await importContacts(db.pool, file, { batchSize: 5, connections: 2 });
    expect(s).toMatchObject({ read: 36, inserted: 12, updated: 24, rejected: 0 });

    for (let c = 0; c < 12; c++) {
      const id = (await resolveContactKey(db.pool, `p${c}@example.com`))!;
      const profile = (await loadProfiles(db.pool, [id])).get(id)!;
      expect(profile.subscriptions.map((x) => x.priority)).toEqual([3]);
      const { rows: ledger } = await db.pool.query<{ priority: number; line: number }>(
        `SELECT (after->>'priority')::int AS priority, (source->>'line')::int AS line
         FROM consent_ledger WHERE contact_id = $1 AND kind = 'subscription' ORDER BY id`,
        [id],
      );
      expect(ledger).toEqual([
        { priority: 1, line: c + 2 },
        { priority: 2, line: c + 14 },
        { priority: 3, line: c + 26 },
      ]);
    }
    const { rows: first } = await db.pool.query<{ first_name: string }>(
      `SELECT DISTINCT first_name FROM contacts WHERE email LIKE 'p%@example.com'`,
    );
    expect(first).toEqual([{ first_name: 'Round3' }]);
  });
});
