// `consentflow feedback --file` as an operator runs it: every bad line is named with its number, field and
// fix, the good lines are applied, the exit code says bad input, and a missing file is explained.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { loadProfiles, upsertContact } from '../../client/contacts';
import { INTERNALS } from './internals';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-feedback-'));
// Each test starts the real CLI (tsx compiles it on start): slow on a busy machine, so beyond the default.
const SLOW = 240_000;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function consentflow(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: db.url },
    encoding: 'utf8',
    timeout: 120_000,
    input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const smsStatus = async (id: string) =>
  (await loadProfiles(db.pool, [id])).get(id)?.subscriptions.find((s) => s.channel === 'sms')?.status;

describe('feedback --file', () => {
  test(
    'bad lines are named by number, field and fix; the other lines are applied; exit 2',
    async () => {
      const a = await upsertContact(db.pool, { phone: '+14155556001', resource: 'shop' });
      const b = await upsertContact(db.pool, { phone: '+14155556002', resource: 'shop' });
      const lines = [
        JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556001', text: 'Stop.' }),
        'null',
        JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: 123, text: 'STOP' }),
        JSON.stringify({
          kind: 'inbound_sms',
          channel: 'sms',
          address: '+14155556002',
          at: 'soon',
          text: 'STOP',
        }),
        '{"kind": "inbound_sms", "channel": "sms",',
        '[1, 2, 3]',
        JSON.stringify({ kind: 'bounce', channel: 'email', address: 'x@example.com' }),
        JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556002', text: ['STOP'] }),
        JSON.stringify({ kind: 'hard_bounce', channel: 'email', address: 'x@example.com', source: null }),
        JSON.stringify({
          kind: 'inbound_sms',
          channel: 'sms',
          address: '+14155556002',
          adress: 'typo',
          text: 'x',
        }),
        '',
        JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556002', text: 'STOP!' }),
      ];
      const events = file('mixed.jsonl', `${lines.join('\n')}\n`);
      const r = consentflow(['feedback', '--file', events]);
      expect(r.code).toBe(2);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(INTERNALS);
      const errors = r.stderr.trim().split('\n');
      const byLine = new Map(errors.map((l) => [Number(/:(\d+): /.exec(l)?.[1]), l]));
      expect([...byLine.keys()].sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(byLine.get(2)).toMatch(/JSON object/);
      expect(byLine.get(3)).toMatch(/address: .*string/);
      expect(byLine.get(4)).toMatch(/at: .*2025-06-01T12:00:00Z/);
      expect(byLine.get(5)).toMatch(/not valid JSON/);
      expect(byLine.get(7)).toMatch(/kind: "bounce" .*hard_bounce/);
      expect(byLine.get(8)).toMatch(/text: .*string/);
      expect(byLine.get(9)).toMatch(/source: .*object/);
      expect(byLine.get(10)).toMatch(/adress: .*address/);
      for (const l of errors) expect(l.startsWith(`${events}:`)).toBe(true);

      // One JSON result per non-blank line, in order, on stdout.
      const results = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; ok: boolean; changes?: number; field?: string });
      expect(results.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
      expect(results.map((x) => x.ok)).toEqual([true, ...Array<boolean>(9).fill(false), true]);
      expect(results[3]).toMatchObject({ field: 'at' });
      expect(await smsStatus(a)).toBe('unsubscribed');
      expect(await smsStatus(b)).toBe('unsubscribed');
    },
    SLOW,
  );

  test(
    'all good lines: exit 0',
    async () => {
      await upsertContact(db.pool, { phone: '+14155556003', resource: 'shop' });
      const events = file(
        'good.jsonl',
        `${JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556003', text: 'HELP' })}\r\n`,
      );
      const r = consentflow(['feedback', '--file', events]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ line: 1, ok: true, changes: 0 });
    },
    SLOW,
  );

  test(
    'stdin works like a file',
    async () => {
      const id = await upsertContact(db.pool, { phone: '+14155556004', resource: 'shop' });
      const r = consentflow(
        ['feedback', '--file', '-'],
        `${JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556004', text: 'ＳＴＯＰ' })}\n{`,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^-:2: .*not valid JSON/);
      expect(await smsStatus(id)).toBe('unsubscribed');
    },
    SLOW,
  );

  test.each([
    ['a missing file', path.join(dir, 'nope.jsonl'), /no such file.*check the path/],
    ['a folder', dir, /is a folder/],
  ])(
    '%s: a clear message and exit 2',
    (_what, target, message) => {
      const r = consentflow(['feedback', '--file', target]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(INTERNALS);
    },
    SLOW,
  );

  test(
    'a huge line and a huge value are refused briefly; the next line still applies',
    async () => {
      const id = await upsertContact(db.pool, { phone: '+14155556005', resource: 'shop' });
      const events = file(
        'huge.jsonl',
        [
          JSON.stringify({
            kind: 'inbound_sms',
            channel: 'sms',
            address: '+1'.padEnd(300_000, '5'),
            text: 'x',
          }),
          JSON.stringify({
            kind: 'hard_bounce',
            channel: 'email',
            address: `${'a'.repeat(5000)}@example.com`,
          }),
          JSON.stringify({ kind: 'inbound_sms', channel: 'sms', address: '+14155556005', text: 'quit' }),
        ].join('\n'),
      );
      const r = consentflow(['feedback', '--file', events]);
      expect(r.code).toBe(2);
      const errors = r.stderr.trim().split('\n');
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/:1: .*longer than/);
      expect(errors[1]).toMatch(/:2: address: /);
      for (const l of errors) expect(l.length).toBeLessThan(500);
      expect(await smsStatus(id)).toBe('unsubscribed');
    },
    SLOW,
  );

  test(
    'flags: a bad --at or a missing --address is bad input (exit 2), named',
    () => {
      const bad = consentflow([
        'feedback',
        '--kind',
        'inbound_sms',
        '--channel',
        'sms',
        '--address',
        '+14155556006',
        '--text',
        'STOP',
        '--at',
        '2999-01-01T00:00:00Z',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/at: .*future/);
      const missing = consentflow(['feedback', '--kind', 'hard_bounce', '--channel', 'email']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--address/);
    },
    SLOW,
  );
});
