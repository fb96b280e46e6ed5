// enqueueCampaignPage, the activity alone against the real store: a page decides every contact once, writes an
// outbox row per send and records an outcome per suppressed contact, and the same page written again (a retried
// activity whose commit was not lost) adds nothing and moves the cursor the same way.
import { afterAll, beforeAll, expect, test } from 'vitest';
import path from 'node:path';
import { REPO_ROOT } from '../../client/config';
import { createEnqueueCampaignPage, type EnqueuePageInput } from '../../activities/campaign-enqueue';
import { loadRuleSet } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedContact } from '../support/contacts';
import { upsertContact } from '../../db/contacts';

let db: TestDatabase;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
const ids: string[] = [];
const unsubscribed: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  for (let i = 0; i < 12; i++) {
    const id = await seedContact(db.pool, {
      key: `enq${String(i).padStart(2, '0')}`,
      country: 'DE',
      timezone: 'Europe/Berlin',
      // Every third contact unsubscribed its email: suppressed, with the reason recorded.
      emailStatus: i % 3 === 0 ? 'unsubscribed' : 'subscribed',
    });
    ids.push(id);
    if (i % 3 === 0) unsubscribed.push(id);
  }
  ids.sort();
  unsubscribed.sort();
});
afterAll(async () => {
  await db.drop();
});

const input = (after: string): EnqueuePageInput => ({
  campaignId: 'campaign-enqueue-test',
  segment: { id: 'germany', where: { country: 'DE' } },
  message: { channel: 'email', type: 'campaign', template: 'campaign-email' },
  range: { index: 0, after: '' },
  after,
  pageSize: 5,
  at: '2026-06-02T10:00:00Z',
});

/** A page of a campaign whose segment holds only contacts with their email unsubscribed: all suppressed. */
const suppressedOnly = (campaignId: string): EnqueuePageInput => ({
  ...input(''),
  campaignId,
  segment: { id: 'unsub', where: { subscription: { channel: 'email', status: 'unsubscribed' } } },
  pageSize: 50,
});

/** A contact in the segment (Germany) with its email unsubscribed: suppressed. */
async function addUnsubscribed(id: string): Promise<void> {
  await upsertContact(
    db.pool,
    {
      id,
      email: `${id}@example.test`,
      country: 'DE',
      timezone: 'Europe/Berlin',
      status: 'subscribed',
      email_status: 'unsubscribed',
    },
    'import',
  );
}

/** Suppressed outcomes per contact of a campaign: more than one is a copy. */
async function outcomesPer(campaignId: string): Promise<{ contact_id: string; n: number }[]> {
  const { rows } = await db.pool.query<{ contact_id: string; n: number }>(
    `SELECT contact_id, count(*)::int AS n FROM campaign_suppressed_outcomes
      WHERE workflow_id = $1 GROUP BY contact_id ORDER BY contact_id`,
    [campaignId],
  );
  return rows;
}

/** The campaign's outbox rows and its suppressed contacts' outcomes, one entry per row (copies would show). */
async function stored(): Promise<{ outbox: string[]; suppressed: { contact: string; rule: string }[] }> {
  const { rows: outbox } = await db.pool.query<{ contact_id: string }>(
    `SELECT contact_id FROM outbox WHERE campaign_id = 'campaign-enqueue-test' ORDER BY contact_id`,
  );
  const { rows: outcomes } = await db.pool.query<{ contact_id: string; rule: string }>(
    `SELECT contact_id, reasons -> 0 ->> 'rule' AS rule FROM campaign_suppressed_outcomes
      WHERE workflow_id = 'campaign-enqueue-test' AND outcome = 'suppressed' ORDER BY contact_id`,
  );
  return {
    outbox: outbox.map((r) => r.contact_id),
    suppressed: outcomes.map((r) => ({ contact: r.contact_id, rule: r.rule })),
  };
}

