// Issue 11 at the command line: `consentflow decide`, `rules explain` and `rules validate` given deeply
// nested, huge or out-of-range input answer with a clear, bounded error and the right exit code.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../rules/decide-lines';
import { REPO, contact, copyRules, sub } from './support';

const { CONSENTFLOW_RULES: _ignored, ...cleanEnv } = process.env;
// Each case starts the real CLI (tsx start-up: 1-2 s idle, far more on a loaded machine), so they are few.

function cli(args: string[], input: string | Buffer = '', env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/consentflow.mjs', ...args], {
    cwd: REPO,
    input,
    env: { ...cleanEnv, ...env },
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

const message = { channel: 'email', type: 'campaign' };
const ok = (id: string) =>
  JSON.stringify({ id, contact: contact({}, [sub('email', 'subscribed')]), message });
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const answers = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map(
      (l) => JSON.parse(l) as { id?: string; verdict?: string; error?: { message: string; path: string } },
    );

describe('consentflow decide with hostile lines', () => {
  it('a line nested thousands of levels deep gets an error line; every other line is answered; exit 2', () => {
    const lines = [
      ok('a'),
      `{"id":"deep","contact":${deep(5000)},"message":{"channel":"email","type":"campaign"}}`,
      ok('b'),
      `{"contact": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
      ok('c'),
    ];
    const r = cli(['decide'], `${lines.join('\n')}\n`);
    expect(r.stderr).not.toMatch(/call stack/);
    expect(r.code).toBe(2);
    const out = answers(r.stdout);
    expect(out).toHaveLength(5);
    expect(out[0]).toMatchObject({ id: 'a', verdict: 'send' });
    expect(out[1]!.error!.message).toMatch(/levels deep/);
    expect(out[2]).toMatchObject({ id: 'b', verdict: 'send' });
    expect(out[3]!.error!.message).toMatch(/levels deep/);
    expect(out[4]).toMatchObject({ id: 'c', verdict: 'send' });
  });

  it('a line over the limit is rejected by number, without echoing it; small output', () => {
    const huge = JSON.stringify({
      id: 'big',
      contact: { ...contact(), status: 'x'.repeat(12_000_000) },
      message,
    });
    const lines = [ok('a'), huge, ok('b'), `{"id":"${'y'.repeat(MAX_LINE_BYTES)}"}`, ok('c')];
    const r = cli(['decide'], `${lines.join('\r\n')}\r\n`);
    expect(r.code).toBe(2);
    expect(r.stdout.length, r.stdout.slice(0, 3000)).toBeLessThan(5000);
    const out = answers(r.stdout);
    expect(out.map((a) => a.id ?? a.error!.message)).toEqual([
      'a',
      expect.stringMatching(/^Line 2 is longer than 1,048,576 bytes/),
      'b',
      expect.stringMatching(/^Line 4 is longer than 1,048,576 bytes/),
      'c',
    ]);
  });

  it('a wrong value just under the limit is named with a bounded quote', () => {
    const line = JSON.stringify({
      id: 'w',
      contact: { ...contact(), status: 'x'.repeat(MAX_LINE_BYTES - 500) },
      message,
    });
    const r = cli(['decide'], line);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBeLessThan(1000);
    expect(answers(r.stdout)[0]).toMatchObject({ id: 'w', error: { path: '/contact/status' } });
  });

  it('priority 1e400 is an input error naming the field, as is 1e20', () => {
    const line = (p: string) =>
      `{"id":"p","contact":{"status":"subscribed","subscriptions":[{"resource":"s","channel":"email","address":"a@b.c","status":"subscribed","priority":${p}}]},"message":{"channel":"email","type":"campaign"}}`;
    const r = cli(['decide'], [line('1e400'), line('1e20'), line('-0')].join('\n'));
    expect(r.code).toBe(2);
    const [a, b, c] = answers(r.stdout);
    expect(a!.error!.path).toBe('/contact/subscriptions/0/priority');
    expect(b!.error!.path).toBe('/contact/subscriptions/0/priority');
    expect(c).toMatchObject({ id: 'p', verdict: 'send' });
  });
});

describe('consentflow decide when the contact store is down', () => {
  it('says which store could not be used and how to fix it, not the driver text; exit 1', () => {
    const line = JSON.stringify({ id: 's', contactId: 'c-1', message });
    const r = cli(['decide'], `${ok('a')}\n${line}\n`, {
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/nowhere',
    });
    expect(r.code).toBe(1);
    const [a, s] = answers(r.stdout);
    expect(a).toMatchObject({ id: 'a', verdict: 'send' });
    expect(s!.error!.path).toBe('/contactId');
    expect(s!.error!.message).toMatch(
      /127\.0\.0\.1:1\/nowhere could not be used \(ECONNREFUSED\).*DATABASE_URL/,
    );
    expect(s!.error!.message).not.toMatch(/connect ECONNREFUSED|secret/);
  });
});

describe('rules explain and rules validate with hostile input', () => {
  it('explain: deep nesting, huge values and over-long input are clear errors, exit 2', () => {
    const deepRequest = `{"contact":${deep(10_000)},"message":{"channel":"email","type":"campaign"}}`;
    for (const [input, words] of [
      [deepRequest, /levels deep/],
      [
        JSON.stringify({ contact: { ...contact(), status: 'q'.repeat(500_000) }, message }),
        /\/contact\/status/,
      ],
      [`{"contact":"${'z'.repeat(MAX_LINE_BYTES + 10)}"}`, /longer than 1,048,576 bytes/],
    ] as const) {
      const viaStdin = cli(['rules', 'explain'], input);
      expect(viaStdin.stderr).toMatch(words);
      expect(viaStdin.stderr).not.toMatch(/call stack|at .*\.ts:\d+/);
      expect(viaStdin.stderr.length).toBeLessThan(1000);
      expect(viaStdin.code).toBe(2);
    }
    const oddZone = JSON.stringify({
      contact: contact({ country: 'US', timezone: `Mars/${'m'.repeat(300_000)}` }, [
        sub('sms', 'subscribed'),
      ]),
      message: { channel: 'sms', type: 'campaign' },
      at: '2026-06-15T16:00:00Z',
    });
    const zoneAnswer = cli(['rules', 'explain'], oddZone);
    expect(zoneAnswer.code).toBe(0);
    expect(zoneAnswer.stdout).toMatch(
      /local time unknown \("Mars\/m+… \(300,005 characters\)" is not a known time zone\)/,
    );
    expect(zoneAnswer.stdout.length).toBeLessThan(20_000);
    const viaArgument = cli(['rules', 'explain', deepRequest]);
    expect(viaArgument.stderr).toMatch(/levels deep/);
    expect(viaArgument.code).toBe(2);
  }, 240_000);

  it('validate: a deeply nested or huge rule file is listed as a problem, not a crash', () => {
    const copy = copyRules();
    try {
      writeFileSync(path.join(copy.dir, 'deep-kind.json'), `{"kind": ${deep(20_000)}}`);
      copy.edit('quiet-hours.json', (j: { windows: unknown[] }) => j.windows.unshift('w'.repeat(2_000_000)));
      writeFileSync(
        path.join(copy.dir, 'gates.json'),
        `{"kind":"gates","gates":${'['.repeat(30_000)}1,,${']'.repeat(30_000)}}`,
      );
      const r = cli(['rules', 'validate', copy.dir]);
      expect(r.stderr).not.toMatch(/call stack/);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeLessThan(5000);
      expect(r.stdout).toContain('deep-kind.json');
      expect(r.stdout).toMatch(/quiet-hours\.json \/windows\/0: .*2,000,000 characters/);
      expect(r.stdout).toMatch(/gates\.json: .*line 1, column 30027/);
    } finally {
      copy.remove();
    }
  });
});
