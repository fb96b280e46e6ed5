// The contacts CLI as an operator mistypes it: every bad invocation exits 2 with one message that says
// what is wrong, where, and how to fix it, never a stack trace, a driver message or "NaN".
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { activityFeed, upsertContact } from '../../client/contacts';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-cli-errors-'));
const csv = path.join(dir, 'ok.csv');
writeFileSync(csv, 'email,first_name\ncli-ok@example.com,Ok\n');

beforeAll(async () => {
  db = await createTestDatabase();
  await upsertContact(db.pool, {
    id: 'k1',
    email: 'k1@example.com',
    phone: '+447700900111',
    resource: 'shop',
  });
});
afterAll(async () => {
  await db.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function consentflow(
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: db.url, CONSENTFLOW_DEBUG: '', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? '');
    // Generous: on a loaded 2-core machine one CLI start has taken 40 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the invocations a few at a time: each CLI start costs a second or more of CPU. */
async function runAll(list: string[][], width = 6): Promise<Run[]> {
  const results: Run[] = new Array<Run>(list.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < list.length) {
        const i = next++;
        results[i] = await consentflow(list[i]!);
      }
    }),
  );
  return results;
}

/** Text that must never reach an operator. */
const LEAKS =
  /\n\s+at |invalid input syntax|duplicate key|violates|ENOENT|Cannot read propert|TypeError|is not a function|NaN|undefined/;

// [invocation, what the message must say]
const BAD: [string[], RegExp][] = [
  [
    ['contacts', 'import', csv, '--batch-size', 'abc'],
    /--batch-size "abc".*whole number.*e\.g\. --batch-size/,
  ],
  [['contacts', 'import', csv, '--batch-size', '0'], /--batch-size "0".*from 1/],
  [['contacts', 'import', csv, '--batch-size', '-5'], /--batch-size "-5".*from 1/],
  [['contacts', 'import', csv, '--batch-size', '1.5'], /--batch-size "1\.5".*whole number/],
  [['contacts', 'import', csv, '--delimiter', 'x'], /delimiter "x".*; tab \|/],
  [['contacts', 'import', csv, '--map', 'E-mail'], /--map "E-mail".*FILE_COLUMN=column/],
  [['contacts', 'import', csv, '--format', 'xml'], /--format.*csv, jsonl/],
  [['contacts', 'import', path.join(dir, 'missing.csv')], /missing\.csv: there is no such file/],
  [
    ['contacts', 'set-status', 'k1', 'subscribd'],
    /"subscribd" is not a global status.*subscribed, unsubscribed/,
  ],
  [
    ['contacts', 'subscribe', 'k1', '--channel', 'email', '--priority', 'high'],
    /--priority "high".*whole number/,
  ],
  [['contacts', 'subscribe', 'k1', '--channel', 'fax'], /--channel "fax".*email, sms/],
  [
    ['contacts', 'signup', '--email', 's@example.com', '--ttl-hours', 'abc'],
    /--ttl-hours "abc".*number of hours/,
  ],
  [['contacts', 'signup', '--email', 's@example.com', '--ttl-hours', '-1'], /--ttl-hours "-1".*more than 0/],
  [['contacts', 'signup', '--email', 's@example.com', '--ttl-hours', '0'], /--ttl-hours "0".*more than 0/],
  [['contacts', 'history', 'k1', '--days', 'abc'], /--days "abc".*whole number/],
  [['contacts', 'history', 'k1', '--days', '-3'], /--days "-3".*from 1/],
  [['contacts', 'unsubscribe', 'k1', '--resource', 'nosuch'], /k1 has no subscription to "nosuch".*shop/],
  [
    ['contacts', 'unsubscribe', 'k1', '--resource', 'shop', '--channel', 'sms', '--address', '+447700900999'],
    /no sms subscription/,
  ],
  [['contacts', 'blacklist', 'add', 'fax', 'x@example.com'], /"fax" is not a blacklist.*email, phone/],
  [['contacts', 'blacklist', 'add', 'phone', 'not-a-phone'], /"not-a-phone" is not an E\.164 phone number/],
  [['contacts', 'set-status', 'k1', 'unsubscribed', '--origin', 'form'], /--origin form.*admin/],
  [['contacts', 'add', '--email', 'o@example.com', '--origin', 'import'], /--origin import.*contacts import/],
  [['contacts', 'add', '--email', 'nope'], /"nope" is not an email address/],
  [['contacts', 'add', '--email', 'p@example.com', '--priority', 'high'], /priority.*"high"/],
  [['contacts', 'note', 'delete', 'k1', 'abc'], /note id "abc".*number/],
  [['contacts', 'show', 'k1', '--bogus'], /unknown option '--bogus'/],
  [['contacts', 'confirm', 'garbage'], /not a confirmation token/],
  [['contacts', 'fields', 'define', 'size', 'bogus'], /"bogus" is not a field kind/],
  [['contacts', 'erase', 'k1'], /--yes/],
];

