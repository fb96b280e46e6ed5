// Property comparisons for custom-event filters and branches. Pure, so the client can pre-filter triggers
// with the same code the workflow branches with.
import type { Comparison } from './definitions';

export function propertyAt(properties: Record<string, unknown>, dotPath: string): unknown {
  let value: unknown = properties;
  for (const key of dotPath.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function compare(actual: unknown, c: Comparison): boolean {
  switch (c.op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'eq':
      return actual === c.value;
    case 'neq':
      return actual !== c.value;
    case 'in':
      return Array.isArray(c.value) && c.value.includes(actual);
    default: {
      if (typeof actual !== 'number' || typeof c.value !== 'number') return false;
      if (c.op === 'gt') return actual > c.value;
      if (c.op === 'gte') return actual >= c.value;
      if (c.op === 'lt') return actual < c.value;
      return actual <= c.value;
    }
  }
}

/** All comparisons hold (an empty or absent list holds). */
export function matches(properties: Record<string, unknown>, where: Comparison[] | undefined): boolean {
  return (where ?? []).every((c) => compare(propertyAt(properties, c.property), c));
}
