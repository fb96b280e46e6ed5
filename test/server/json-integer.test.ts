// topLevelInteger: a provider's 64-bit event id read as the digits it sent, never through a double.
import { describe, expect, test } from 'vitest';
import { topLevelInteger } from '../../server/webhooks/json-integer';

describe('topLevelInteger', () => {
  test('reads the digits of a top-level integer beyond 2^53 exactly', () => {
    const text = '{"RecordType":"Bounce","ID":9007199254740993,"Email":"a@example.com"}';
    expect(String((JSON.parse(text) as { ID: number }).ID)).toBe('9007199254740992'); // what JSON.parse makes of it
    expect(topLevelInteger(text, 'ID')).toBe('9007199254740993');
    expect(topLevelInteger(' {\n "ID" :  4323372036854775807 }', 'ID')).toBe('4323372036854775807');
  });

  test('ignores the same key nested, in strings, as a suffix of another key, or not an integer', () => {
    expect(topLevelInteger('{"Metadata":{"ID":1},"MessageID":"x","ID":2}', 'ID')).toBe('2');
    expect(topLevelInteger('{"Description":"\\"ID\\":5","ID":7}', 'ID')).toBe('7');
    expect(topLevelInteger('{"Metadata":{"ID":1}}', 'ID')).toBeUndefined();
    expect(topLevelInteger('{"ID":"12"}', 'ID')).toBeUndefined();
    expect(topLevelInteger('{"ID":1.5}', 'ID')).toBeUndefined();
    expect(topLevelInteger('{"ID":1e3}', 'ID')).toBeUndefined();
    expect(topLevelInteger('[{"ID":1}]', 'ID')).toBeUndefined();
    expect(topLevelInteger('not json', 'ID')).toBeUndefined();
  });
});