describe('bad contacts invocations', () => {
  test('each exits 2 with a message that says what, where and how, and nothing from inside', async () => {
    const runs = await runAll(BAD.map(([args]) => args));
    const problems: string[] = [];
    BAD.forEach(([args, message], i) => {
      const r = runs[i]!;
      const where = `consentflow ${args.join(' ')} -> exit ${r.code}: ${r.stderr.trim()}`;
      if (r.code !== 2) problems.push(`exit code: ${where}`);
      if (!message.test(r.stderr)) problems.push(`message ${String(message)}: ${where}`);
      if (LEAKS.test(r.stderr)) problems.push(`leak: ${where}`);
    });
    expect(problems).toEqual([]);
    // Nothing was changed by any of them.
    const ledger = await activityFeed(db.pool, 'k1');
    expect(ledger.map((r) => r.kind)).toEqual(['subscription', 'subscription', 'created']);
  }, 1_800_000);
});

describe('the contacts CLI otherwise', () => {
  test('statuses in any case, echoed as stored; blacklists say phone, accept sms, and list', async () => {
    const [status, bl, bl2, version, stdin] = await Promise.all([
      consentflow(['contacts', 'set-status', 'k1', 'Suspended']),
      consentflow(['contacts', 'blacklist', 'add', 'sms', '+44 7700 900111']),
      consentflow(['contacts', 'blacklist', 'add', 'email', 'Spam@Example.com', '--reason', 'trap']),
      consentflow(['--version']),
      consentflow(['contacts', 'import', '-'], {
        input: 'email;first_name\nstdin1@example.com;Piped\n',
      }),
    ]);
    expect(status).toMatchObject({ code: 0 });
    expect(status.stdout).toMatch(/status is now suspended/);
    expect(bl.code).toBe(0);
    expect(bl.stdout).toMatch(/\+447700900111 added to the phone blacklist/);
    expect(bl2.code).toBe(0);
    const [listed, phoneOnly] = await Promise.all([
      consentflow(['contacts', 'blacklist', 'list']),
      consentflow(['contacts', 'blacklist', 'list', '--channel', 'sms', '--json']),
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/phone\s+\+447700900111/);
    expect(listed.stdout).toMatch(/email\s+spam@example\.com.*trap/);
    expect(JSON.parse(phoneOnly.stdout)).toEqual([
      expect.objectContaining({ list: 'phone', address: '+447700900111' }),
    ]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(stdin.code).toBe(0);
    expect(stdin.stdout).toMatch(/stdin \(csv\): 1 rows read, 1 inserted/);
  }, 1_200_000);

  test('a database that exists but was never migrated: every store command says so, in its own words', async () => {
    const bare = await createTestDatabase();
    try {
      await bare.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const env = { DATABASE_URL: bare.url };
      const runs = await Promise.all(
        [
          ['contacts', 'show', 'k1'],
          ['feedback', '--kind', 'hard_bounce', '--channel', 'email', '--address', 'k1@example.com'],
          ['segments', 'count', path.join(REPO_ROOT, 'segments', 'vip.json')],
        ].map((args) => consentflow(args, { env })),
      );
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain('the contact tables are missing; run: consentflow db migrate');
        // The driver's own words ("relation ... does not exist") never reach the operator.
        expect(r.stderr).not.toMatch(/relation|does not exist/);
      }
    } finally {
      await bare.drop();
    }
  }, 1_200_000);

  test('a database that does not exist yet points at db migrate, not at starting PostgreSQL', async () => {
    const r = await consentflow(['contacts', 'show', 'k1'], {
      env: { DATABASE_URL: `${db.url}_never_created` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not exist.*consentflow db migrate/);
    expect(r.stderr).not.toMatch(/pg_ctlcluster/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 600_000);
});
