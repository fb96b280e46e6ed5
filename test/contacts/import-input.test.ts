// What an import makes of files as people really have them: Excel's semicolons, extra columns, JSON with the
// wrong types, short phone numbers, the same file twice. Each must either land as meant or be refused by name.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  importContacts,
  ImportInputError,
  loadProfiles,
  resolveContactKey,
  unsubscribe,
  upsertContact,
} from '../../client/contacts';
import { progressReporter, summaryLines } from '../../db/contacts/import/report';

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-import-input-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const firstName = async (email: string) =>
  (
    await db.pool.query<{ first_name: string | null }>(`SELECT first_name FROM contacts WHERE email = $1`, [
      email,
    ])
  ).rows[0]?.first_name;

describe('CSV delimiters', () => {
  test.each([
    ['semicolon (Excel in much of Europe)', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
    ['comma', ','],
  ])('%s is recognised from the header', async (name, d) => {
    const tag = name.split(' ')[0]!;
    const s = await importContacts(
      db.pool,
      file(
        `${tag}.csv`,
        [
          ['email', 'first_name', 'country'].join(d),
          [`${tag}1@example.com`, 'Ann', 'DE'].join(d),
          [`${tag}2@example.com`, '"Müller, Bob"', 'AT'].join(d),
        ].join('\r\n'),
      ),
    );
    expect(s).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    expect(await firstName(`${tag}2@example.com`)).toBe('Müller, Bob');
  });

  test('an explicit delimiter wins over the guess', async () => {
    // The header alone would suggest ";" (two of them, no comma), but the operator knows better.
    const s = await importContacts(
      db.pool,
      file('explicit.csv', 'email,first_name\nexplicit@example.com,"a;b;c"\n'),
      { delimiter: ',' },
    );
    expect(s).toMatchObject({ inserted: 1, rejected: 0 });
    expect(await firstName('explicit@example.com')).toBe('a;b;c');
  });

  test('an unusable delimiter option is refused with the allowed ones', async () => {
    await expect(
      importContacts(db.pool, file('d.csv', 'email\nd@example.com\n'), { delimiter: 'xx' }),
    ).rejects.toThrow(/delimiter "xx".*one of/);
  });
});

describe('unknown columns', () => {
  test('can be ignored, and the summary says which were', async () => {
    const s = await importContacts(
      db.pool,
      file('extra.csv', 'email,shoe_size,first_name,Notes\nextra@example.com,42,Eve,x\n'),
      { ignoreUnknownColumns: true },
    );
    expect(s).toMatchObject({ inserted: 1, rejected: 0, ignoredColumns: ['shoe_size', 'notes'] });
    expect(summaryLines(s).join('\n')).toMatch(/ignored 2 unknown columns: shoe_size, notes/);
    expect(await firstName('extra@example.com')).toBe('Eve');
  });

  test('can be mapped onto known ones', async () => {
    const s = await importContacts(
      db.pool,
      file('mapped.csv', 'E-mail;Vorname;Land\nmapped@example.com;Jörg;DE\n'),
      { map: { 'E-mail': 'email', Vorname: 'first_name', land: 'country' } },
    );
    expect(s).toMatchObject({ inserted: 1, rejected: 0 });
    expect(await firstName('mapped@example.com')).toBe('Jörg');
  });

  test('a mapping onto an unknown column is refused before anything is written', async () => {
    await expect(
      importContacts(db.pool, file('badmap.csv', 'mail\nx@example.com\n'), { map: { mail: 'e_mail' } }),
    ).rejects.toThrow(/--map "mail=e_mail".*"e_mail" is not a column/);
  });

  test('a 10,000-column header gives a short error: a few names and how many more', async () => {
    const header = ['email', ...Array.from({ length: 10_000 }, (_, i) => `col${i}`)].join(',');
    const err = await importContacts(db.pool, file('wide.csv', `${header}\n`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportInputError);
    const message = (err as Error).message;
    expect(message.length).toBeLessThan(800);
    expect(message).toMatch(/"col0", "col1".* and 9,99\d more/);
    expect(message).toMatch(/--ignore-unknown-columns|--map/);
  });
});

describe('JSON Lines types', () => {
  test('a list, a number or an object where text is expected rejects the field, naming the type', async () => {
    const lines = [
      { email: ['list@example.com'] },
      { email: 'num@example.com', first_name: 123 },
      { email: 'obj@example.com', country: { code: 'DE' } },
      { email: 'bool@example.com', phone: true },
      { email: 'fine@example.com', first_name: 'Fine', priority: 2, active: false },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const s = await importContacts(db.pool, file('types.jsonl', lines));
    expect(s).toMatchObject({ read: 5, inserted: 1, rejected: 4 });
    expect(s.rejections.map((r) => [r.line, r.field, r.reason])).toEqual([
      [1, 'email', expect.stringMatching(/expected text, got a list/)],
      [2, 'first_name', expect.stringMatching(/expected text, got a number/)],
      [3, 'country', expect.stringMatching(/expected text, got an object/)],
      [4, 'phone', expect.stringMatching(/expected text, got true/)],
    ]);
    expect(await firstName('num@example.com')).toBeUndefined();
  });
});

describe('phone numbers', () => {
  test.each(['+1202555', '+44123', '+99912345678', '+4477009001234567'])(
    '%s is refused: too short, too long or no such country',
    async (phone) => {
      await expect(upsertContact(db.pool, { phone })).rejects.toThrow(/phone/);
    },
  );

  test('real numbers of several countries are accepted in E.164', async () => {
    for (const [raw, e164] of [
      ['+1 (415) 555-2671', '+14155552671'],
      ['0049 30 901820', '+4930901820'],
      ['+33 6 12 34 56 78', '+33612345678'],
    ] as const) {
      const id = await upsertContact(db.pool, { phone: raw });
      const { rows } = await db.pool.query<{ phone: string }>(`SELECT phone FROM contacts WHERE id = $1`, [
        id,
      ]);
      expect(rows[0]?.phone).toBe(e164);
    }
  });
});

describe('summary counts', () => {
  test('re-importing identical rows counts them unchanged, not updated', async () => {
    const content = 'email,first_name,resource\nsame1@example.com,S1,shop\nsame2@example.com,S2,shop\n';
    expect(await importContacts(db.pool, file('same.csv', content))).toMatchObject({ inserted: 2 });
    const again = await importContacts(db.pool, file('same.csv', content));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 2, rejected: 0 });
    expect(summaryLines(again)[0]).toMatch(/0 updated, 2 unchanged/);
    const changed = await importContacts(db.pool, file('same.csv', content.replace('S2', 'Two')));
    expect(changed).toMatchObject({ updated: 1, unchanged: 1 });
  });

  test('an opt-out the file would have undone is kept, and the summary says so', async () => {
    await importContacts(db.pool, file('optout.csv', 'email,resource\noptout@example.com,shop\n'));
    const id = (await resolveContactKey(db.pool, 'optout@example.com'))!;
    await unsubscribe(db.pool, id, { resource: 'shop', channel: 'email' });
    await unsubscribe(db.pool, id);
    const s = await importContacts(
      db.pool,
      file(
        'resub.csv',
        'email,resource,status,email_status\noptout@example.com,shop,subscribed,subscribed\n',
      ),
    );
    expect(s).toMatchObject({ keptOptedOut: 1, rejected: 0 });
    expect(summaryLines(s).join('\n')).toMatch(/1 row asked to subscribe .*opted out.*kept/);
    const p = (await loadProfiles(db.pool, [id])).get(id)!;
    expect(p.status).toBe('unsubscribed');
    expect(p.subscriptions[0]?.status).toBe('unsubscribed');
  });
});

describe('progress', () => {
  function fakeTerminal() {
    const writes: string[] = [];
    return {
      writes,
      stream: { isTTY: true, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream,
    };
  }
  const p = { bytes: 50, totalBytes: 100, read: 10, written: 5, rejected: 1 };

  test('a dry run says rows were checked, not written', () => {
    const t = fakeTerminal();
    progressReporter(t.stream, { dryRun: true }).update(p);
    expect(t.writes.join('')).toMatch(/5 checked/);
    expect(t.writes.join('')).not.toMatch(/written/);
  });

  test('the bar is cleared before a rejection line and drawn again after it', () => {
    const t = fakeTerminal();
    const bar = progressReporter(t.stream);
    bar.update(p);
    bar.line('x.csv:3: email: bad');
    const text = t.writes.join('');
    const at = text.indexOf('x.csv:3');
    // The rejection starts on a clean line: carriage return and erase-line come right before it.
    // eslint-disable-next-line no-control-regex
    expect(text.slice(0, at)).toMatch(/\r\x1b\[K$/);
    expect(text.slice(at)).toMatch(/^x\.csv:3: email: bad\n\[/);
  });
});
