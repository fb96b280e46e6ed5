// Automation definitions are data a marketer edits: validated on load with the file and JSON pointer of each
// problem, and their JSON Schema generated from the same TypeBox source as the workflow types.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { AUTOMATIONS_DIR, DefinitionError, loadAutomations, scaleDurations } from '../../client/definitions';
import { automationSchemaText } from '../../scripts/generate-schemas';

function copyOfAutomations(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-automations-'));
  cpSync(AUTOMATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('automation definitions', () => {
  test('the shipped definitions load, each with an id and a version', () => {
    const catalog = loadAutomations();
    expect(catalog.welcome.steps.length).toBeGreaterThan(1);
    expect(catalog.order.version).toBeGreaterThanOrEqual(1);
    expect(catalog.events.map((e) => e.trigger.event)).toContain('trial_started');
  });

  test('the committed JSON Schema is the one the TypeBox source generates', () => {
    const committed = readFileSync(path.join(AUTOMATIONS_DIR, 'schema', 'automation.schema.json'), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(automationSchemaText()));
  });

  test('a misspelled property and a bad duration are named with file and pointer', () => {
    const dir = copyOfAutomations();
    const file = path.join(dir, 'welcome.json');
    const welcome = JSON.parse(readFileSync(file, 'utf8')) as { steps: Record<string, unknown>[] };
    welcome.steps[1]!.after = 'two days';
    welcome.steps[2]!.chanel = 'sms';
    writeFileSync(file, JSON.stringify(welcome));
    let error: unknown;
    try {
      loadAutomations(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    const problems = (error as DefinitionError).problems.map((p) => p.pointer);
    expect(problems).toContain('/steps/1/after');
    expect(problems).toContain('/steps/2/chanel');
    expect((error as Error).message).toContain('welcome.json');
    expect((error as Error).message).toContain('unknown property "chanel"');
  });

  test('a custom-event step of an unknown shape is rejected, nested inside a branch', () => {
    const dir = copyOfAutomations();
    mkdirSync(path.join(dir, 'events'), { recursive: true });
    const file = path.join(dir, 'events', 'broken.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'broken',
        version: 1,
        kind: 'custom_event',
        trigger: { event: 'x' },
        steps: [{ branch: { if: [{ property: 'a', op: 'eq', value: 1 }], then: [{ sned: {} }] } }],
      }),
    );
    expect(() => loadAutomations(dir)).toThrow(/broken\.json/);
  });

  test('scaling turns every duration into milliseconds and leaves the rest alone', () => {
    const scaled = scaleDurations(loadAutomations().welcome, 1 / 86_400);
    expect(scaled.steps.map((s) => s.after)).toEqual([0, 2_000, 1_000]);
    expect(scaled.confirmationTimeout).toBe(7_000);
    expect(scaled.steps[0]!.template).toBe('welcome-1-email');
  });
});
