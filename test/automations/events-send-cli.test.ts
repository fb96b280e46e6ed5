// `consentflow events send` when a trigger filter does not match: the user learns which automation listens for
// the event and which condition failed, not that nothing listens at all.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { AUTOMATIONS_DIR } from '../../client/definitions';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

function send(args: string[]) {
  const out = spawnSync(process.execPath, [BIN, 'events', 'send', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    // A queue no worker polls: nothing this test sends may start a journey anywhere.
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `events-send-cli-${process.pid}`,
    },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('consentflow events send', () => {
  test('a trigger filter that does not match names the automation, the condition and the values', () => {
    const r = send(['trial_started', '--contact', 'c-1', '--props', '{"plan":"free"}']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/no automation is triggered/);
    expect(r.stdout).toContain('"trial-started"');
    expect(r.stdout).toMatch(/"plan".*\["pro","team"\].*"free"/);
  });

  test('with other definitions (--automations): a long actual value is bounded', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-events-'));
    cpSync(AUTOMATIONS_DIR, dir, { recursive: true });
    const file = path.join(dir, 'events', 'trial-started.json');
    const d = JSON.parse(readFileSync(file, 'utf8')) as { trigger: { where: unknown[] } };
    d.trigger.where = [{ property: 'source.campaign', op: 'eq', value: 'spring' }];
    writeFileSync(file, JSON.stringify(d, null, 2));
    const long = 'autumn-'.repeat(400);
    const r = send([
      'trial_started',
      '--contact',
      'c-2',
      '--automations',
      dir,
      '--props',
      JSON.stringify({ source: { campaign: long } }),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"source\.campaign".*= "spring".*"autumn-autumn-/);
    expect(r.stdout).not.toContain(long);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThan(200);
  });

  test('broken definitions are bad input: exit 2, every problem listed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-events-'));
    cpSync(AUTOMATIONS_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'order.json'), '{ "kind": "order", }');
    const r = send(['trial_started', '--contact', 'c-3', '--automations', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/order\.json:1:\d+/);
    expect(r.stderr).not.toMatch(/position \d+|\n\s+at /);
  });

  test('--props that is not JSON gives the column, not a character position', () => {
    const r = send(['trial_started', '--contact', 'c-4', '--props', '{"plan": pro}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--props is not valid JSON (column 10');
    expect(r.stderr).not.toMatch(/position \d+/);
  });
});
