// Inbound SMS keywords as a person types them: any case, spacing, punctuation or character width, a keyword
// leading a short reply, the words a marketer adds in the keyword file, and chat that is not an opt-out.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { applyFeedback, loadProfiles, upsertContact } from '../../client/contacts';
import {
  DEFAULT_SMS_KEYWORDS_FILE,
  loadSmsKeywords,
  matchSmsKeyword,
  SmsKeywordsError,
} from '../../rules/feedback/sms-keywords';
import { SMS_KEYWORDS_SCHEMA_PATH, smsKeywordsSchemaText } from '../../rules/feedback/generate-schema';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const OPT_OUT = [
  'Stop.',
  'STOP!',
  'stop',
  '  Stop  ',
  'Unsubscribe me',
  'ＳＴＯＰ',
  'ｓｔｏｐ　please',
  'REVOKE',
  'OPT OUT',
  'opt-out',
  'Optout',
  'Opt out please',
  'stop please',
  'Stop texting me',
  'S T O P',
  'S.T.O.P.',
  'quit',
  'End.',
  'cancel!!',
  'STOPALL',
  'stop all',
  'Ok, stop.',
  'Thanks! Unsubscribe',
  '🛑 STOP 🛑',
  'Stop\u200b',
  'ST\u00adOP',
  'Opt me out',
  'Remove me from this list',
  'Stop - thanks',
  'STOP\r\n',
  'Stop. I mean it, no more texts from you people please.',
  'Help! Stop texting me',
  'Help. STOP. Who is this?',
];
const OPT_IN = ['START', 'start.', 'Unstop', 'ＳＴＡＲＴ'];
const HELP = ['HELP', 'help?', 'Ｈｅｌｐ', 'help me'];
const CHAT = [
  "don't stop sending",
  'Please don’t stop the deals',
  'please stop texting me',
  'I will never quit buying from you, thanks!',
  'stopping by the store later',
  'Can you tell me when the shop opens?',
  'the end',
  'Stop by our store on Main Street this weekend for the big summer deals',
  'Starting tomorrow?',
  'Remove the item from my cart',
  'Do not stop',
  "I can't stop. Love these deals, keep them coming!",
  '',
  '   ',
  '!!!',
];

describe('matching', () => {
  const keywords = loadSmsKeywords();
  test.each(OPT_OUT)('%j is an opt-out', (text) => {
    expect(matchSmsKeyword(keywords, text)?.intent).toBe('opt_out');
  });
  test.each(OPT_IN)('%j is an opt-in', (text) => {
    expect(matchSmsKeyword(keywords, text)?.intent).toBe('opt_in');
  });
  test.each(HELP)('%j asks for help', (text) => {
    expect(matchSmsKeyword(keywords, text)?.intent).toBe('help');
  });
  test.each(CHAT)('%j is chat, not a keyword', (text) => {
    expect(matchSmsKeyword(keywords, text)).toBeNull();
  });
  test('a reply longer than any SMS keyword reply is not read as one', () => {
    expect(matchSmsKeyword(keywords, `STOP ${'x'.repeat(100_000)}`)).toBeNull();
  });
});

