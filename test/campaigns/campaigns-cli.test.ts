// `consentflow campaigns …` and `consentflow schedules …` as a user runs them: bad input is one clear line and
// exit code 2 before anything starts; start, status, pause, resume and cancel steer a real campaign.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { startHarness, type Harness } from '../support/automation-harness';
import { campaignsOf, receivedPer, seedAudience, until } from './support';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-campaigns-cli-'));
const SEGMENT = path.join(dir, 'nl.json');
writeFileSync(SEGMENT, JSON.stringify({ id: 'nl', where: { country: 'NL' } }));
const PT_SEGMENT = path.join(dir, 'pt.json');
writeFileSync(PT_SEGMENT, JSON.stringify({ id: 'pt', where: { country: 'PT' } }));
const SE_SEGMENT = path.join(dir, 'se.json');
writeFileSync(SE_SEGMENT, JSON.stringify({ id: 'se', where: { country: 'SE' } }));
const BROKEN = path.join(dir, 'broken.json');
writeFileSync(BROKEN, '{\n  "id": "broken",\n  "where": { "countri": "NL" }\n}\n');
const MESSAGE = '{"channel":"email","type":"campaign","template":"campaign-email"}';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_TASK_QUEUE: h.taskQueue,
          DATABASE_URL: h.db.url,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('bad input: exit 2, one line that says what, where and how to fix', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'a missing segment file',
      ['--segment', path.join(dir, 'nope.json'), '--message', MESSAGE],
      /--segment .*nope\.json: cannot read the file \(ENOENT\)/,
    ],
    [
      'a segment with an unknown condition',
      ['--segment', BROKEN, '--message', MESSAGE],
      /broken\.json:3:\d+: error at \/where/,
    ],
    [
      'message JSON that does not parse',
      ['--segment', SEGMENT, '--message', '{"channel":'],
      /--message is not valid JSON/,
    ],
    [
      'a message without a template',
      ['--segment', SEGMENT, '--message', '{"channel":"email","type":"campaign"}'],
      /--message.*template/,
    ],
    [
      'an unknown template',
      ['--segment', SEGMENT, '--message', '{"channel":"email","type":"campaign","template":"nope"}'],
      /--message template "nope"/,
    ],
    [
      'a template of the other channel',
      ['--segment', SEGMENT, '--message', '{"channel":"email","type":"campaign","template":"campaign-sms"}'],
      /is a sms template, the message is email/,
    ],
    [
      'a rate of zero',
      ['--segment', SEGMENT, '--message', MESSAGE, '--rate', '0'],
      /--rate "0" must be more than 0/,
    ],
    [
      'an instant that is not one',
      ['--segment', SEGMENT, '--message', MESSAGE, '--at', 'tomorrow'],
      /--at "tomorrow" is not an ISO instant/,
    ],
  ];
  test.each(cases)('%s', async (_what, args, expected) => {
    const r = await cli(['campaigns', 'start', 'bad-input', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  });

  test('a campaign name with a space, an unknown campaign, a schedule without a period', async () => {
    const name = await cli(['campaigns', 'start', 'spring sale', '--segment', SEGMENT, '--message', MESSAGE]);
    expect([name.code, name.stderr]).toEqual([
      2,
      expect.stringMatching(/campaign name "spring sale" may use/),
    ]);
    const unknown = await cli(['campaigns', 'status', 'never-started']);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      expect.stringMatching(/no campaign named "never-started"/),
    ]);
    const schedule = await cli(['schedules', 'create', 's1', '--segment', SEGMENT, '--message', MESSAGE]);
    expect([schedule.code, schedule.stderr]).toEqual([2, expect.stringMatching(/exactly one of --every/)]);
    const overlap = await cli([
      'schedules',
      'create',
      's1',
      '--segment',
      SEGMENT,
      '--message',
      MESSAGE,
      '--every',
      '1h',
      '--overlap',
      'sometimes',
    ]);
    expect([overlap.code, overlap.stderr]).toEqual([
      2,
      expect.stringMatching(/--overlap "sometimes" is not one of: skip, buffer-one/),
    ]);
  });
});

