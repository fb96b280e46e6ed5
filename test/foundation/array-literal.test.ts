// Campaign pages send their ids as array literals built by db/array-literal.ts, not by pg: whatever a contact
// id holds (quotes, backslashes, commas, braces, spaces, the word NULL), PostgreSQL must read back exactly the
// array that was sent, or a page would write outbox rows for contacts that do not exist.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integerArrayLiteral, textArrayLiteral } from '../../db/array-literal';
import { TEST_SERVER_URL } from '../support/global-setup';

const client = new pg.Client({ connectionString: `${TEST_SERVER_URL}/postgres` });
beforeAll(() => client.connect());
afterAll(() => client.end());

const roundTrip = async (values: (string | null)[]): Promise<unknown> =>
  (await client.query<{ a: unknown }>('SELECT $1::text[] AS a', [textArrayLiteral(values)])).rows[0]!.a;

/** Random text over the characters an array literal treats specially, and a few it does not. */
function randomText(random: () => number): string {
  const alphabet = ['"', '\\', ',', '{', '}', ' ', 'NULL', 'a', 'é', '😀', '\t', "'", ''];
  let s = '';
  for (let n = Math.floor(random() * 6); n > 0; n--) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

describe('array literals', () => {
  it('read back as the very array sent: plain ids, empty, and every character a literal escapes', async () => {
    const cases: (string | null)[][] = [
      [],
      ['aud-00000001', 'aud-00000002'],
      [''],
      ['a"b', 'c\\d', ' x ', 'NULL', 'a,b{}', '\\"'],
      ['2026-01-01T00:00:00.000Z', null, null],
      [null],
    ];
    for (const values of cases) expect(await roundTrip(values)).toEqual(values);
  });

  it('read back as sent over generated arrays (with and without NULLs)', async () => {
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const values = Array.from({ length: Math.floor(random() * 8) }, () =>
        random() < 0.15 ? null : randomText(random),
      );
      expect(await roundTrip(values)).toEqual(values);
    }
  });

  it('whole numbers read back as an int[]', async () => {
    const { rows } = await client.query<{ a: number[] }>('SELECT $1::int[] AS a', [
      integerArrayLiteral([1, 20, 300, 0]),
    ]);
    expect(rows[0]!.a).toEqual([1, 20, 300, 0]);
  });
});
