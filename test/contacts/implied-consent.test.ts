// CASL implied consent in the contact store (migration 0017): the API, import columns, the profile the rules
// read, `contacts show` and the export; bad values named by line and field; the send step suppressing a
// stored Canadian whose purchase lapsed.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ContactFieldError, importContacts, loadProfiles, upsertContact } from '../../client/contacts';
import { exportContact } from '../../db/contacts/export';
import { createActivities, type DecideStepInput, type DecideStepResult } from '../../activities';
import type { Transports } from '../../activities/transports';
import { createRuleSource } from '../../rules';
import { REPO_ROOT } from '../../client/config';

let db: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'cf-implied-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function consentflow(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: db.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function fieldError(p: Promise<unknown>): Promise<ContactFieldError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContactFieldError);
  return err as ContactFieldError;
}

describe('contact.impliedConsent in the store', () => {
  test('the API stores basis and date; the profile, show and export carry them', async () => {
    const id = await upsertContact(db.pool, {
      id: 'ca-buyer',
      email: 'buyer@example.ca',
      country: 'CA',
      implied_consent_basis: 'Purchase',
      implied_consent_at: '2025-04-30',
    });
    expect((await loadProfiles(db.pool, [id])).get(id)!.impliedConsent).toEqual({
      basis: 'purchase',
      at: '2025-04-30',
    });
    const exported = await exportContact(db.pool, id);
    expect(exported!.contact).toMatchObject({
      implied_consent_basis: 'purchase',
      implied_consent_at: '2025-04-30',
    });
    // a later pair replaces it; a write without one leaves it
    await upsertContact(db.pool, {
      id,
      implied_consent_basis: 'inquiry',
      implied_consent_at: '2026-01-02',
    });
    await upsertContact(db.pool, { id, first_name: 'Ann' });
    expect((await loadProfiles(db.pool, [id])).get(id)!.impliedConsent).toEqual({
      basis: 'inquiry',
      at: '2026-01-02',
    });
    const shown = consentflow(['contacts', 'show', id, '--json']);
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as { impliedConsent: unknown }).impliedConsent).toEqual({
      basis: 'inquiry',
      at: '2026-01-02',
    });
    const human = consentflow(['contacts', 'show', id]);
    expect(human.stdout).toMatch(/implied_consent_basis inquiry/);
    expect(human.stdout).toMatch(/implied_consent_at 2026-01-02/);
  });

  test('a contact without one has none in the profile', async () => {
    const id = await upsertContact(db.pool, { email: 'never@example.ca', country: 'CA' });
    expect((await loadProfiles(db.pool, [id])).get(id)!.impliedConsent).toBeUndefined();
  });

  test.each([
    [
      { implied_consent_basis: 'visit', implied_consent_at: '2025-01-01' },
      'implied_consent_basis',
      /"purchase" or "inquiry"/,
    ],
    [
      { implied_consent_basis: 'purchase', implied_consent_at: '2026-02-30' },
      'implied_consent_at',
      /not a date in YYYY-MM-DD form/,
    ],
    [
      { implied_consent_basis: 'purchase', implied_consent_at: '15/03/2026' },
      'implied_consent_at',
      /not a date/,
    ],
    [{ implied_consent_basis: 'purchase' }, 'implied_consent_at', /needs the date/],
    [{ implied_consent_at: '2025-01-01' }, 'implied_consent_basis', /needs its basis/],
  ])('%j is refused, naming the field and the fix', async (fields, field, reason) => {
    const err = await fieldError(upsertContact(db.pool, { email: 'bad@example.ca', ...fields }));
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(reason);
  });

  test('the table refuses a basis without its date, or an unknown basis', async () => {
    for (const sql of [
      "INSERT INTO contacts (id, implied_consent_basis) VALUES ('raw-1', 'purchase')",
      "INSERT INTO contacts (id, implied_consent_at) VALUES ('raw-2', '2025-01-01')",
      "INSERT INTO contacts (id, implied_consent_basis, implied_consent_at) VALUES ('raw-3', 'visit', '2025-01-01')",
    ])
      await expect(db.pool.query(sql)).rejects.toThrow(/check constraint/);
  });

  test('import columns: good rows land, each bad value is named by line and field', async () => {
    const file = path.join(dir, 'casl.csv');
    writeFileSync(
      file,
      [
        'id,email,country,implied_consent_basis,implied_consent_at',
        'imp-1,imp1@example.ca,CA,purchase,2025-06-01',
        'imp-2,imp2@example.ca,CA,inquiry,2026-13-01',
        'imp-3,imp3@example.ca,CA,gift,2025-06-01',
        'imp-4,imp4@example.ca,CA,purchase,',
        'imp-5,imp5@example.ca,CA,,',
      ].join('\n') + '\n',
    );
    const s = await importContacts(db.pool, file);
    expect(s).toMatchObject({ inserted: 2, rejected: 3 });
    const profiles = await loadProfiles(db.pool, ['imp-1', 'imp-5']);
    expect(profiles.get('imp-1')!.impliedConsent).toEqual({ basis: 'purchase', at: '2025-06-01' });
    expect(profiles.get('imp-5')!.impliedConsent).toBeUndefined();
    const r = consentflow(['contacts', 'import', file]);
    expect(r.code).toBe(1); // rows rejected, as for every other field
    expect(r.stderr).toMatch(
      /casl\.csv:3: implied_consent_at: "2026-13-01" is not a date in YYYY-MM-DD form/,
    );
    expect(r.stderr).toMatch(/casl\.csv:4: implied_consent_basis: "gift" is not a basis of implied consent/);
    expect(r.stderr).toMatch(/casl\.csv:5: implied_consent_at: is missing/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  test('contacts add refuses a bad value with exit 2 and says how to fix it', () => {
    const r = consentflow([
      'contacts',
      'add',
      '--email',
      'add@example.ca',
      '--implied-consent-basis',
      'visit',
      '--implied-consent-at',
      '2025-01-01',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/implied_consent_basis.*"purchase" or "inquiry"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('the send step suppresses marketing to a stored Canadian whose purchase lapsed, and sends while valid', async () => {
    const rules = createRuleSource(path.join(REPO_ROOT, 'rules'));
    try {
      const acts = createActivities({
        pool: db.pool,
        rules,
        transports: {} as Transports, // decideStep never delivers
        log: { info: () => undefined, warn: () => undefined },
      });
      const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
      const step = async (id: string, at: string) => {
        const input: DecideStepInput = {
          workflowId: `wf-${id}`,
          runChain: 'r',
          runId: 'r',
          step: 's',
          messageKey: `wf-${id}/r/s`,
          contactId: id,
          message: { channel: 'email', type: 'abandoned_cart', template: 'cart-email' },
          at,
        };
        return env.run<[DecideStepInput], DecideStepResult, typeof acts.decideStep>(acts.decideStep, input);
      };
      for (const id of ['ca-lapsed', 'ca-valid'])
        await upsertContact(db.pool, {
          id,
          email: `${id}@example.ca`,
          country: 'CA',
          timezone: 'America/Toronto',
          email_status: 'non_subscribed',
          implied_consent_basis: 'purchase',
          implied_consent_at: id === 'ca-lapsed' ? '2024-06-15' : '2025-06-15',
        });
      const lapsed = await step('ca-lapsed', '2026-06-16T16:00:00Z');
      expect(lapsed.verdict).toBe('suppress');
      expect(lapsed.reasons[0]!.rule).toBe('casl:implied-consent');
      expect(lapsed.reasons[0]!.message).toContain('the purchase on 2024-06-15');
      expect((await step('ca-valid', '2026-06-16T16:00:00Z')).verdict).toBe('send');
    } finally {
      rules.close();
    }
  });
});
