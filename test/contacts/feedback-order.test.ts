// Feedback decided by the time each event happened, not by when it arrived: late older events do not undo
// newer ones (SMS STOP/START, email unsubscribe/resubscribe, bounces), events from the future are refused,
// and concurrent calls give the same answer as sequential ones.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  activityFeed,
  applyFeedback,
  ContactFieldError,
  loadProfiles,
  upsertContact,
  type FeedbackEvent,
} from '../../client/contacts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

let n = 0;
async function contact() {
  n++;
  const phone = `+1415555${String(4000 + n).padStart(4, '0')}`;
  const email = `order${n}@example.com`;
  const id = await upsertContact(db.pool, { phone, email, resource: 'shop' });
  return { id, phone, email };
}
const profile = async (id: string) => (await loadProfiles(db.pool, [id])).get(id)!;
const status = async (id: string, channel: 'sms' | 'email') =>
  (await profile(id)).subscriptions.find((s) => s.channel === channel)?.status;
const sms = (address: string, text: string, at: string): FeedbackEvent => ({
  kind: 'inbound_sms',
  channel: 'sms',
  address,
  text,
  at,
});

describe('newest event wins, whatever the arrival order', () => {
  test('an older START delivered after a newer STOP does not resubscribe; history shows STOP newest', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-02T10:00:00Z'));
    const late = await applyFeedback(db.pool, sms(c.phone, 'START', '2025-06-01T10:00:00Z'));
    expect(late.changes).toBe(0);
    expect(late.superseded).toBe(1);
    // Replying "You are resubscribed" would tell the person something that did not happen.
    expect(late.reply).toBeUndefined();
    expect(await status(c.id, 'sms')).toBe('unsubscribed');
    const [newest] = await activityFeed(db.pool, c.id, { channel: 'sms', origin: 'feedback' });
    expect(newest).toMatchObject({ at: new Date('2025-06-02T10:00:00Z'), after: { status: 'unsubscribed' } });
  });

  test('in order, STOP then a newer START resubscribes', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'stop', '2025-06-01T10:00:00Z'));
    const r = await applyFeedback(db.pool, sms(c.phone, 'start', '2025-06-01T10:00:01Z'));
    expect(r.changes).toBe(1);
    expect(await status(c.id, 'sms')).toBe('subscribed');
  });

  test('an older STOP delivered after a newer START does not unsubscribe', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-01T10:00:00Z'));
    await applyFeedback(db.pool, sms(c.phone, 'START', '2025-06-03T10:00:00Z'));
    const late = await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-02T10:00:00Z'));
    expect(late).toMatchObject({ changes: 0, superseded: 1 });
    expect(late.reply).toBeUndefined();
    expect(await status(c.id, 'sms')).toBe('subscribed');
  });

  test('a STOP that changed nothing still counts as the newest word', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-01T10:00:00Z'));
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-05T10:00:00Z'));
    await applyFeedback(db.pool, sms(c.phone, 'START', '2025-06-03T10:00:00Z'));
    expect(await status(c.id, 'sms')).toBe('unsubscribed');
  });

  test('email: an older resubscribe after a newer unsubscribe changes nothing, a newer one restores', async () => {
    const c = await contact();
    const ev = (kind: FeedbackEvent['kind'], at: string): FeedbackEvent => ({
      kind,
      channel: 'email',
      address: c.email,
      at,
    });
    await applyFeedback(db.pool, ev('unsubscribe', '2025-06-02T00:00:00Z'));
    expect((await profile(c.id)).status).toBe('unsubscribed');
    const late = await applyFeedback(db.pool, ev('resubscribe', '2025-06-01T00:00:00Z'));
    expect(late.changes).toBe(0);
    expect((await profile(c.id)).status).toBe('unsubscribed');
    expect(await status(c.id, 'email')).toBe('unsubscribed');
    const fresh = await applyFeedback(db.pool, ev('resubscribe', '2025-06-03T00:00:00Z'));
    expect(fresh.changes).toBe(2);
    expect((await profile(c.id)).status).toBe('subscribed');
    expect(await status(c.id, 'email')).toBe('subscribed');
  });

  test('a bounce reported late does not override a newer resubscribe of the address', async () => {
    const c = await contact();
    const ev = (kind: FeedbackEvent['kind'], at: string): FeedbackEvent => ({
      kind,
      channel: 'email',
      address: c.email,
      resource: 'shop',
      at,
    });
    await applyFeedback(db.pool, ev('unsubscribe', '2025-06-01T00:00:00Z'));
    await applyFeedback(db.pool, ev('resubscribe', '2025-06-03T00:00:00Z'));
    const bounce = await applyFeedback(db.pool, ev('hard_bounce', '2025-06-02T00:00:00Z'));
    expect(bounce).toMatchObject({ changes: 0, superseded: 1 });
    expect(await status(c.id, 'email')).toBe('subscribed');
    const newer = await applyFeedback(db.pool, ev('hard_bounce', '2025-06-04T00:00:00Z'));
    expect(newer.changes).toBe(1);
    expect(await status(c.id, 'email')).toBe('hard_bounced');
  });
});

