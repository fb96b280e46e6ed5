// Why an app event reached no automation. "No automation is triggered by this event" is wrong when one
// listens for the name but its trigger filter did not hold: say which automation, which condition, what it
// expected and what the event carried.
import { matches, propertyAt } from '../workflows/conditions';
import type { Comparison, EventAutomationDefinition, EventStep } from '../workflows/definitions';
import { suggest } from '../rules/problems';
import { shown } from './definition-problems';

const EXPECTED: Partial<Record<string, (value: unknown) => string>> = {
  eq: (v) => `= ${shown(v)}`,
  neq: (v) => `not ${shown(v)}`,
  gt: (v) => `> ${shown(v)}`,
  gte: (v) => `>= ${shown(v)}`,
  lt: (v) => `< ${shown(v)}`,
  lte: (v) => `<= ${shown(v)}`,
  exists: () => 'present',
  in: (v) => `one of ${shown(v)}`,
};

/** Whether a journey waits for events of this name anywhere in its steps. */
export function waitsFor(steps: EventStep[], name: string): boolean {
  return steps.some((s) => {
    if ('waitForEvent' in s)
      return s.waitForEvent.name === name || waitsFor(s.waitForEvent.onTimeout ?? [], name);
    if ('branch' in s) return waitsFor(s.branch.then, name) || waitsFor(s.branch.else ?? [], name);
    return false;
  });
}

function eventNames(steps: EventStep[]): string[] {
  return steps.flatMap((s) => {
    if ('waitForEvent' in s) return [s.waitForEvent.name, ...eventNames(s.waitForEvent.onTimeout ?? [])];
    if ('branch' in s) return [...eventNames(s.branch.then), ...eventNames(s.branch.else ?? [])];
    return [];
  });
}

/** One line per failing condition of a trigger: where it is written, what it expects, what the event had. */
export function failedConditions(
  where: Comparison[] | undefined,
  properties: Record<string, unknown>,
): string[] {
  return (where ?? []).flatMap((c, i) => {
    if (matches(properties, [c])) return [];
    const actual = propertyAt(properties, c.property);
    return [
      `trigger.where[${i}]: property "${c.property}" should be ${(EXPECTED[c.op] ?? ((v) => `${c.op} ${shown(v)}`))(c.value)}, ` +
        `the event has ${actual === undefined ? 'no such property' : shown(actual)}`,
    ];
  });
}

/**
 * Lines explaining why an event named `name` with `properties` reached no workflow, given the custom-event
 * definitions the client knows.
 */
export function explainUnreached(
  definitions: readonly EventAutomationDefinition[],
  name: string,
  properties: Record<string, unknown>,
): string[] {
  const lines: string[] = [];
  for (const d of definitions) {
    if (d.trigger.event !== name) continue;
    const failed = failedConditions(d.trigger.where, properties);
    if (failed.length === 0) continue;
    lines.push(
      `automation "${d.id}" is triggered by "${name}", but not by this one:`,
      ...failed.map((f) => `  ${f}`),
    );
  }
  const waiting = definitions.filter((d) => waitsFor(d.steps, name)).map((d) => `"${d.id}"`);
  if (waiting.length > 0)
    lines.push(
      `automation${waiting.length > 1 ? 's' : ''} ${waiting.join(', ')} wait${waiting.length > 1 ? '' : 's'} for ` +
        `"${name}" inside a running journey, and none is running for this contact`,
    );
  if (lines.length > 0) return lines;
  const known = [...new Set(definitions.flatMap((d) => [d.trigger.event, ...eventNames(d.steps)]))].sort();
  const near = suggest(name, known).trim();
  return [
    `no automation is triggered by or waits for "${name}"` +
      (known.length ? `; the events automations listen for: ${known.join(', ')}` : '') +
      (near ? `. ${near}` : ''),
  ];
}
