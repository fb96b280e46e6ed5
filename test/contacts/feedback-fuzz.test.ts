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
import { feedbackGarbage, prng } from './feedback-garbage';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await upsertContact(db.pool, { phone: '+14155557001', email: 'fuzz@example.com', resource: 'shop' });
});
afterAll(async () => {
  await db.drop();
});

describe('fuzz', () => {
  test('the CLI answers each line once, in order, without internals', () => {
    const g = feedbackGarbage(prng(SEED));
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
  }, 300_000);

  test('the library function returns a result or a ContactFieldError for every generated event', async () => {
    const g = feedbackGarbage(prng(SEED + 1));
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
