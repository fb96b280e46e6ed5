// decideBatch: the workers' decision for a batch of contacts, in a fixed number of queries whatever the batch
// size, in the order asked, with the same fail-closed answers as decideStep.
import { afterAll, beforeAll, expect, test } from 'vitest';
import path from 'node:path';
import { REPO_ROOT } from '../../client/config';
import { decideBatch } from '../../campaigns/decide-batch';
import type { Pool } from '../../db/pool';
import { loadRuleSet, type MessageSpec } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { insertContacts, insertSubscription } from './support';

let db: TestDatabase;
const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
const AT = new Date('2026-05-01T13:00:00Z');
const SMS: MessageSpec = { channel: 'sms', type: 'campaign', resource: 'shop' };
const ids = Array.from({ length: 40 }, (_, i) => `db-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  db = await createTestDatabase();
  await insertContacts(
    db.pool,
    ids.map((id) => ({ id, country: 'GB', timezone: 'Europe/London' })),
  );
  for (const [i, id] of ids.entries())
    await insertSubscription(db.pool, {
      contact: id,
      channel: 'sms',
      status: 'subscribed',
      address: `+4477009${String(i).padStart(5, '0')}`,
    });
  for (let i = 0; i < 3; i++)
    await db.pool.query(
      `INSERT INTO outbox (idempotency_key, created_at, workflow_id, step, contact_id, channel, message_type, address, state)
       VALUES ($1, $2, 'wf', 's', 'db-01', 'sms', 'campaign', '+447700900001', 'pending')`,
      [`db-01-${i}`, new Date(AT.getTime() - 3_600_000)],
    );
});
afterAll(async () => {
  await db.drop();
});

/** The pool, counting the queries sent through it. */
function counting(pool: Pool): { pool: Pool; count(): number } {
  let n = 0;
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { pool: proxy, count: () => n };
}

test('a batch costs the same few queries for 2 contacts or 40', async () => {
  const small = counting(db.pool);
  await decideBatch(small.pool, ruleSet, ids.slice(0, 2), SMS, AT);
  const large = counting(db.pool);
  await decideBatch(large.pool, ruleSet, ids, SMS, AT);
  expect(large.count()).toBe(small.count());
  expect(large.count()).toBeLessThanOrEqual(4);
});

test('answers in the order asked; caps count the outbox; an unknown contact is suppressed', async () => {
  const out = await decideBatch(db.pool, ruleSet, ['db-03', 'nobody', 'db-01', 'db-00'], SMS, AT);
  expect(out.map((d) => [d.contactId, d.verdict, d.decidedBy])).toEqual([
    ['db-03', 'send', expect.stringMatching(/^matrix:/)],
    ['nobody', 'suppress', 'contact-not-found'],
    ['db-01', 'suppress', 'cap:marketing-sms'],
    ['db-00', 'send', expect.stringMatching(/^matrix:/)],
  ]);
  // A contact's own message (a batch decided again) does not count against its cap.
  const again = await decideBatch(db.pool, ruleSet, ['db-01'], SMS, AT, {
    exceptKey: (id) => (id === 'db-01' ? 'db-01-0' : undefined),
  });
  expect(again[0]!.verdict).toBe('send');
});

test('quiet hours defer with the opening instant', async () => {
  const night = new Date('2026-05-01T23:30:00Z'); // 00:30 in London
  const [d] = await decideBatch(db.pool, ruleSet, ['db-05'], SMS, night);
  expect(d).toMatchObject({ verdict: 'defer', notBefore: '2026-05-02T07:00:00.000Z' });
  expect(d!.decidedBy).toMatch(/^quiet-hours/);
});
