// `consentflow campaigns preview` and `consentflow segments ...` as an operator runs them: the preview's counts
// agree with deciding every audience member one by one with decideSend (profile and caps history read per
// contact), its --json has exactly the promised shape, it writes nothing, and bad input exits 2 in one message.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { decidingRule } from '../../contracts/deciding-rule';
import { loadProfiles } from '../../db/contacts/profile';
import { readHistory } from '../../activities/history';
import { decideSend, loadRuleSet, type MessageSpec } from '../../rules';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { insertContacts, insertSubscription, type ContactRow } from './support';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-preview-'));
const AT = '2026-05-01T13:00:00Z'; // 14:00 in London, 09:00 in New York, 06:00 in Los Angeles (quiet)
const ZONES = ['Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', null];
const STATUSES = ['subscribed', 'subscribed', 'subscribed', 'unsubscribed', 'unconfirmed', 'hard_bounced'];
const N = 60;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function consentflow(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'consentflow.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: db.url, CONSENTFLOW_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const file = (name: string, value: unknown) => {
  const f = path.join(dir, name);
  writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return f;
};

/** Contacts whose number is not a multiple of 5 are in the segment below; the rest are not. */
const inSegment = (g: number) => g % 5 !== 0;
const SEGMENT = { id: 'not-fifth', where: { not: { custom: 'fifth', eq: true } } };

beforeAll(async () => {
  db = await createTestDatabase();
  const rows: ContactRow[] = [];
  for (let g = 1; g <= N; g++) {
    rows.push({
      id: `pv-${String(g).padStart(3, '0')}`,
      status: STATUSES[g % STATUSES.length]!,
      active: g % 17 !== 0,
      country: g % 3 === 0 ? 'US' : 'GB',
      timezone: ZONES[g % ZONES.length]!,
      custom: { fifth: !inSegment(g) },
    });
  }
  await insertContacts(db.pool, rows);
  for (let g = 1; g <= N; g++) {
    const contact = `pv-${String(g).padStart(3, '0')}`;
    await insertSubscription(db.pool, {
      contact,
      status: g % 4 === 0 ? 'non_subscribed' : 'subscribed',
      categories: g % 7 === 0 ? { promo: 'unsubscribed' } : {},
    });
    if (g % 2 === 0)
      await insertSubscription(db.pool, {
        contact,
        channel: 'sms',
        status: 'subscribed',
        address: `+4477009${String(g).padStart(5, '0')}`,
      });
  }
  // Three marketing texts in the last 24 hours for some: the SMS cap is full for them.
  for (const g of [2, 4, 8, 14, 22]) {
    for (let i = 0; i < 3; i++) {
      await db.pool.query(
        `INSERT INTO outbox (idempotency_key, created_at, workflow_id, step, contact_id, channel, message_type, address, state)
         VALUES ($1, $2, 'wf', 's', $3, 'sms', 'campaign', '+447700900000', 'sent')`,
        [`k-${g}-${i}`, new Date(Date.parse(AT) - 3_600_000 * (i + 1)), `pv-${String(g).padStart(3, '0')}`],
      );
    }
  }
});
afterAll(async () => {
  await db.drop();
});

/** The same question asked contact by contact: one profile read, one history read, decideSend. */
async function oneByOne(message: MessageSpec) {
  const ruleSet = loadRuleSet(path.join(REPO_ROOT, 'rules'));
  const at = new Date(AT);
  const expected = {
    total: 0,
    verdicts: { send: 0, suppress: 0, defer: 0 },
    reasons: {} as Record<string, number>,
  };
  for (let g = 1; g <= N; g++) {
    if (!inSegment(g)) continue;
    const id = `pv-${String(g).padStart(3, '0')}`;
    const contact = (await loadProfiles(db.pool, [id])).get(id)!;
    const history = await readHistory(db.pool, ruleSet, id, '', at);
    const d = decideSend(ruleSet, { contact, message, at, history });
    const rule = decidingRule(d.reasons) ?? 'none';
    expected.total++;
    expected.verdicts[d.verdict]++;
    expected.reasons[rule] = (expected.reasons[rule] ?? 0) + 1;
  }
  return expected;
}

