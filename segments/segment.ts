// A segment file, read and checked: every problem at once, each with where (JSON pointer and line:column),
// what and how to fix, the way `automations validate` reports definition files.
import { Ajv } from 'ajv';
import { IANAZone } from 'luxon';
import type { Static } from '@sinclair/typebox';
import { explainSchemaErrors } from '../client/definition-problems';
import { jsonSyntaxError, lineColumnAt, pointerOffset } from '../client/json-locate';
import type { SchemaProblem } from '../rules/problems';
import { SegmentSchema, type Segment as SegmentType } from './conditions';
import { semanticProblems } from './checks';

/** The TypeBox schema of a segment file; `Segment` is also its type. */
export const Segment = SegmentSchema;
export type Segment = SegmentType;
export type SegmentJson = Static<typeof SegmentSchema>;

export interface SegmentProblem extends SchemaProblem {
  /** The file, or "segment" when the text did not come from a file. */
  file: string;
  line: number;
  column: number;
}

/** A segment that cannot be used; `problems` has every one, `message` the first few as lines. */
export class SegmentError extends Error {
  constructor(readonly problems: SegmentProblem[]) {
    super(problems.map(formatSegmentProblem).join('\n'));
    this.name = 'SegmentError';
  }
}

/** One line: file:line:column, pointer, what is wrong and how to fix it. */
export function formatSegmentProblem(p: SegmentProblem): string {
  return `${p.file}:${p.line}:${p.column}: error${p.pointer ? ` at ${p.pointer}` : ''}: ${p.message}; ${p.hint}`;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const gate = ajv.compile(SegmentSchema);

/** Every problem of a segment file's text; [] when it is a usable segment. */
export function segmentProblems(text: string, file = 'segment'): SegmentProblem[] {
  const at = (p: SchemaProblem): SegmentProblem => ({
    file,
    ...p,
    ...lineColumnAt(text, pointerOffset(text, p.pointer)),
  });
  const syntax = jsonSyntaxError(text);
  if (syntax) {
    const { found, ...where } = syntax;
    return [
      {
        file,
        pointer: '',
        ...where,
        message: `not valid JSON: ${found}`,
        hint: 'double quotes around names and strings, a comma between entries and none after the last',
      },
    ];
  }
  const data = JSON.parse(text) as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return [
      at({
        pointer: '',
        message: 'must be a JSON object',
        hint: 'start the file with { "id": …, "where": … }',
      }),
    ];
  }
  const segment = data as SegmentType;
  if (!gate(data)) {
    const explained = explainSchemaErrors(SegmentSchema, data);
    const problems: SchemaProblem[] = explained.length
      ? explained.map((p) => ({ ...p, hint: p.hint.replace('docs/automations.md', 'docs/segments.md') }))
      : (gate.errors ?? []).map((e) => ({
          pointer: e.instancePath,
          message: e.message ?? 'is invalid',
          hint: 'see segments/schema/segment.schema.json and docs/segments.md',
        }));
    // Every problem at once: those of the conditions that do have their shape, too.
    const inside = (p: string, q: string) => p === q || p.startsWith(`${q}/`) || q.startsWith(`${p}/`);
    const more = semanticProblems(segment).filter((s) => !problems.some((p) => inside(s.pointer, p.pointer)));
    return [...problems, ...more].map(at);
  }
  const problems = semanticProblems(segment);
  if (segment.timezone !== undefined && !IANAZone.isValidZone(segment.timezone)) {
    problems.push({
      pointer: '/timezone',
      message: `"${segment.timezone}" is not an IANA time zone`,
      hint: 'write a zone name such as "UTC", "Europe/Berlin" or "America/New_York"',
    });
  }
  return problems.map(at);
}

/**
 * A segment from its JSON text (or an already parsed value, e.g. a campaign's input, located in its
 * indented JSON). Throws SegmentError naming every problem (file, line:column, JSON pointer, what and how to
 * fix); `file` is the name to show (default "segment").
 */
export function parseSegment(json: string | object, file?: string): Segment {
  const text = typeof json === 'string' ? json : JSON.stringify(json, null, 2);
  const problems = segmentProblems(text, file);
  if (problems.length > 0) throw new SegmentError(problems);
  return JSON.parse(text) as Segment;
}