describe('the keyword file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-keywords-'));
  const write = (name: string, value: unknown) => {
    const sub = path.join(dir, name, 'feedback');
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, 'sms-keywords.json'), JSON.stringify(value, null, 2));
    return path.join(dir, name);
  };

  test('the shipped file lists the FCC and CTIA words', () => {
    const k = loadSmsKeywords();
    expect(k.file).toBe(DEFAULT_SMS_KEYWORDS_FILE);
    for (const w of ['stop', 'quit', 'end', 'revoke', 'opt out', 'cancel', 'unsubscribe', 'stopall'])
      expect(k.optOut).toContain(w);
  });

  test('a marketer adds words; the words the law names stay in force even if left out', () => {
    const rules = write('extended', {
      kind: 'sms-keywords',
      optOut: ['baja', 'remove me'],
      optIn: ['alta'],
      help: ['ayuda'],
    });
    const k = loadSmsKeywords(rules);
    expect(matchSmsKeyword(k, 'BAJA')?.intent).toBe('opt_out');
    expect(matchSmsKeyword(k, 'Remove me!')?.intent).toBe('opt_out');
    expect(matchSmsKeyword(k, 'Alta')?.intent).toBe('opt_in');
    expect(matchSmsKeyword(k, 'ayuda')?.intent).toBe('help');
    expect(matchSmsKeyword(k, 'Stop.')?.intent).toBe('opt_out');
    expect(matchSmsKeyword(k, 'REVOKE')?.intent).toBe('opt_out');
  });

  test('the committed JSON Schema is the TypeBox source (npx tsx rules/feedback/generate-schema.ts)', () => {
    expect(JSON.parse(readFileSync(SMS_KEYWORDS_SCHEMA_PATH, 'utf8'))).toEqual(
      JSON.parse(smsKeywordsSchemaText()),
    );
  });

  test('a rules folder without the file uses the shipped words', () => {
    const k = loadSmsKeywords(mkdtempSync(path.join(os.tmpdir(), 'cf-nokeywords-')));
    expect(matchSmsKeyword(k, 'ＳＴＯＰ')?.intent).toBe('opt_out');
  });

  test.each([
    [{ kind: 'sms-keywords', optOut: 'stop' }, '/optOut'],
    [{ kind: 'sms-keywords', optOut: ['stop'], optIn: ['stop'] }, '/optIn/0'],
    [{ kind: 'sms-keywords', optOut: ['!!!'] }, '/optOut/0'],
    [{ kind: 'sms-keywords', optIn: ['stop'] }, '/optIn/0'],
    [{ kind: 'matrix', optOut: [] }, '/kind'],
  ])('a bad file %j is refused with its place and a fix', (content, pointer) => {
    const rules = write(`bad-${Math.random().toString(36).slice(2)}`, content);
    let err: unknown;
    try {
      loadSmsKeywords(rules);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SmsKeywordsError);
    const e = err as SmsKeywordsError;
    expect(e.message).toContain('sms-keywords.json');
    expect(e.problems.map((p) => p.pointer)).toContain(pointer);
    expect(e.problems.every((p) => p.hint.length > 10)).toBe(true);
  });
});

describe('applyFeedback with inbound SMS', () => {
  let n = 0;
  const phoneContact = async () => {
    const phone = `+1415555${String(3000 + n++).padStart(4, '0')}`;
    const id = await upsertContact(db.pool, { phone, email: `kw${n}@example.com`, resource: 'shop' });
    return { id, phone };
  };
  const smsStatus = async (id: string) =>
    (await loadProfiles(db.pool, [id])).get(id)?.subscriptions.find((s) => s.channel === 'sms')?.status;

  test.each(OPT_OUT)('%j unsubscribes the phone and says so', async (text) => {
    const { id, phone } = await phoneContact();
    const r = await applyFeedback(db.pool, { kind: 'inbound_sms', channel: 'sms', address: phone, text });
    expect(r.changes).toBe(1);
    expect(r.reply).toMatch(/unsubscribed/);
    expect(await smsStatus(id)).toBe('unsubscribed');
  });

  test.each(CHAT)('%j changes nothing', async (text) => {
    const { id, phone } = await phoneContact();
    const r = await applyFeedback(db.pool, { kind: 'inbound_sms', channel: 'sms', address: phone, text });
    expect(r.changes).toBe(0);
    expect(await smsStatus(id)).toBe('subscribed');
  });

  test('HELP is answered and changes nothing; START after STOP resubscribes', async () => {
    const { id, phone } = await phoneContact();
    const help = await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: phone,
      text: 'Ｈｅｌｐ!',
    });
    expect(help.changes).toBe(0);
    expect(help.reply).toMatch(/STOP/);
    await applyFeedback(db.pool, { kind: 'inbound_sms', channel: 'sms', address: phone, text: 'Stop.' });
    const start = await applyFeedback(db.pool, {
      kind: 'inbound_sms',
      channel: 'sms',
      address: phone,
      text: 'ｓｔａｒｔ',
    });
    expect(start.changes).toBe(1);
    expect(await smsStatus(id)).toBe('subscribed');
  });
});
