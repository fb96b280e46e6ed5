// Double opt-in, blacklists, GDPR erase, notes and delivery feedback, as a user of the store sees them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  activityFeed,
  addNote,
  addToBlacklist,
  applyFeedback,
  ConfirmationTokenError,
  confirmSubscription,
  ContactNotFoundError,
  deleteNote,
  eraseContact,
  listNotes,
  loadProfiles,
  NotesLimitError,
  removeFromBlacklist,
  signUp,
  subscribe,
  upsertContact,
} from '../../client/contacts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const profile = async (id: string) => (await loadProfiles(db.pool, [id])).get(id);
const tokenProblem = (p: Promise<unknown>) =>
  p.then(
    () => 'confirmed',
    (e: unknown) => (e instanceof ConfirmationTokenError ? e.problem : String(e)),
  );

describe('opt-in', () => {
  test('an import or API write is opted in by default; a form sign-up starts unconfirmed', async () => {
    const imported = await upsertContact(db.pool, { email: 'soi@example.com', resource: 'news' }, 'import');
    expect((await profile(imported))?.subscriptions[0]?.status).toBe('subscribed');
    const { contactId } = await signUp(db.pool, { email: 'doi@example.com', resource: 'news' });
    const p = await profile(contactId);
    expect(p?.status).toBe('unconfirmed');
    expect(p?.subscriptions.map((s) => s.status)).toEqual(['unconfirmed']);
  });

  test('the confirmation token subscribes once; using it again is refused', async () => {
    const { contactId, confirmationToken } = await signUp(db.pool, {
      email: 'once@example.com',
      phone: '+447700900555',
      resource: 'news',
    });
    const r = await confirmSubscription(db.pool, confirmationToken);
    expect(r).toEqual({ contactId, changes: 3 });
    const p = await profile(contactId);
    expect(p?.status).toBe('subscribed');
    expect(p?.subscriptions.map((s) => s.status)).toEqual(['subscribed', 'subscribed']);
    expect(await tokenProblem(confirmSubscription(db.pool, confirmationToken))).toBe('used');
    const ledger = await activityFeed(db.pool, contactId, { origin: 'form', status: 'subscribed' });
    expect(ledger.length).toBe(3);
  });

  test('an expired token is refused and leaves the contact unconfirmed', async () => {
    const { contactId, confirmationToken } = await signUp(
      db.pool,
      { email: 'late@example.com' },
      { ttlMs: 60_000 },
    );
    expect(
      await tokenProblem(
        confirmSubscription(db.pool, confirmationToken, { now: new Date(Date.now() + 61_000) }),
      ),
    ).toBe('expired');
    expect((await profile(contactId))?.status).toBe('unconfirmed');
  });

  test('a forged or altered token is refused', async () => {
    const { confirmationToken } = await signUp(db.pool, { email: 'forge@example.com' });
    const [payload, sig] = confirmationToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { e: number };
    claims.e += 1e9;
    const altered = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    expect(await tokenProblem(confirmSubscription(db.pool, altered))).toBe('bad_signature');
    expect(await tokenProblem(confirmSubscription(db.pool, 'garbage'))).toBe('malformed');
  });

  test('signing up again does not downgrade a subscribed contact', async () => {
    const id = await upsertContact(db.pool, { email: 'loyal@example.com', resource: 'news' });
    await signUp(db.pool, { email: 'loyal@example.com', resource: 'news' });
    expect((await profile(id))?.status).toBe('subscribed');
    expect((await profile(id))?.subscriptions[0]?.status).toBe('subscribed');
  });
});

