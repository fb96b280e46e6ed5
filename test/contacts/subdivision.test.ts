// contact.subdivision (ISO 3166-2) in the contact store: through the API and an import column into the profile
// the rules read, checked on the way in; and the send step holding a Florida text at 20:30 by the state's hours.
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ContactFieldError, importContacts, loadProfiles, upsertContact } from '../../client/contacts';
import { createActivities, type DecideStepInput, type DecideStepResult } from '../../activities';
import type { Transports } from '../../activities/transports';
import { createRuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function fieldError(p: Promise<unknown>): Promise<ContactFieldError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContactFieldError);
  return err as ContactFieldError;
}

describe('contact.subdivision', () => {
  test('the API stores it in capitals and the profile carries it', async () => {
    const id = await upsertContact(db.pool, { email: 'fl@example.com', country: 'US', subdivision: 'us-fl' });
    expect((await loadProfiles(db.pool, [id])).get(id)).toMatchObject({
      country: 'US',
      subdivision: 'US-FL',
    });
  });

  test('a contact without one has none in the profile', async () => {
    const id = await upsertContact(db.pool, { email: 'none@example.com', country: 'US' });
    expect((await loadProfiles(db.pool, [id])).get(id)!.subdivision).toBeUndefined();
  });

  test.each([
    ['Florida', /not an ISO 3166-2 subdivision code .*e\.g\. US-FL/],
    ['XX-FL', /not an ISO 3166-2 subdivision code/],
    ['CA-ON', /not a subdivision of US; write one that starts with "US-"/],
  ])('%s is refused with the fix', async (value, reason) => {
    const err = await fieldError(
      upsertContact(db.pool, { email: 'x@example.com', country: 'US', subdivision: value }),
    );
    expect(err.field).toBe('subdivision');
    expect(err.reason).toMatch(reason);
  });

  test('an import reads a subdivision column', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-sub-'));
    const file = path.join(dir, 'states.csv');
    writeFileSync(
      file,
      'id,email,country,subdivision\ntx-1,tx@example.com,US,US-TX\nbad-1,bad@example.com,US,Texas\n',
    );
    const s = await importContacts(db.pool, file);
    expect(s).toMatchObject({ inserted: 1, rejected: 1 });
    expect((await loadProfiles(db.pool, ['tx-1'])).get('tx-1')!.subdivision).toBe('US-TX');
  });

  test("the send step holds a stored Florida contact's marketing text at 20:30 until 08:00", async () => {
    const id = await upsertContact(db.pool, {
      id: 'c-florida',
      email: 'sun@example.com',
      phone: '+12125550199', // a New York number: the profile's state wins
      country: 'US',
      subdivision: 'US-FL',
      timezone: 'America/New_York',
      status: 'subscribed',
      sms_status: 'subscribed',
    });
    const rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
    try {
      const acts = createActivities({
        pool: db.pool,
        rules,
        transports: {} as Transports, // a defer never reaches a transport
        log: { info: () => undefined, warn: () => undefined },
      });
      const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
      const at = '2026-06-16T00:30:00.000Z'; // 20:30 EDT
      const input: DecideStepInput = {
        workflowId: 'wf-fl',
        runChain: 'r',
        runId: 'r',
        step: 's',
        messageKey: 'wf-fl/r/s',
        contactId: id,
        message: { channel: 'sms', type: 'welcome', template: 'welcome-sms' },
        at,
      };
      const r = await env.run<[DecideStepInput], DecideStepResult, typeof acts.decideStep>(
        acts.decideStep,
        input,
      );
      expect(r).toMatchObject({ verdict: 'defer', notBefore: '2026-06-16T12:00:00.000Z' });
      expect(r.reasons[0]!.rule).toBe('quiet-hours:us:US-FL');
    } finally {
      rules.close();
    }
  });
});
