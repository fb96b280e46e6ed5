// Segment files as a marketer gets them wrong: every problem at once, each with file:line:column, the JSON
// pointer, what is wrong and how to fix it. The committed JSON Schema is the one the TypeBox source makes.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { SEGMENT_SCHEMA_PATH, segmentSchemaText } from '../../scripts/generate-schemas';
import { parseSegment, SegmentError, segmentProblems } from '../../segments/segment';

const problemsOf = (text: string) => segmentProblems(text, 'seg.json');

describe('segment files', () => {
  test('the examples in segments/ are valid', () => {
    const dir = path.join(REPO_ROOT, 'segments');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(segmentProblems(readFileSync(path.join(dir, f), 'utf8'), f)).toEqual([]);
  });

  test('the committed JSON Schema is generated from the TypeBox source', () => {
    expect(JSON.parse(readFileSync(SEGMENT_SCHEMA_PATH, 'utf8'))).toEqual(JSON.parse(segmentSchemaText()));
  });

  test('a JSON syntax error says where', () => {
    const [p] = problemsOf('{\n  "id": "x",\n  "where": { "status": "subscribed" },\n}\n');
    expect(p).toMatchObject({ line: 4, column: 1, pointer: '' });
    expect(p!.message).toMatch(/not valid JSON/);
  });

  test('a misspelt condition: its line and column, the pointer, and the fix', () => {
    const text =
      '{\n  "id": "x",\n  "where": {\n    "all": [\n      { "feild": "language", "eq": "de" }\n    ]\n  }\n}\n';
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ line: 5, column: 7, pointer: '/where/all/0' });
    expect(p!.hint).toMatch(/did you mean "field"/);
  });

  test('every problem at once, schema and meaning', () => {
    const text = JSON.stringify(
      {
        id: 'x',
        where: {
          all: [
            { field: 'language', eq: 'de', ne: 'fr' },
            { field: 'gender', eq: 'm' },
            { field: 'active', contains: 'yes' },
            { date: 'created_at' },
            { date: 'created_at', before: '2026-02-30' },
            { date: 'created_at', olderThan: '30 fortnights' },
            { status: 'subscribd' },
            { custom: 'plan' },
          ],
        },
      },
      null,
      2,
    );
    const problems = problemsOf(text);
    const at = (pointer: string) => problems.filter((p) => p.pointer.startsWith(pointer));
    expect(at('/where/all/0')[0]!.message).toMatch(/2 operators \(eq, ne\)/);
    expect(at('/where/all/1')[0]!.message).toMatch(/holds a number, but "m"/);
    expect(at('/where/all/2')[0]!.message).toMatch(/"contains" does not apply to the boolean field "active"/);
    expect(at('/where/all/3')[0]!.hint).toMatch(/olderThan/);
    expect(at('/where/all/4')[0]!.message).toMatch(/"2026-02-30" is not a calendar date/);
    expect(at('/where/all/5')[0]!.message).toMatch(/30 fortnights/);
    expect(at('/where/all/6')[0]!.message).toMatch(/"subscribd" is not one of: subscribed, unsubscribed/);
    expect(at('/where/all/6')[0]!.hint).toMatch(/did you mean "subscribed"/);
    expect(at('/where/all/7')[0]!.message).toMatch(/no operator/);
    for (const p of problems) {
      expect(p.line).toBeGreaterThan(1);
      expect(p.hint.length).toBeGreaterThan(5);
    }
  });

  test('an unknown property, a bad id, an unknown time zone', () => {
    const problems = problemsOf(
      JSON.stringify({ id: 'Bad Id', timezone: 'Mars/Base', wehre: { status: 'subscribed' } }),
    );
    const text = problems.map((p) => `${p.pointer} ${p.message} ${p.hint}`).join('\n');
    expect(text).toMatch(/\/id .*not in the expected form/);
    expect(text).toMatch(/"where" is missing|unknown property "wehre"/);
    const zone = problemsOf(
      JSON.stringify({ id: 'ok', timezone: 'Mars/Base', where: { status: 'subscribed' } }),
    );
    expect(zone).toMatchObject([{ pointer: '/timezone', message: '"Mars/Base" is not an IANA time zone' }]);
  });

  test('parseSegment throws every problem as one error, with file:line:column lines', () => {
    let caught: unknown;
    try {
      parseSegment('{"id": "x", "where": {"field": "language"}}', 'segments/x.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SegmentError);
    expect((caught as Error).message).toMatch(/^segments\/x\.json:1:13: error at \/where: .*no operator/);
  });

  test('a parsed value is checked the same way', () => {
    expect(parseSegment({ id: 'ok', where: { status: 'subscribed' } }).id).toBe('ok');
    expect(() => parseSegment({ id: 'ok', where: { status: 'subscribd' } }, 'input')).toThrow(
      /^input:4:5: error at \/where\/status: status "subscribd" is not one of/,
    );
  });

  test('too deep a nesting is refused, not compiled', () => {
    let where: unknown = { status: 'subscribed' };
    for (let i = 0; i < 20; i++) where = { not: where };
    const problems = problemsOf(JSON.stringify({ id: 'deep', where }));
    expect(problems.some((p) => /nest more than 16 levels/.test(p.message))).toBe(true);
  });
});
