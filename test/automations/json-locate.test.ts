// Line and column of a JSON pointer in the text a marketer edited, through strings that contain brackets,
// escaped quotes and pointer escapes.
import { describe, expect, test } from 'vitest';
import { jsonSyntaxError, lineColumnAt, pointerOffset } from '../../client/json-locate';

const text = [
  '{',
  '  "note": "a } ] { [ \\" , tricky string",',
  '  "a/b": { "x~y": [1, [2, 3], {"deep": true}] },',
  '  "list": [',
  '    {},',
  '    { "name": "second" }',
  '  ]',
  '}',
].join('\n');

const at = (pointer: string) => lineColumnAt(text, pointerOffset(text, pointer));

describe('locating JSON pointers', () => {
  test('object members point at their name; array items at their value', () => {
    expect(at('/note')).toEqual({ line: 2, column: 3 });
    expect(at('/a~1b/x~0y')).toEqual({ line: 3, column: 12 });
    expect(at('/a~1b/x~0y/1/0')).toEqual({ line: 3, column: 24 });
    expect(at('/a~1b/x~0y/2/deep')).toEqual({ line: 3, column: 32 });
    expect(at('/list/1/name')).toEqual({ line: 6, column: 7 });
  });

  test('a pointer past what exists falls back to the deepest part that does', () => {
    expect(at('/list/1/missing')).toEqual({ line: 6, column: 5 });
    expect(at('/list/7')).toEqual({ line: 4, column: 3 });
  });

  test('syntax errors: line and column of the first bad character', () => {
    expect(jsonSyntaxError('{\n  "a": 1,\n}')).toMatchObject({ line: 3, column: 1, found: 'unexpected "}"' });
    expect(jsonSyntaxError('{"a": [1, 2')).toMatchObject({ found: 'the text ends too early' });
    expect(jsonSyntaxError(text)).toBeUndefined();
  });
});