async function writes(): Promise<number[]> {
  const { rows } = await db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM decision_log UNION ALL SELECT count(*) FROM outbox
     UNION ALL SELECT count(*) FROM consent_ledger UNION ALL SELECT count(*) FROM step_outcomes
     UNION ALL SELECT count(*) FROM campaign_suppressions`,
  );
  return rows.map((r) => Number(r.n));
}

describe('campaigns preview', () => {
  test.each<MessageSpec>([
    { channel: 'sms', type: 'campaign', resource: 'shop' },
    { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' },
  ])('--json agrees with deciding each contact one by one: %j', async (message) => {
    const segment = file('not-fifth.json', SEGMENT);
    const before = await writes();
    const run = await consentflow([
      'campaigns',
      'preview',
      '--segment',
      segment,
      '--message',
      JSON.stringify(message),
      '--at',
      AT,
      '--json',
      '--page-size',
      '7', // several keyset pages, the last one short
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(got).sort()).toEqual(['reasons', 'total', 'verdicts']);
    expect(Object.keys(got.verdicts as object).sort()).toEqual(['defer', 'send', 'suppress']);
    const expected = await oneByOne(message);
    expect(got).toEqual(expected);
    expect(expected.total).toBe(48);
    if (message.channel === 'sms') {
      // The mix is meant to exercise every verdict and the caps history.
      for (const v of ['send', 'suppress', 'defer'] as const) expect(expected.verdicts[v]).toBeGreaterThan(0);
      expect(expected.reasons['cap:marketing-sms']).toBeGreaterThan(0);
    }
    expect(await writes()).toEqual(before);
  });

  test('for people: audience, verdicts, rules with sample ids', async () => {
    const run = await consentflow([
      'campaigns',
      'preview',
      '--segment',
      file('not-fifth.json', SEGMENT),
      '--message',
      '{"channel":"sms","type":"campaign","resource":"shop"}',
      '--at',
      AT,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/audience: 48 contacts/);
    expect(run.stdout).toMatch(/verdicts: send \d+, suppress \d+, defer \d+/);
    expect(run.stdout).toMatch(/cap:marketing-sms\s+\d+\s+e\.g\. pv-0(02|04|08|14|22)/);
    expect(run.stdout).toMatch(/quiet-hours/);
  });

  test.each<[string[], RegExp]>([
    [
      ['--message', '{"channel":"fax","type":"campaign"}'],
      /--message at \/channel: .*"fax" is not one of: email, sms/,
    ],
    [['--message', '{"channel":"email","type":"campain"}'], /type "campain" is not a message type.*campaign/],
    [['--message', '{"channel":"email"'], /--message is not valid JSON.*e\.g\. --message/],
    [['--message', '{"channel":"email","type":"campaign","colour":1}'], /unknown property "colour"/],
    [
      ['--message', '{"channel":"email","type":"campaign"}', '--at', 'tomorrow'],
      /--at "tomorrow" is not an ISO instant/,
    ],
    [['--message', '{"channel":"email","type":"campaign"}', '--page-size', '0'], /--page-size "0"/],
  ])('bad input %j exits 2 with one clear message', async (args, message) => {
    const run = await consentflow(['campaigns', 'preview', '--segment', file('ok.json', SEGMENT), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at |TypeError|undefined/);
  });

  test('a segment file with problems: exit 2, every problem with file:line:column', async () => {
    const bad = file(
      'bad.json',
      '{\n  "id": "bad",\n  "where": { "all": [{ "status": "subscribd" }, { "date": "created_at" }] }\n}\n',
    );
    const run = await consentflow([
      'campaigns',
      'preview',
      '--segment',
      bad,
      '--message',
      '{"channel":"email","type":"campaign"}',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /bad\.json:3:24: error at \/where\/all\/0\/status: .*did you mean "subscribed"/,
    );
    expect(run.stderr).toMatch(
      /bad\.json:3:49: error at \/where\/all\/1: the date "created_at" is compared with nothing/,
    );
  });
});

describe('segments validate | count | sample', () => {
  test('count and sample use the same audience', async () => {
    const segment = file('not-fifth.json', SEGMENT);
    const count = await consentflow(['segments', 'count', segment, '--at', AT, '--json']);
    expect(count.code).toBe(0);
    expect(JSON.parse(count.stdout)).toEqual({
      segment: 'not-fifth',
      at: '2026-05-01T13:00:00.000Z',
      count: 48,
    });
    const sample = await consentflow(['segments', 'sample', segment, '--limit', '3', '--json']);
    expect((JSON.parse(sample.stdout) as { id: string }[]).map((r) => r.id)).toEqual([
      'pv-001',
      'pv-002',
      'pv-003',
    ]);
  });

  test('validate: ok lines on stdout, problems on stderr, exit 2', async () => {
    const good = await consentflow(['segments', 'validate']);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/ok {2}segments\/birthday-today\.json {2}birthday-today/);
    const bad = await consentflow([
      'segments',
      'validate',
      file('two.json', '{"id": "x", "where": {"field": "language", "eq": "de", "in": ["fr"]}}'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/two\.json:1:13: error at \/where: the field "language" has 2 operators/);
    const missing = await consentflow(['segments', 'count', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the segment file .*nope\.json/);
  });
});
