// `consentflow automations validate` as a marketer meets it: every file checked, each problem on one line with
// file, line:column, JSON pointer and how to fix it; exit 2 when any file is bad.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { AUTOMATIONS_DIR } from '../../client/definitions';

const BIN = path.join(REPO_ROOT, 'bin', 'consentflow.mjs');

function validate(args: string[]) {
  const out = spawnSync(process.execPath, [BIN, 'automations', 'validate', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr, all: out.stdout + out.stderr };
}

function copyOfAutomations(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-validate-'));
  cpSync(AUTOMATIONS_DIR, dir, { recursive: true });
  return dir;
}

type Json = Record<string, unknown> & Record<string, never>;
/** Edits one definition file as data and writes it back pretty-printed (as a marketer's editor would). */
function edit(dir: string, file: string, change: (d: Json) => void): string {
  const full = path.join(dir, file);
  const data = JSON.parse(readFileSync(full, 'utf8')) as Json;
  change(data);
  const text = `${JSON.stringify(data, null, 2)}\n`;
  writeFileSync(full, text);
  return text;
}

/** 1-based line of the first occurrence of `needle` in `text`. */
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

/** Problem lines ("file:line:col: error at /pointer: ..."), not the ok lines or the summary. */
const problemLines = (output: string) => output.split('\n').filter((l) => /: (error|warning)\b/.test(l));

describe('consentflow automations validate', () => {
  test('the shipped definitions are valid: exit 0, one ok line per file', () => {
    const r = validate([]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok\s+.*welcome\.json/);
    expect(r.stdout).toMatch(/ok\s+.*trial-started\.json/);
  });

  test('a misspelt message type is one line: where, the allowed types and the near miss', () => {
    const dir = copyOfAutomations();
    const text = edit(dir, 'abandoned-cart.json', (d) => {
      (d.checkoutReminders as unknown as Json[])[1]!.type = 'abandoned_chekout' as never;
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toContain('abandoned-cart.json');
    expect(line).toContain(`:${lineOf(text, 'abandoned_chekout')}:`);
    expect(line).toContain('/checkoutReminders/1/type');
    expect(line).toContain('"abandoned_chekout"');
    expect(line).toContain('is not one of');
    for (const allowed of ['welcome', 'order_confirmation', 'custom_event']) expect(line).toContain(allowed);
    expect(line).toMatch(/did you mean "abandoned_checkout"/i);
    expect(line).not.toContain('must be equal to constant');
  });

  test('a misspelt type deep inside a custom-event branch is one line too', () => {
    const dir = copyOfAutomations();
    edit(dir, 'events/trial-started.json', (d) => {
      const steps = d.steps as unknown as { branch: { then: { send: { type: string } }[] } }[];
      steps[2]!.branch.then[0]!.send.type = 'custom_evnt';
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('/steps/2/branch/then/0/send/type');
    expect(lines[0]).toMatch(/did you mean "custom_event"/i);
  });

  test('a duration typo is one line saying which forms are accepted, with an example', () => {
    const dir = copyOfAutomations();
    const text = edit(dir, 'order.json', (d) => {
      d.closeAfter = '30 dayz' as never;
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('order.json');
    expect(lines[0]).toContain(`:${lineOf(text, '30 dayz')}:`);
    expect(lines[0]).toContain('/closeAfter');
    expect(lines[0]).toContain('"30 dayz"');
    expect(lines[0]).toMatch(/"2 days"/);
    expect(lines[0]).toMatch(/milliseconds/);
  });

  test('a negative wait in a custom-event journey is one line about durations', () => {
    const dir = copyOfAutomations();
    edit(dir, 'events/trial-started.json', (d) => {
      (d.steps as unknown as unknown[]).push({ wait: -5 });
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('/steps/3/wait');
    expect(lines[0]).toMatch(/"2 days"/);
  });

  test('every file is checked: two bad files are both reported, the good ones still say ok', () => {
    const dir = copyOfAutomations();
    edit(dir, 'welcome.json', (d) => {
      (d.steps as unknown as Json[])[0]!.chanel = 'email' as never;
    });
    edit(dir, 'order.json', (d) => {
      (d.confirmation as unknown as Json[])[1]!.channel = 'fax' as never;
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines.some((l) => l.includes('welcome.json') && l.includes('/steps/0/chanel'))).toBe(true);
    expect(lines.some((l) => l.includes('order.json') && l.includes('/confirmation/1/channel'))).toBe(true);
    expect(r.stdout).toMatch(/ok\s+.*abandoned-cart\.json/);
    expect(r.all).toMatch(/2 of 4 files have errors/);
  });

  test('a JSON syntax error gives line and column, not a character position', () => {
    const dir = copyOfAutomations();
    const file = path.join(dir, 'welcome.json');
    const text = readFileSync(file, 'utf8').replace('"kind": "welcome",', '"kind": "welcome",,');
    writeFileSync(file, text);
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    const line = lineOf(text, ',,');
    const column = text.split('\n')[line - 1]!.indexOf(',,') + 2;
    expect(lines[0]).toContain(`welcome.json:${line}:${column}`);
    expect(lines[0]).toMatch(/not valid JSON/);
    expect(r.all).not.toMatch(/position \d+/);
    expect(r.stdout).toMatch(/ok\s+.*order\.json/);
  });

  test('a template id that does not exist is reported with the near miss, or the known ids', () => {
    const dir = copyOfAutomations();
    const text = edit(dir, 'welcome.json', (d) => {
      const steps = d.steps as unknown as Json[];
      steps[1]!.template = 'welcome-2-emial' as never;
      steps[2]!.template = 'totally-unknown' as never;
    });
    const r = validate([dir]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(2);
    const near = lines.find((l) => l.includes('/steps/1/template'))!;
    expect(near).toContain(`:${lineOf(text, 'welcome-2-emial')}:`);
    expect(near).toContain('"welcome-2-emial"');
    expect(near).toMatch(/did you mean "welcome-2-email"/i);
    const far = lines.find((l) => l.includes('/steps/2/template'))!;
    expect(far).toContain('"totally-unknown"');
    expect(far).toContain('welcome-sms');
    expect(far).toContain('order-confirmation-email');
  });

  test('a journey sending a transactional type is a warning naming the step; --strict makes it fail', () => {
    const dir = copyOfAutomations();
    edit(dir, 'events/trial-started.json', (d) => {
      const steps = d.steps as unknown as {
        waitForEvent: { onTimeout: { send: { type: string } }[] };
      }[];
      steps[1]!.waitForEvent.onTimeout[0]!.send.type = 'order_confirmation';
    });
    const r = validate([dir]);
    expect(r.code).toBe(0);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/warning/);
    expect(lines[0]).toContain('trial-started.json');
    expect(lines[0]).toContain('/steps/1/waitForEvent/onTimeout/0/send/type');
    expect(lines[0]).toMatch(/transactional/);
    expect(lines[0]).toMatch(/quiet hours/);
    const strict = validate([dir, '--strict']);
    expect(strict.code).toBe(2);
  });

  test('a marketing email template without {{unsubscribe_url}} fails; a transactional one needs none', () => {
    const templates = mkdtempSync(path.join(os.tmpdir(), 'cf-templates-'));
    cpSync(path.join(REPO_ROOT, 'templates'), templates, { recursive: true });
    const file = path.join(templates, 'welcome-2-email.json');
    const t = JSON.parse(readFileSync(file, 'utf8')) as { text: string };
    t.text = t.text.replace(/\n\n--[\s\S]*$/, '');
    expect(t.text).not.toContain('unsubscribe_url');
    writeFileSync(file, JSON.stringify(t, null, 2));
    const r = validate(['--templates', templates]);
    expect(r.code).toBe(2);
    const lines = problemLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('welcome.json');
    expect(lines[0]).toContain('/steps/1/template');
    expect(lines[0]).toContain('{{unsubscribe_url}}');
    // order-confirmation-email has no link and is not reported: order_confirmation is transactional.
    expect(readFileSync(path.join(templates, 'order-confirmation-email.json'), 'utf8')).not.toContain(
      'unsubscribe_url',
    );
  });

  test('a folder that does not exist is one line, exit 2', () => {
    const r = validate([path.join(os.tmpdir(), 'no-such-automations-dir')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-automations-dir');
    expect(r.all).not.toMatch(/ENOENT|at .*\.ts:\d+/);
  });
});
