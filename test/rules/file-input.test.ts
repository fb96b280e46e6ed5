// What an editor or a careless save does to a rule file: byte-order marks, empty files, other encodings,
// invisible characters, a "$schema" that points elsewhere, quiet-hours edge times. Each is either accepted
// as a marketer would expect or named in plain words, with where and how to fix it.
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { mkdirSync, readFileSync, rmSync, writeFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet, RuleSetError, type RuleProblem } from '../../rules/index';
import { RULES_DIR, contact, copyRules, msg, sub } from './support';

let copy: ReturnType<typeof copyRules> | undefined;
afterEach(() => copy?.remove());

function load(edit: (c: ReturnType<typeof copyRules>) => void) {
  copy = copyRules();
  edit(copy);
  return loadRuleSet(copy.dir);
}

function problemsOf(edit: (c: ReturnType<typeof copyRules>) => void): RuleProblem[] {
  try {
    load(edit);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleSetError);
    return (err as RuleSetError).problems;
  }
  throw new Error('the broken rules loaded without error');
}

const rewrite = (c: ReturnType<typeof copyRules>, file: string, fn: (text: string) => string | Buffer) => {
  const p = path.join(c.dir, file);
  writeFileSync(p, fn(readFileSync(p, 'utf8')));
};

describe('encodings and empty files', () => {
  it('a file saved with a UTF-8 byte-order mark loads, with the same version as without', () => {
    const base = loadRuleSet(RULES_DIR).hash;
    const rs = load((c) => {
      rewrite(c, 'gates.json', (t) => `\uFEFF${t}`);
      rewrite(c, 'regions.json', (t) => `\uFEFF${t}`);
    });
    expect(rs.hash).toBe(base);
  });

  it('an empty file (or only blanks) says it is empty, not that it "ends too early"', () => {
    for (const content of ['', '  \n\n', '\uFEFF']) {
      const problems = problemsOf((c) => writeFileSync(path.join(c.dir, 'quiet-hours.json'), content));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file: 'quiet-hours.json', pointer: '' });
      expect(problems[0]!.message).toMatch(/is empty/);
      expect(problems[0]!.message).not.toMatch(/too early/);
      copy!.remove();
    }
  });

  it('a file saved as UTF-16 is named as such, with the fix', () => {
    const problems = problemsOf((c) =>
      rewrite(c, 'gates.json', (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/UTF-16/);
    expect(problems[0]!.hint).toMatch(/UTF-8/);
  });

  it('an invisible character is named by its code point, and the hint is not about commas', () => {
    const problems = problemsOf((c) => rewrite(c, 'gates.json', (t) => t.replace('"kind"', '\u00a0"kind"')));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/U\+00A0/);
    expect(problems[0]!.message).toMatch(/line 3, column 3/);
    expect(problems[0]!.hint).not.toMatch(/comma/);
    expect(problems[0]!.hint).toMatch(/invisible/);
  });

  it('a folder named like a rule file, or an unreadable file, is a problem, not a crash', () => {
    const problems = problemsOf((c) => mkdirSync(path.join(c.dir, 'extra.json')));
    expect(problems).toEqual([
      expect.objectContaining({ file: 'extra.json', message: expect.stringMatching(/folder/) as unknown }),
    ]);
  });
});

describe('"$schema"', () => {
  it('a copy of the rules in another folder, without the schema folder, still loads', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-rules-flat-'));
    try {
      cpSync(RULES_DIR, dir, {
        recursive: true,
        filter: (src) => !src.endsWith('.ts') && !src.includes('schema'),
      });
      expect(loadRuleSet(dir).hash).toBe(loadRuleSet(RULES_DIR).hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('any path to rule-file.schema.json, or its URL, is accepted; it does not change the version', () => {
    const base = loadRuleSet(RULES_DIR).hash;
    const rs = load((c) => {
      c.edit('gates.json', (j) => (j.$schema = '../../elsewhere/rule-file.schema.json'));
      c.edit('regions.json', (j) => (j.$schema = 'https://consentflow.dev/schema/rule-file.schema.json'));
      c.edit('quiet-hours.json', (j) => delete j.$schema);
    });
    expect(rs.hash).toBe(base);
  });

  it('a "$schema" naming another schema is a problem that says which one to write', () => {
    const problems = problemsOf((c) => {
      c.edit('gates.json', (j) => (j.$schema = './schema/automation.schema.json'));
      c.edit('regions.json', (j) => (j.$schema = 'http://json-schema.org/draft-07/schema#'));
    });
    expect(problems.map((p) => `${p.file} ${p.pointer}`)).toEqual([
      'gates.json /$schema',
      'regions.json /$schema',
    ]);
    expect(problems[0]!.message).toMatch(/automation\.schema\.json/);
    expect(problems[0]!.hint).toContain('rule-file.schema.json');
  });
});

describe('quiet-hours times', () => {
  it('from equal to until is called an empty window, not one that ends before it starts', () => {
    const problems = problemsOf((c) =>
      c.edit('quiet-hours.json', (j) => {
        j.windows[0].from = '09:00';
        j.windows[0].until = '09:00';
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.pointer).toBe('/windows/0');
    expect(problems[0]!.message).toMatch(/empty/);
    expect(problems[0]!.message).not.toMatch(/before it starts/);
  });

  it('until "24:00" is the end of the day: a message at 23:30 local time goes out', () => {
    const rs = load((c) =>
      c.edit('quiet-hours.json', (j) => {
        j.windows[1].from = '10:00';
        j.windows[1].until = '24:00';
      }),
    );
    const c = contact({ country: 'DE', timezone: 'Europe/Berlin' }, [sub('sms', 'subscribed')]);
    const late = decideSend(rs, {
      contact: c,
      message: msg('sms', 'campaign'),
      at: new Date('2026-06-15T21:30:00Z'),
    });
    expect(late.verdict).toBe('send');
    const early = decideSend(rs, {
      contact: c,
      message: msg('sms', 'campaign'),
      at: new Date('2026-06-15T06:30:00Z'),
    });
    expect(early).toMatchObject({ verdict: 'defer', notBefore: '2026-06-15T08:00:00.000Z' });
  });

  it('from "24:00" is refused in words', () => {
    const problems = problemsOf((c) => c.edit('quiet-hours.json', (j) => (j.windows[0].from = '24:00')));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.pointer).toBe('/windows/0/from');
    expect(problems[0]!.message).toMatch(/end of the day/);
  });
});
