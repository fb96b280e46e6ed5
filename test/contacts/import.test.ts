// `contacts import` and the CLI as a person runs it: good rows land, bad rows are named by line, and the
// exit code says which case happened.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  activityFeed,
  importContacts,
  loadProfiles,
  resolveContactKey,
  unsubscribe,
} from '../../client/contacts';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-import-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function consentflow(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: db.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const count = async (sql: string) =>
  (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n;

const MIXED = [
  'email,phone,first_name,country,timezone,email_status,sms_status,resource',
  'good1@example.com,+447700900001,One,GB,Europe/London,,,shop',
  'broken-at-example.com,,Two,GB,,,,shop',
  'good3@example.com,,Three,DE,Europe/Berlin,unsubscribed,,shop',
  'good4@example.com,+447700900004,Four,XX,,,,shop',
  'good5@example.com,12345,Five,FR,Europe/Paris,,,shop',
  '"good6@example.com","+447700900006","Six, with comma",US,America/New_York,,non_subscribed,shop',
  '',
].join('\n');

describe('importContacts', () => {
  test('bad rows mixed in: every good row lands whole with its ledger rows, each bad row is named by line', async () => {
    const s = await importContacts(db.pool, file('mixed.csv', MIXED));
    expect(s).toMatchObject({ read: 6, inserted: 3, updated: 0, rejected: 3 });
    expect(s.rejections.map((r) => [r.line, r.field])).toEqual([
      [3, 'email'],
      [5, 'country'],
      [6, 'phone'],
    ]);
    expect(
      await count(`contacts WHERE email IN ('good1@example.com', 'good3@example.com', 'good6@example.com')`),
    ).toBe(3);
    expect(await count(`contacts WHERE email IN ('good4@example.com', 'good5@example.com')`)).toBe(0);
    const id = (await resolveContactKey(db.pool, 'good6@example.com'))!;
    const p = (await loadProfiles(db.pool, [id])).get(id);
    expect(p?.subscriptions.map((x) => `${x.channel}:${x.status}`)).toEqual([
      'email:subscribed',
      'sms:non_subscribed',
    ]);
    const ledger = await activityFeed(db.pool, id);
    expect(ledger.map((r) => r.kind).sort()).toEqual(['created', 'subscription', 'subscription']);
    expect(ledger[0]?.source).toMatchObject({ file: 'mixed.csv', line: 7 });
  });

  test('re-importing never turns an unsubscribe back into subscribed', async () => {
    const id = (await resolveContactKey(db.pool, 'good1@example.com'))!;
    await unsubscribe(db.pool, id, { resource: 'shop', channel: 'email' });
    const s = await importContacts(
      db.pool,
      file('again.csv', 'email,email_status,resource,first_name\ngood1@example.com,subscribed,shop,Uno\n'),
    );
    expect(s).toMatchObject({ inserted: 0, updated: 1, rejected: 0 });
    const p = (await loadProfiles(db.pool, [id])).get(id);
    expect(p?.subscriptions.find((x) => x.channel === 'email')?.status).toBe('unsubscribed');
  });

  test('--strict writes nothing when a row is bad; --dry-run writes nothing at all', async () => {
    const before = await count('contacts');
    const strict = await importContacts(db.pool, file('strict.csv', 'email\nstrict1@example.com\nnope\n'), {
      strict: true,
    });
    expect(strict).toMatchObject({ rejected: 1, rolledBack: true });
    const dry = await importContacts(
      db.pool,
      file('dry.csv', 'email\ndry1@example.com\ndry2@example.com\n'),
      { dryRun: true },
    );
    expect(dry).toMatchObject({ inserted: 2, rolledBack: true });
    expect(await count('contacts')).toBe(before);
    expect(await count(`consent_ledger WHERE source->>'file' IN ('strict.csv', 'dry.csv')`)).toBe(0);
  });

  test('JSON Lines with nested categories and custom fields; the later row about a contact wins', async () => {
    const lines = [
      JSON.stringify({ email: 'j1@example.com', resource: 'news', categories: { sport: 'subscribed' } }),
      '{not json',
      JSON.stringify({
        email: 'j1@example.com',
        first_name: 'Later',
        categories: { sport: 'unsubscribed' },
        resource: 'news',
      }),
      JSON.stringify({ email: 'j2@example.com', favourite: 'x' }),
    ].join('\n');
    const s = await importContacts(db.pool, file('rows.jsonl', lines), { batchSize: 100 });
    expect(s).toMatchObject({ read: 4, inserted: 1, updated: 1, rejected: 2 });
    expect(s.rejections.map((r) => [r.line, r.field])).toEqual([
      [2, '(row)'],
      [4, 'favourite'],
    ]);
    const id = (await resolveContactKey(db.pool, 'j1@example.com'))!;
    expect((await loadProfiles(db.pool, [id])).get(id)?.subscriptions[0]?.categories).toEqual({
      sport: 'unsubscribed',
    });
  });
});

describe('consentflow contacts import (exit codes)', () => {
  test('0 when every row landed, with a summary', () => {
    const r = consentflow([
      'contacts',
      'import',
      file('ok.csv', 'email,first_name\ncli1@example.com,A\ncli2@example.com,B\n'),
    ]);
    expect(r.stdout).toContain('2 rows read, 2 inserted, 0 updated, 0 unchanged, 0 rejected');
    expect(r.code).toBe(0);
  });

  test('1 when some rows were rejected, each named with file, line, field and reason', () => {
    const r = consentflow([
      'contacts',
      'import',
      file('some.csv', MIXED.replace(/good/g, 'cli-good').replace(/\+4477009000/g, '+4477009010')),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/some\.csv:3: email: "broken-at-example\.com" is not an email address/);
    expect(r.stderr).toMatch(/some\.csv:5: country: /);
    expect(r.stderr).toMatch(/progress: 100%/); // not a terminal: plain progress lines
    expect(r.stdout).toContain('6 rows read, 3 inserted, 0 updated, 0 unchanged, 3 rejected');
  });

  test.each([
    [
      'a missing file',
      () => path.join(dir, 'missing.csv'),
      /cannot read .*missing\.csv: there is no such file; check the path/,
    ],
    [
      'unknown columns',
      () => file('cols.csv', 'email,shoe_size\na@example.com,42\n'),
      /1 unknown column: "shoe_size".*Known columns.*--ignore-unknown-columns/,
    ],
    [
      'UTF-16',
      () => file('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email\n', 'utf16le')])),
      /UTF-16.*iconv/,
    ],
    [
      'Latin-1',
      () => file('latin1.csv', Buffer.from('email,first_name\nz@example.com,Jos\xe9\n', 'latin1')),
      /not UTF-8.*iconv/,
    ],
    ['an unknown extension', () => file('data.txt', 'email\n'), /--format csv or --format jsonl/],
  ])('2 for unusable input: %s, with how to fix it', (_name, make, message) => {
    const r = consentflow(['contacts', 'import', make()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('show, unsubscribe, history and erase through the CLI', () => {
    const shown = consentflow(['contacts', 'show', 'cli1@example.com', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout) as unknown).toMatchObject({
      status: 'subscribed',
      subscriptions: [{ channel: 'email', address: 'cli1@example.com' }],
    });
    expect(consentflow(['contacts', 'unsubscribe', 'cli1@example.com']).code).toBe(0);
    expect(
      (
        JSON.parse(consentflow(['contacts', 'show', 'cli1@example.com', '--json']).stdout) as {
          status: string;
        }
      ).status,
    ).toBe('unsubscribed');
    expect(consentflow(['contacts', 'history', 'cli1@example.com']).stdout).toMatch(
      /admin\s+status: \{"status":"subscribed"\} -> \{"status":"unsubscribed"\}/,
    );
    expect(consentflow(['contacts', 'erase', 'cli1@example.com']).code).toBe(2);
    expect(consentflow(['contacts', 'erase', 'cli1@example.com', '--yes']).code).toBe(0);
    const gone = consentflow(['contacts', 'show', 'cli1@example.com']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no contact matches "cli1@example.com"');
  });

  test('feedback reads JSON lines and replies to SMS keywords', () => {
    consentflow(['contacts', 'add', '--phone', '+14155550188', '--resource', 'shop']);
    const events = file(
      'events.jsonl',
      `${JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155550188', text: 'STOP' })}\n`,
    );
    const r = consentflow(['feedback', '--file', events]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as { line: number; changes: number; reply: string };
    expect(result).toMatchObject({ line: 1, changes: 1 });
    expect(result.reply).toMatch(/unsubscribed/);
  });
});