describe('event times', () => {
  test.each([
    '2999-01-01T00:00:00Z',
    new Date(Date.now() + 6 * 60_000).toISOString(),
    new Date(Date.now() + 86_400_000),
  ])('an event from the future (%s) is refused with a reason and changes nothing', async (at) => {
    const c = await contact();
    const err = await applyFeedback(db.pool, { ...sms(c.phone, 'STOP', ''), at }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContactFieldError);
    expect((err as ContactFieldError).field).toBe('at');
    expect((err as Error).message).toMatch(/future/);
    expect(await status(c.id, 'sms')).toBe('subscribed');
  });

  test('a few minutes of clock skew are accepted', async () => {
    const c = await contact();
    const r = await applyFeedback(db.pool, {
      ...sms(c.phone, 'STOP', ''),
      at: new Date(Date.now() + 4 * 60_000).toISOString(),
    });
    expect(r.changes).toBe(1);
  });

  test('a bare date is midnight UTC of that day', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-06-02'));
    const [row] = await activityFeed(db.pool, c.id, { origin: 'feedback' });
    expect(row?.at).toEqual(new Date('2025-06-02T00:00:00Z'));
    expect((await applyFeedback(db.pool, sms(c.phone, 'START', '2025-06-01T23:59:59Z'))).changes).toBe(0);
  });

  test.each([
    ['yesterday'],
    ['2025-02-30T10:00:00Z'],
    ['2025-03-09T02:30:00'],
    ['1969-12-31T23:59:59Z'],
    [1717236000000],
    [null],
    [{}],
    [new Date(Number.NaN)],
  ])('%j is not a usable time: refused naming the field and the form', async (at) => {
    const c = await contact();
    const err = await applyFeedback(db.pool, {
      ...sms(c.phone, 'STOP', ''),
      at: at as string,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContactFieldError);
    expect((err as ContactFieldError).field).toBe('at');
    expect((err as Error).message).toMatch(/2025-06-01T12:00:00Z/);
    expect(await status(c.id, 'sms')).toBe('subscribed');
  });

  test('an offset across a DST change is read as the instant it names', async () => {
    const c = await contact();
    await applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-03-09T01:59:00-05:00'));
    // 03:01 EDT is 07:01Z, two minutes after 01:59 EST (06:59Z): newer, so it applies.
    const r = await applyFeedback(db.pool, sms(c.phone, 'START', '2025-03-09T03:01:00-04:00'));
    expect(r.changes).toBe(1);
  });
});

describe('concurrency', () => {
  test('STOP and an older START sent at once: always unsubscribed', async () => {
    const contacts = await Promise.all(Array.from({ length: 8 }, () => contact()));
    await Promise.all(
      contacts.flatMap((c, i) => {
        const stop = applyFeedback(db.pool, sms(c.phone, 'STOP', '2025-07-02T00:00:00Z'));
        const start = applyFeedback(db.pool, sms(c.phone, 'START', '2025-07-01T00:00:00Z'));
        return i % 2 ? [stop, start] : [start, stop];
      }),
    );
    for (const c of contacts) expect(await status(c.id, 'sms')).toBe('unsubscribed');
  });

  test('a burst of STOP/START events in random order ends as the newest says', async () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 5; round++) {
      const c = await contact();
      const events = Array.from({ length: 10 }, (_, i) => ({
        text: rand() < 0.5 ? 'STOP' : 'START',
        at: new Date(Date.UTC(2025, 7, 1, 0, i)).toISOString(),
      }));
      const newest = events[events.length - 1]!;
      const shuffled = [...events].sort(() => rand() - 0.5);
      await Promise.all(shuffled.map((e) => applyFeedback(db.pool, sms(c.phone, e.text, e.at))));
      expect(await status(c.id, 'sms')).toBe(newest.text === 'STOP' ? 'unsubscribed' : 'subscribed');
    }
  });
});