test('start, status, pause, resume and cancel from the command line', async () => {
  // 2 messages/s: 120 contacts take a minute, so the cancel below comes before the end even on a busy machine
  // (each CLI command is a process of its own, seconds apiece under load).
  await seedAudience(h, 'cli', 120, { country: 'NL' });
  const start = await cli([
    'campaigns',
    'start',
    'cli-nl',
    '--segment',
    SEGMENT,
    '--message',
    MESSAGE,
    '--rate',
    '2',
    '--provider',
    'cli-test',
    '--ranges',
    '2',
    '--page-size',
    '10',
    '--at',
    '2026-11-24T14:00:00Z',
  ]);
  expect(start).toMatchObject({ code: 0, stdout: 'campaign-cli-nl\n' });

  await until(() => receivedPer(h, 'cli').size >= 2, 60_000);
  const paused = await cli(['campaigns', 'pause', 'cli-nl']);
  expect(paused.code).toBe(0);
  expect(paused.stdout).toMatch(/campaign campaign-cli-nl: paused/);
  const held = receivedPer(h, 'cli').size;
  const status = await cli(['campaigns', 'status', 'cli-nl', '--json']);
  const parsed = JSON.parse(status.stdout) as { state: string; counts: { decided: number; sent: number } };
  expect(parsed.state).toBe('paused');
  expect(parsed.counts.sent).toBe(held);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(receivedPer(h, 'cli').size).toBe(held);

  const resumed = await cli(['campaigns', 'resume', 'cli-nl']);
  expect(resumed.stdout).toMatch(/: running/);
  await until(() => receivedPer(h, 'cli').size > held, 30_000);
  const cancelled = await cli(['campaigns', 'cancel', 'cli-nl']);
  expect(cancelled.code).toBe(0);
  expect(cancelled.stdout).toMatch(/: cancelled/);
  const atCancel = receivedPer(h, 'cli').size;
  await new Promise((r) => setTimeout(r, 2_000));
  expect(receivedPer(h, 'cli').size).toBe(atCancel);
  expect(atCancel).toBeLessThan(120);
  // The name sent once: a second start is refused.
  const again = await cli(['campaigns', 'start', 'cli-nl', '--segment', SEGMENT, '--message', MESSAGE]);
  expect([again.code, again.stderr]).toEqual([2, expect.stringMatching(/already started/)]);
}, 180_000);

test('with no worker running: an ended campaign still has its status, and a running one says so within seconds', async () => {
  await seedAudience(h, 'idle', 3, { country: 'PT' });
  const started = await cli(['campaigns', 'start', 'idle-pt', '--segment', PT_SEGMENT, '--message', MESSAGE]);
  expect(started.code).toBe(0);
  await campaignsOf(h).result('idle-pt');
  await h.stopWorker();
  try {
    // Ended: its final status is Temporal's to give (the workflow's result), no worker needed.
    let t0 = Date.now();
    const ended = await cli(['campaigns', 'status', 'idle-pt', '--json']);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(ended.code).toBe(0);
    const parsed = JSON.parse(ended.stdout) as { state: string; counts: { sent: number } };
    expect(parsed).toMatchObject({ state: 'completed', counts: { decided: 3, sent: 3 } });
    const pause = await cli(['campaigns', 'pause', 'idle-pt']);
    expect([pause.code, pause.stderr]).toEqual([
      2,
      expect.stringMatching(/idle-pt.* has ended \(completed\)/),
    ]);

    // Running, but nobody to answer for it: said within seconds, with what to do; the campaign waits.
    const waiting = await cli([
      'campaigns',
      'start',
      'idle-pt2',
      '--segment',
      PT_SEGMENT,
      '--message',
      MESSAGE,
    ]);
    expect(waiting.code).toBe(0);
    for (const command of ['status', 'pause']) {
      // A query is answered in milliseconds when a worker runs: 10 s, not Temporal's 30 s or an update's forever.
      t0 = Date.now();
      const r = await cli(['campaigns', command, 'idle-pt2']);
      expect([r.code, r.stderr]).toEqual([
        1,
        expect.stringMatching(/no worker polls task queue .*consentflow worker/),
      ]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(Date.now() - t0).toBeLessThan(25_000);
    }
  } finally {
    await h.startWorker();
  }
  expect((await campaignsOf(h).result('idle-pt2')).counts.sent).toBe(3);
}, 180_000);

test('a terminated campaign: its status counts what the contact store holds of it', async () => {
  // 4 contacts (1 with its email unsubscribed) at 1 message/s, terminated after the first send: no result.
  await seedAudience(h, 'term', 3, { country: 'SE' });
  await seedAudience(h, 'termx', 1, { country: 'SE', emailStatus: 'unsubscribed' });
  const start = ['campaigns', 'start', 'term-se', '--segment', SE_SEGMENT, '--message', MESSAGE];
  expect((await cli([...start, '--rate', '1', '--provider', 'term-test'])).code).toBe(0);
  await until(() => receivedPer(h, 'term').size >= 1, 60_000);
  await h.client.workflow.getHandle('campaign-term-se').terminate('test: an operator stopped it');
  // A call already in flight is heard to its end (and recorded); none starts after the activity hears of it.
  await new Promise((r) => setTimeout(r, 3_000));
  const sent = receivedPer(h, 'term').size;

  const status = await cli(['campaigns', 'status', 'term-se', '--json']);
  expect(status.code).toBe(0);
  const parsed = JSON.parse(status.stdout) as { state: string; store?: Record<string, number> };
  expect(parsed.state).toBe('terminated');
  expect(parsed.store).toMatchObject({ enqueued: 3, suppressed: 1, sent });
  const { enqueued, sent: sentRows, dropped, failed, pending } = parsed.store!;
  expect(sentRows! + dropped! + failed! + pending!).toBe(enqueued);
  const text = await cli(['campaigns', 'status', 'term-se']);
  expect(text.stdout).toMatch(
    /terminated\n[\s\S]*from the contact store: enqueued 3 \(sent \d, [\s\S]*suppressed 1\n/,
  );
}, 120_000);
