// Loading a folder of rule files: every problem named by file, JSON pointer and a fix; the version hash.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRuleSet, RuleSetError, type RuleProblem } from '../../rules/index';
import { RULES_DIR, copyRules } from './support';
import { ruleFileSchemaText, RULE_FILE_SCHEMA_PATH } from '../../rules/schema/generate';

let copy: ReturnType<typeof copyRules> | undefined;
afterEach(() => copy?.remove());

function problemsOf(edit: (c: ReturnType<typeof copyRules>) => void): RuleProblem[] {
  copy = copyRules();
  edit(copy);
  try {
    loadRuleSet(copy.dir);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleSetError);
    return (err as RuleSetError).problems;
  }
  throw new Error('the broken rules loaded without error');
}

describe('the default rules', () => {
  it('load, with a short version hash', () => {
    const rs = loadRuleSet(RULES_DIR);
    expect(rs.hash).toMatch(/^[0-9a-f]{12}$/);
    expect(rs.files.map((f) => f.name)).toContain('gates.json');
  });

  it('every file names the committed JSON Schema, which equals the one generated from the TypeBox source', () => {
    // compared as JSON, so prettier may format the committed file
    expect(JSON.parse(readFileSync(RULE_FILE_SCHEMA_PATH, 'utf8'))).toEqual(JSON.parse(ruleFileSchemaText()));
    for (const f of loadRuleSet(RULES_DIR).files) {
      const json = JSON.parse(readFileSync(path.join(RULES_DIR, f.name), 'utf8')) as { $schema?: string };
      expect(path.resolve(RULES_DIR, json.$schema ?? '')).toBe(RULE_FILE_SCHEMA_PATH);
    }
  });
});