describe('blacklists', () => {
  test('a blacklisted address blocks its channel for every contact that has it, and only that channel', async () => {
    const a = await upsertContact(db.pool, { email: 'shared@example.com', phone: '+14155550111' });
    const b = await upsertContact(db.pool, { email: 'other@example.com' });
    await subscribe(db.pool, b, {
      resource: 'default',
      channel: 'email',
      address: 'shared@example.com',
      priority: 3,
    });
    const change = await addToBlacklist(db.pool, 'email', 'Shared@Example.com', { reason: 'abuse desk' });
    expect(change.contactIds.sort()).toEqual([a, b].sort());
    expect((await profile(a))?.blacklist).toEqual({ email: true, phone: false });
    expect((await profile(b))?.blacklist).toEqual({ email: true, phone: false });
    expect((await activityFeed(db.pool, b, { kind: 'blacklist' }))[0]).toMatchObject({
      after: { blacklisted: true },
      address: 'shared@example.com',
    });

    await addToBlacklist(db.pool, 'sms', '+14155550111');
    expect((await profile(a))?.blacklist).toEqual({ email: true, phone: true });
    await removeFromBlacklist(db.pool, 'email', 'shared@example.com');
    expect((await profile(a))?.blacklist).toEqual({ email: false, phone: true });
    expect((await profile(b))?.blacklist).toEqual({ email: false, phone: false });
  });

  test('a contact created after the address was listed is blocked too', async () => {
    await addToBlacklist(db.pool, 'email', 'early@example.com');
    const id = await upsertContact(db.pool, { email: 'early@example.com' });
    expect((await profile(id))?.blacklist?.email).toBe(true);
  });
});

describe('notes', () => {
  test('at most 5 notes of at most 500 characters; deleting frees a place', async () => {
    const id = await upsertContact(db.pool, { email: 'notes@example.com' });
    await expect(addNote(db.pool, id, 'x'.repeat(501))).rejects.toThrow(/maximum is 500/);
    for (let i = 0; i < 5; i++) await addNote(db.pool, id, `note ${i}`, 'eve');
    await expect(addNote(db.pool, id, 'sixth')).rejects.toBeInstanceOf(NotesLimitError);
    const notes = await listNotes(db.pool, id);
    expect(notes.map((n) => n.body)).toEqual(['note 0', 'note 1', 'note 2', 'note 3', 'note 4']);
    expect(await deleteNote(db.pool, id, notes[0]!.id)).toBe(true);
    await addNote(db.pool, id, 'x'.repeat(500));
    expect((await listNotes(db.pool, id)).length).toBe(5);
  });
});

describe('feedback', () => {
  test('hard bounce, complaint and unsubscribe mark the matching subscriptions, with ledger origin feedback', async () => {
    const id = await upsertContact(db.pool, { email: 'fb@example.com', resource: 'a' });
    await subscribe(db.pool, id, { resource: 'b', channel: 'email' });
    await subscribe(db.pool, id, {
      resource: 'a',
      channel: 'email',
      address: 'fb2@example.com',
      priority: 1,
    });
    const bounce = await applyFeedback(db.pool, {
      kind: 'hard_bounce',
      channel: 'email',
      address: 'FB@example.com',
      at: '2024-01-02T03:04:05Z',
      source: { provider: 'smtp', code: 550 },
    });
    expect(bounce).toEqual({ contactIds: [id], changes: 2 });
    expect((await profile(id))?.subscriptions.map((s) => `${s.resource}:${s.address}:${s.status}`)).toEqual([
      'a:fb@example.com:hard_bounced',
      'a:fb2@example.com:subscribed',
      'b:fb@example.com:hard_bounced',
    ]);
    const rows = await activityFeed(db.pool, id, { origin: 'feedback' });
    expect(rows[0]).toMatchObject({
      at: new Date('2024-01-02T03:04:05Z'),
      source: { provider: 'smtp', code: 550, event: 'hard_bounce' },
    });

    await applyFeedback(db.pool, { kind: 'complaint', channel: 'email', address: 'fb2@example.com' });
    expect((await profile(id))?.subscriptions[1]?.status).toBe('complainer');
    await applyFeedback(db.pool, { kind: 'unsubscribe', channel: 'email', address: 'fb@example.com' });
    expect((await profile(id))?.status).toBe('unsubscribed');
  });

  test('SMS keywords: STOP unsubscribes the phone, START resubscribes, HELP only replies', async () => {
    const id = await upsertContact(db.pool, {
      email: 'sms@example.com',
      phone: '+14155550177',
      resource: 'shop',
    });
    const stop = await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: '+14155550177',
      text: '  stop ',
    });
    expect(stop.changes).toBe(1);
    expect(stop.reply).toMatch(/unsubscribed/);
    expect((await profile(id))?.subscriptions.find((s) => s.channel === 'sms')?.status).toBe('unsubscribed');
    expect((await profile(id))?.subscriptions.find((s) => s.channel === 'email')?.status).toBe('subscribed');
    const chatter = await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: '+14155550177',
      text: 'please stop texting me',
    });
    expect(chatter).toEqual({ contactIds: [id], changes: 0 });
    const help = await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: '+14155550177',
      text: 'HELP',
    });
    expect(help.changes).toBe(0);
    expect(help.reply).toMatch(/STOP/);
    for (const word of ['STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit']) {
      await applyFeedback(db.pool, {
        kind: 'inbound_sms',
        channel: 'sms',
        address: '+14155550177',
        text: 'start',
      });
      expect(
        (
          await applyFeedback(db.pool, {
            kind: 'inbound_sms',
            channel: 'sms',
            address: '+14155550177',
            text: word,
          })
        ).changes,
      ).toBe(1);
    }
    await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: '+14155550177',
      text: 'UNSTOP',
    });
    expect((await profile(id))?.subscriptions.find((s) => s.channel === 'sms')?.status).toBe('subscribed');
  });
});

