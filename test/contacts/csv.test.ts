// The import's CSV reader: RFC 4180 quoting, the line each record starts on, and the same records however
// the file is cut into chunks (a 1 GB import arrives in 1 MiB pieces that split lines and quoted fields).
import { describe, expect, test } from 'vitest';
import { CsvReader, CsvSyntaxError, MAX_RECORD_CHARS, type CsvRecord } from '../../db/contacts/import/csv';
import { LineSplitter } from '../../db/contacts/import/lines';

function read(chunks: string[]): CsvRecord[] {
  const reader = new CsvReader();
  return [...chunks.flatMap((c) => reader.push(c)), ...reader.end()];
}

const FILE = [
  '\uFEFFemail,first_name,note\r\n',
  'a@example.com,Ada,"plain"\r\n',
  '\r\n',
  '"b@example.com","Bob, Jr.","said ""hi"""\n',
  'c@example.com,Cy,"two\nlines"\n',
  '\n',
  'd@example.com,,\n',
  'e@example.com,Eve,"last, no newline"',
].join('');

const EXPECTED: CsvRecord[] = [
  { line: 1, fields: ['email', 'first_name', 'note'] },
  { line: 2, fields: ['a@example.com', 'Ada', 'plain'] },
  { line: 4, fields: ['b@example.com', 'Bob, Jr.', 'said "hi"'] },
  { line: 5, fields: ['c@example.com', 'Cy', 'two\nlines'] },
  { line: 8, fields: ['d@example.com', '', ''] },
  { line: 9, fields: ['e@example.com', 'Eve', 'last, no newline'] },
];

describe('CsvReader', () => {
  test('quotes, escaped quotes, commas and line breaks in fields, CRLF, blank lines, BOM; start lines', () => {
    expect(read([FILE])).toEqual(EXPECTED);
  });

  test('the same records wherever the chunks are cut, even inside "" or CRLF', () => {
    for (let i = 0; i <= FILE.length; i++) {
      expect(read([FILE.slice(0, i), FILE.slice(i)]), `cut at ${i}`).toEqual(EXPECTED);
    }
    expect(read([...FILE])).toEqual(EXPECTED); // one character at a time
  });

  test.each([
    ['a quote left open', 'email,note\nx@example.com,"open\nmore\n', 2, /never closed/],
    [
      'a quote inside an unquoted field',
      'email,note\nx@example.com,say "hi"\n',
      2,
      /quote inside unquoted field 2/,
    ],
    [
      'text after a closing quote',
      'email,note\nx@example.com,"hi" there\n',
      2,
      /after the closing quote of field 2/,
    ],
  ])('%s is a syntax error naming its line', (_name, text, line, message) => {
    let error: unknown;
    try {
      read([text]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).line).toBe(line);
    expect((error as CsvSyntaxError).message).toMatch(message);
  });

  test('a quote left open stops the read within a bounded buffer, not at the end of a huge file', () => {
    const reader = new CsvReader();
    reader.push('email,note\nx@example.com,"open\n');
    const chunk = `${'y@example.com,fine\n'.repeat(4096)}`;
    let error: unknown;
    let pushed = 0;
    try {
      for (; pushed < 1000; pushed++) reader.push(chunk);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).message).toMatch(/starting on line 2 .*never closed/);
    expect(pushed * chunk.length).toBeLessThanOrEqual(MAX_RECORD_CHARS);
  });
});

describe('LineSplitter (JSON Lines)', () => {
  test('numbers lines across chunks and skips a line too long to hold, naming it', () => {
    const splitter = new LineSplitter(10);
    const lines = [
      ...splitter.push('{"a":1}\r\n{"b":'),
      ...splitter.push('2}\n0123456789'),
      ...splitter.push('ABCDEF'),
      ...splitter.push('GH\n\n{"c":3}'),
      ...splitter.end(),
    ];
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
      { line: 3 },
      { line: 4, text: '' },
      { line: 5, text: '{"c":3}' },
    ]);
  });
});