describe('version hash', () => {
  it('ignores formatting and key order but changes with any rule', () => {
    const base = loadRuleSet(RULES_DIR).hash;
    copy = copyRules();
    const file = path.join(copy.dir, 'gates.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(json).reverse());
    writeFileSync(file, JSON.stringify(reordered));
    expect(loadRuleSet(copy.dir).hash).toBe(base);
    copy.edit('matrix.email.json', (j) => {
      j.rows[0].reaches.push('non_subscribed');
    });
    expect(loadRuleSet(copy.dir).hash).not.toBe(base);
  });
});

describe('problems a marketer can fix', () => {
  it('broken JSON: file, line and column', () => {
    const [p, ...rest] = problemsOf((c) =>
      writeFileSync(path.join(c.dir, 'gates.json'), '{\n  "kind": "gates",\n  "gates": [,]\n}'),
    );
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file: 'gates.json', pointer: '' });
    expect(p!.message).toMatch(/not valid JSON \(line 3, column \d+\)/);
  });

  it('a misspelt message type: pointer to the row, and a suggestion', () => {
    const problems = problemsOf((c) =>
      c.edit('matrix.sms.json', (j) => (j.rows[3].type = 'abandoned_carts')),
    );
    expect(problems).toEqual([
      {
        file: 'matrix.sms.json',
        pointer: '/rows/3/type',
        message: '"abandoned_carts" is not a message type of message-types.json',
        hint: expect.stringContaining('Did you mean "abandoned_cart"?') as unknown,
      },
    ]);
  });

  it('an unknown property and a wrong column name, both reported', () => {
    const problems = problemsOf((c) =>
      c.edit('matrix.email.json', (j) => {
        j.rows[0].reach = ['subscribed'];
        j.rows[5].reaches = ['subscribed', 'nonsubscribed'];
      }),
    );
    expect(problems.map((p) => p.pointer)).toEqual(['/rows/0/reach', '/rows/5/reaches/1']);
    expect(problems[0]!.hint).toContain('Did you mean "reaches"?');
    expect(problems[1]!.hint).toContain('"non_subscribed"');
  });

  it('a missing or unknown kind', () => {
    const problems = problemsOf((c) => {
      c.edit('gates.json', (j) => delete j.kind);
      c.edit('regions.json', (j) => (j.kind = 'region'));
    });
    expect(problems).toEqual([
      expect.objectContaining({ file: 'gates.json', pointer: '/kind', message: '"kind" is missing' }),
      expect.objectContaining({
        file: 'regions.json',
        pointer: '/kind',
        hint: expect.stringContaining('Did you mean "regions"?') as unknown,
      }),
    ]);
  });

  it('a region naming a matrix that does not exist, or one of the wrong channel', () => {
    const problems = problemsOf((c) =>
      c.edit('regions.json', (j) => {
        j.regions[0].matrices.sms = 'sms.usa';
        j.regions[1].matrices.sms = 'email';
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'regions.json',
        pointer: '/regions/0/matrices/sms',
        message: 'matrix "sms.usa" does not exist',
        hint: expect.stringContaining('Did you mean "sms.us"?') as unknown,
      }),
      expect.objectContaining({
        file: 'regions.json',
        pointer: '/regions/1/matrices/sms',
        message: 'matrix "email" is for email, not sms',
      }),
    ]);
  });

  it('a message type listed twice in one matrix', () => {
    const problems = problemsOf((c) =>
      c.edit('matrix.sms.us.json', (j) => j.rows.push({ type: 'campaign', reaches: [] })),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'matrix.sms.us.json',
        pointer: '/rows/15/type',
        message: '"campaign" has a second row',
      }),
    ]);
  });

  it('quiet hours: a window that ends before it starts, an unknown region, a time in the wrong form', () => {
    const problems = problemsOf((c) =>
      c.edit('quiet-hours.json', (j) => {
        j.windows[0].from = '21:00';
        j.windows[0].until = '08:00';
        j.windows[1].region = 'europe';
      }),
    );
    expect(problems.map((p) => `${p.pointer} ${p.message}`)).toEqual([
      '/windows/0/until the window closes (08:00) before it opens (21:00); a window cannot run across midnight',
      '/windows/1/region region "europe" does not exist',
    ]);
    const form = problemsOf((c) => c.edit('quiet-hours.json', (j) => (j.windows[0].from = '8am')));
    expect(form).toEqual([
      expect.objectContaining({
        pointer: '/windows/0/from',
        hint: expect.stringContaining('HH:MM') as unknown,
      }),
    ]);
  });

  it('gates: an unknown fact, a value the fact never takes, a list where one value is needed', () => {
    const problems = problemsOf((c) =>
      c.edit('gates.json', (j) => {
        j.gates[0].when.all[0].fact = 'activ';
        j.gates[1].when.all[0].value = ['hard_bounced', 'hardbounced'];
        j.gates[3].when.all[0].operator = 'in';
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'gates.json',
        pointer: '/gates/0/when/all/0/fact',
        hint: expect.stringContaining('Did you mean "active"?') as unknown,
      }),
    ]);
    const semantic = problemsOf((c) =>
      c.edit('gates.json', (j) => {
        j.gates[1].when.all[0].value = ['hard_bounced', 'hardbounced'];
        j.gates[3].when.all[0].operator = 'in';
      }),
    );
    expect(semantic.map((p) => p.pointer)).toEqual([
      '/gates/1/when/all/0/value/1',
      '/gates/3/when/all/0/value',
    ]);
    expect(semantic[0]!.hint).toContain('Did you mean "hard_bounced"?');
  });

  it('a gate message that would write an address into every decision', () => {
    const problems = problemsOf((c) =>
      c.edit('gates.json', (j) => (j.gates[0].message = 'Deactivated; ask support@shop.example.')),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/gates/0/message',
        message: expect.stringContaining('e-mail address') as unknown,
      }),
    ]);
  });

  it('a missing part of the rule set', () => {
    const problems = problemsOf((c) => rmSync(path.join(c.dir, 'message-types.json')));
    expect(problems).toEqual([
      expect.objectContaining({ file: '(folder)', message: 'no file of kind "message-types"' }),
    ]);
  });

  it('a folder that does not exist', () => {
    expect(() => loadRuleSet('/nonexistent/rules')).toThrow(/cannot read the rules folder/);
  });

  it('the error message names the first problem', () => {
    problemsOf((c) => c.edit('matrix.sms.json', (j) => (j.channel = 'push')));
    expect(() => loadRuleSet(copy!.dir)).toThrow(/matrix\.sms\.json at \/channel/);
  });
});