describe('GDPR erase', () => {
  test('leaves the email and phone nowhere in the database, keeps a tombstone, and blocks silent re-subscription', async () => {
    const email = 'erase.me@example.com';
    const phone = '+447700900999';
    const id = await upsertContact(
      db.pool,
      { email, phone, first_name: 'Erin', resource: 'shop' },
      { origin: 'import', source: { file: 'x.csv' } },
    );
    await subscribe(db.pool, id, { resource: 'shop', channel: 'email', address: 'erase.alt@example.com' });
    await addNote(db.pool, id, `called from ${phone}`);
    await addToBlacklist(db.pool, 'sms', phone);
    await applyFeedback(db.pool, {
      kind: 'hard_bounce',
      channel: 'email',
      address: email,
      source: { detail: `550 ${email} unknown` },
    });
    await signUp(db.pool, { email });
    await db.pool.query(
      `INSERT INTO outbox (idempotency_key, workflow_id, step, contact_id, channel, message_type, address, error)
       VALUES ('k1', 'w1', 's1', $1, 'email', 'welcome', $2, $3)`,
      [id, email, `550 <${email}> rejected`],
    );

    const r = await eraseContact(db.pool, email);
    expect(r).toMatchObject({ contactId: id, addresses: 3 });
    await expect(eraseContact(db.pool, id)).rejects.toBeInstanceOf(ContactNotFoundError);

    // Every text and JSON column of every table.
    const { rows: cols } = await db.pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`,
    );
    const found: string[] = [];
    for (const c of cols) {
      const { rows } = await db.pool.query(
        `SELECT 1 FROM "${c.table_name}" WHERE "${c.column_name}"::text ~* $1 LIMIT 1`,
        ['erase\\.me@example\\.com|erase\\.alt@example\\.com|447700900999|Erin'],
      );
      if (rows.length) found.push(`${c.table_name}.${c.column_name}`);
    }
    expect(found).toEqual([]);
    expect(
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM erased_addresses')).rows[0]!.n,
    ).toBe(3);
    expect(
      (
        await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM blacklist WHERE channel = 'sms' AND address IS NULL`,
        )
      ).rows[0]!.n,
    ).toBe(1);

    // Imported again: the contact comes back, but not subscribed until the person opts in again.
    const back = await upsertContact(db.pool, { email, phone, resource: 'shop' }, 'import');
    const p = await profile(back);
    expect(p?.subscriptions.map((s) => s.status)).toEqual(['non_subscribed', 'non_subscribed']);
    expect(p?.blacklist?.phone).toBe(true); // the blacklist outlived the erase
    const { confirmationToken } = await signUp(db.pool, { email, resource: 'shop' });
    await confirmSubscription(db.pool, confirmationToken);
    expect((await profile(back))?.subscriptions.find((s) => s.channel === 'email')?.status).toBe(
      'subscribed',
    );
  });
});
