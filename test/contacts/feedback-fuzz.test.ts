// Generated garbage through `feedback`, seeded so a failure can be replayed (FUZZ_SEED=n): the real CLI on a
// file, and the library function on the same values. Every non-blank line gets exactly one well-formed result,
// in order, and nothing a user sees shows JavaScript, Node or PostgreSQL internals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { applyFeedback, ContactFieldError, upsertContact } from '../../client/contacts';
import { INTERNALS } from './internals';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await upsertContact(db.pool, { phone: '+14155557001', email: 'fuzz@example.com', resource: 'shop' });
});
afterAll(async () => {
  await db.drop();
});

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const unicode = () =>
    Array.from({ length: 1 + int(12) }, () =>
      pick([
        () => String.fromCodePoint(0x20 + int(0x5f)),
        () => String.fromCodePoint(0xff01 + int(0x5e)), // full-width forms
        () => String.fromCodePoint(0x1f300 + int(0x300)), // emoji
        () => pick(['\u200b', '\u00ad', '\ufeff', '\u202e', '\u0301', '\ud800', '\t', '\u2028']),
        () => String.fromCodePoint(0x4e00 + int(0x5000)),
      ])(),
    ).join('');
  const dates = [
    '2025-03-09T02:30:00-05:00',
    '2025-03-09T02:30:00',
    '2025-11-02T01:30:00-04:00',
    '2025-11-02T01:30:00-05:00',
    '2025-10-26T02:30:00+02:00',
    '2025-02-29T00:00:00Z',
    '2024-02-29T23:59:60Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '0000-01-01T00:00:00Z',
    '2999-12-31T23:59:59Z',
    '2025-06-01T12:00:00.123456789Z',
    '2025-06-01 12:00:00Z',
    '1e999',
    'NaN',
    '',
  ];
  const numbers = [0, -0, 1e308, -1e308, 2 ** 53 + 1, 8.64e15, 8.64e15 + 1, 0.1, -1];
  const scalar = (): unknown =>
    pick([
      () => null,
      () => true,
      () => pick(numbers),
      () => unicode(),
      () => pick(dates),
      () => pick(['STOP', 'ＳＴＯＰ', 'Stop.', 'start', 'HELP', "don't stop", 'x'.repeat(int(3000))]),
    ])();
  const nested = (depth: number): unknown =>
    depth === 0 ? scalar() : pick([() => [nested(depth - 1)], () => ({ a: nested(depth - 1) })])();
  const value = (): unknown =>
    pick([scalar, scalar, () => nested(1 + int(40)), () => [scalar(), scalar()], () => ({ k: scalar() })])();
  const event = (): Record<string, unknown> => {
    const e: Record<string, unknown> = {
      kind: pick([
        'inbound_sms',
        'hard_bounce',
        'complaint',
        'unsubscribe',
        'resubscribe',
        'bounce',
        value(),
      ]),
      channel: pick(['sms', 'email', 'SMS', 'fax', value()]),
      address: pick(['+14155557001', 'fuzz@example.com', '+1 (415) 555-7001', unicode(), value()]),
    };
    for (const k of ['text', 'resource', 'at', 'source', 'extra'] as const)
      if (rand() < 0.5) e[k] = k === 'at' ? pick([...dates, value()]) : value();
    if (rand() < 0.2) delete e[pick(['kind', 'channel', 'address'])];
    return e;
  };
  const line = (): string =>
    pick([
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(value()),
      () => `${'['.repeat(5000 + int(50_000))}${']'.repeat(int(10))}`,
      () => `{"kind": "inbound_sms", "text": "${unicode()}`,
      () => unicode(),
      () => JSON.stringify({ ...event(), text: 'x'.repeat(70_000 + int(200_000)) }),
      () => JSON.stringify(event()).replace(/"/g, "'"),
    ])();
  return { event, line, value };
}

describe('fuzz', () => {
  test('the CLI answers each line once, in order, without internals', () => {
    const g = generator(prng(SEED));
    const lines = Array.from({ length: 150 }, () => g.line());
    const events = path.join(mkdtempSync(path.join(os.tmpdir(), 'cf-fuzz-')), 'events.jsonl');
    writeFileSync(events, `${lines.join('\n')}\n`);
    const r = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), 'feedback', '--file', events],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8', timeout: 180_000 },
    );
    const expected = lines.flatMap((l, i) => (l.trim() ? [i + 1] : []));
    expect(r.stdout).not.toMatch(INTERNALS);
    expect(r.stderr).not.toMatch(INTERNALS);
    const results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; ok: boolean; field?: string; error?: string });
    expect(results.map((x) => x.line)).toEqual(expected);
    for (const x of results) {
      if (x.ok) continue;
      expect(typeof x.field).toBe('string');
      expect(x.error?.length).toBeGreaterThan(10);
      expect(x.error!.length).toBeLessThan(400);
    }
    const bad = results.filter((x) => !x.ok).length;
    expect(r.status).toBe(bad ? 2 : 0);
    expect(r.stderr.trim() ? r.stderr.trim().split('\n').length : 0).toBe(bad);
  });

  test('the library function returns a result or a ContactFieldError for every generated event', async () => {
    const g = generator(prng(SEED + 1));
    for (let i = 0; i < 300; i++) {
      const e = i % 3 ? g.event() : g.value();
      try {
        const r = await applyFeedback(db.pool, e as never);
        expect(Array.isArray(r.contactIds)).toBe(true);
        expect(Number.isInteger(r.changes)).toBe(true);
      } catch (err) {
        if (!(err instanceof ContactFieldError))
          throw new Error(`event ${JSON.stringify(e)?.slice(0, 300)}: ${String(err)}`);
        expect(err.message).not.toMatch(INTERNALS);
        expect(err.message.length).toBeLessThan(400);
      }
    }
  });
});