test('pages decide every contact once; a page written again adds no row and counts its rows once', async () => {
  const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
  const first = await enqueue(input(''));
  expect(first.cursor).toBe(ids[4]);
  const inFirst = ids.slice(0, 5).filter((id) => unsubscribed.includes(id)).length;
  expect(first.counts).toMatchObject({ decided: 5, enqueued: 5 - inFirst, suppressed: inFirst });
  // A retry after the first attempt's commit (its worker died before Temporal heard of it): the range adds
  // only this attempt's result, so it counts the page's rows, the ones written before included.
  const again = await enqueue(input(''));
  expect(again.cursor).toBe(ids[4]);
  expect(again.counts).toMatchObject({ decided: 5, enqueued: 5 - inFirst, suppressed: inFirst });

  // A longer page over the same start (a retry that found more contacts in the segment) writes only the new
  // rows and counts them all.
  const wider = await enqueue({ ...input(''), pageSize: 8 });
  const inWider = ids.slice(0, 8).filter((id) => unsubscribed.includes(id)).length;
  expect(wider.counts).toMatchObject({ decided: 8, enqueued: 8 - inWider });

  const second = await enqueue(input(first.cursor!));
  const last = await enqueue(input(second.cursor!));
  expect(last.cursor).toBeUndefined();
  expect(last.counts.decided).toBe(2);

  // Each suppressed contact has one outcome, whichever of the overlapping pages decided it first: the wider
  // retry recorded the one it found new, and the next page (written over rows the retry had written) only
  // the one after it.
  const { outbox, suppressed } = await stored();
  expect(outbox).toEqual(ids.filter((id) => !unsubscribed.includes(id)));
  expect(suppressed.map((s) => s.contact)).toEqual(unsubscribed);
  for (const { rule } of suppressed) expect(rule).toMatch(/^(matrix|gate):/);
});

test('a retried page that finds a new suppressed contact records it, and no one twice', async () => {
  // The first page was written; before its retry, a contact joined the segment inside the page's range (its
  // id sorts right after the first one), with its email unsubscribed: the retry's page holds it.
  const joined = `${ids[0]}-joined`;
  await addUnsubscribed(joined);
  const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
  const retry = await enqueue(input(''));
  expect(retry.counts).toMatchObject({ decided: 5 });
  const { suppressed } = await stored();
  expect(suppressed.map((s) => s.contact)).toEqual([...unsubscribed, joined].sort());
});

test('a page of suppressed contacts only, retried after its first contact left the segment, records no one twice', async () => {
  // The segment: contacts whose email is unsubscribed, so every contact of a page is suppressed and the page
  // writes no outbox row a retry could conflict on.
  const unsubscribedOnly = suppressedOnly('campaign-enqueue-unsub');
  const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
  const first = await enqueue(unsubscribedOnly);
  expect(first.counts).toMatchObject({ enqueued: 0 });
  const members = first.counts.suppressed!;
  // Before the retry, the page's first contact resubscribes: the retry's page starts at the second one.
  const [leaving] = unsubscribed;
  await db.pool.query(
    `UPDATE subscriptions SET status = 'subscribed' WHERE contact_id = $1 AND channel = 'email'`,
    [leaving],
  );
  try {
    const retry = await enqueue(unsubscribedOnly);
    expect(retry.counts.suppressed).toBe(members - 1);
  } finally {
    await db.pool.query(
      `UPDATE subscriptions SET status = 'unsubscribed' WHERE contact_id = $1 AND channel = 'email'`,
      [leaving],
    );
  }
  expect((await outcomesPer('campaign-enqueue-unsub')).filter((r) => r.n > 1)).toEqual([]);
});

test('two attempts at one page writing at once record each suppressed contact once', async () => {
  // A zombie attempt and its retry: the first one's record is held uncommitted (a slow insert) while the
  // second writes the same page, which meanwhile gained a suppressed contact sorting before all the others.
  const race = suppressedOnly('campaign-enqueue-race');
  await db.pool.query(`
    CREATE FUNCTION slow_race_record() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.campaign_id = 'campaign-enqueue-race' AND NOT EXISTS (
           SELECT 1 FROM campaign_suppressions WHERE campaign_id = 'campaign-enqueue-race') THEN
        PERFORM pg_sleep(1.5);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER slow_race_record BEFORE INSERT ON campaign_suppressions
      FOR EACH ROW EXECUTE FUNCTION slow_race_record();`);
  const first = `${unsubscribed[0]!.slice(0, -1)}`; // sorts before every seeded id
  try {
    const enqueue = createEnqueueCampaignPage({ pool: db.pool, rules: { current: () => ruleSet } });
    const zombie = enqueue(race);
    await new Promise((r) => setTimeout(r, 500));
    await addUnsubscribed(first);
    const retry = enqueue(race);
    await Promise.all([zombie, retry]);
  } finally {
    await db.pool.query(
      'DROP TRIGGER slow_race_record ON campaign_suppressions; DROP FUNCTION slow_race_record()',
    );
  }
  const rows = await outcomesPer('campaign-enqueue-race');
  expect(rows.filter((r) => r.n > 1)).toEqual([]);
  expect(rows.map((r) => r.contact_id)).toContain(first);
});
